'use strict';
/**
 * A quiet interface (its own process): PUSHes legacy v4 renewals for IFNAME at RATE/s, like a C
 * plugin, and times each from its send to its lease event on the manager's PUB socket.
 *   node probe.js PULL_ADDR PUB_ADDR IFNAME
 * The frames carry their sequence number in leaseTime (100000 + n), so each event names the
 * frame it came from; a frame the manager dropped never gets one.
 * -> {ready}; <- {warm}: one frame (so the interface gets its instance) -> {warmed};
 * <- {go, topic, count, rate}: subscribe to TOPIC and send -> {done, sent, received, latUs};
 * <- {stop}: close and exit.
 */
const nano = require('nanomsg');
const { msgLib } = require('../lib/messages');

const [pullAddr, pubAddr, ifname] = process.argv.slice(2);
const BASE = 100000;

function frame(n) {
  const lease = {
    ...msgLib.emptyV4Lease(), ifname, addressAssigned: true, address: '10.250.0.2', netmask: '255.255.255.0',
    gateway: '10.250.0.1', dnsServer: '192.0.2.53', dhcpServerId: '10.250.0.1', dhcpState: 'renew',
    leaseTime: BASE + n, renewalTime: 1800, rebindingTime: 3150,
  };
  return msgLib.encode({ version: 4, ifname, dhcpv4: lease });
}

const push = nano.socket('push');
push.on('error', (err) => process.send({ error: String(err) }));
push.connect(pullAddr);

async function run({ topic, count, rate }) {
  const sentAt = new Array(count);
  const latUs = [];
  let received = 0;
  let allIn = () => {};
  const sub = nano.socket('sub', { chan: [topic] });
  sub.on('error', (err) => process.send({ error: String(err) }));
  sub.on('data', (msg) => {
    const text = msg.toString();
    const m = /"leaseTime":(\d+)/.exec(text);
    const n = m ? Number(m[1]) - BASE : -1;
    if (n < 0 || n >= count || sentAt[n] === undefined) return;
    latUs.push(Number(process.hrtime.bigint() - sentAt[n]) / 1e3);
    received++;
    if (received >= count) allIn();
  });
  sub.connect(pubAddr);
  await new Promise((r) => setTimeout(r, 200));
  const frames = Array.from({ length: count }, (_, n) => frame(n));
  const start = process.hrtime.bigint();
  let sent = 0;
  while (sent < count) {
    const due = Math.min(count, Math.floor((Number(process.hrtime.bigint() - start) / 1e9) * rate) + 1);
    while (sent < due) {
      sentAt[sent] = process.hrtime.bigint();
      push.send(frames[sent]);
      sent++;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  // Events still on their way: wait for them, at most 3 s (a dropped frame never gets one).
  await Promise.race([new Promise((r) => { allIn = r; if (received >= count) r(); }), new Promise((r) => setTimeout(r, 3000))]);
  sub.close();
  return { sent, received, latUs };
}

process.on('message', async (m) => {
  if (m.warm) {
    push.send(frame(0));
    process.send({ warmed: true });
  } else if (m.go) {
    process.send({ done: true, ...(await run(m)) });
  } else if (m.stop) {
    setTimeout(() => { push.close(); process.disconnect(); }, 100);
  }
});
setTimeout(() => process.send({ ready: true }), 50);
