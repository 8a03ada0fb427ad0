'use strict';
/**
 * Acked-channel load (its own process): SOCKETS REQ sockets, each delivering enveloped leases
 * for its own interface (so its events are in order) and waiting for the manager's reply.
 *   node acker.js ADDR COUNT SOCKETS IFOFFSET [RATE] [SECS]
 * RATE 0: closed loop, every socket sends its next request as soon as the reply arrived.
 * RATE > 0: a steady RATE requests/s over the whole process, each on a free socket; with SECS,
 * sending stops after SECS seconds even if fewer than COUNT went out (slow replies), and the
 * run ends when those sent are answered.
 * -> {ready}; <- {go}; -> {done, sent, statuses, rttUs: [...], late, ms}.
 */
const nano = require('nanomsg');
const { msgLib, v4Frame, v6Frame } = require('../lib/messages');

const [addr, countS, socketsS, offS, rateS, secsS] = process.argv.slice(2);
let count = Number(countS);
const secs = Number(secsS ?? 0);
const nSockets = Number(socketsS);
const ifOffset = Number(offS);
const rate = Number(rateS ?? 0);

const frames = [];
for (let j = 0; j < nSockets; j++) {
  const i = ifOffset + j;
  const list = [];
  for (let k = 0; k < 16; k++) list.push(k % 2 === 0 ? v4Frame(i, k) : v6Frame(i, k));
  frames.push(list);
}

const statuses = {};
const rttUs = [];
let sent = 0;
let answered = 0;
let late = 0;
let onAllDone = () => {};

const socks = frames.map((list, j) => {
  const s = nano.socket('req');
  s.on('error', (err) => process.send({ error: String(err) }));
  s.connect(addr);
  s.busy = false;
  s.k = 0;
  s.on('data', (reply) => {
    rttUs.push(Number(process.hrtime.bigint() - s.sentAt) / 1e3);
    let status = 'undecodable';
    try { status = msgLib.decodeAck(reply).status; } catch { /* counted as undecodable */ }
    statuses[status] = (statuses[status] ?? 0) + 1;
    s.busy = false;
    answered++;
    if (answered >= count) onAllDone();
    else if (rate === 0) sendOn(s, j);
  });
  return s;
});

function sendOn(s, j) {
  if (sent >= count) return;
  sent++;
  s.busy = true;
  const payload = frames[j][s.k++ % frames[j].length];
  s.sentAt = process.hrtime.bigint();
  s.send(msgLib.encodeEnvelope(payload, msgLib.stampNow()));
}

function paced() {
  const start = process.hrtime.bigint();
  let scheduled = 0;
  const tick = () => {
    if (secs > 0 && Number(process.hrtime.bigint() - start) / 1e9 >= secs && scheduled < count) {
      count = scheduled;
      if (answered >= count) onAllDone();
      return;
    }
    const due = Math.min(count, Math.floor((Number(process.hrtime.bigint() - start) / 1e9) * rate) + 1);
    while (scheduled < due) {
      const j = socks.findIndex((s) => !s.busy);
      if (j < 0) { late++; break; }
      sendOn(socks[j], j);
      scheduled++;
    }
    if (scheduled < count) setTimeout(tick, 1);
  };
  tick();
}

process.on('message', (m) => {
  if (!m.go) return;
  const t0 = process.hrtime.bigint();
  onAllDone = () => {
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    process.send({ done: true, sent, statuses, rttUs, late, ms, t0: String(t0), t1: String(process.hrtime.bigint()) }, () => {
      setImmediate(() => { for (const s of socks) s.close(); process.disconnect(); });
    });
  };
  if (rate > 0) paced();
  else socks.forEach((s, j) => sendOn(s, j));
});
setTimeout(() => process.send({ ready: true }), 50);
