'use strict';
/**
 * Load generator (its own process): PUSH pre-encoded PLUGIN_MSG frames to `addr`.
 *   node pusher.js ADDR COUNT INTERFACES SEED [RATE]
 * RATE 0 (default): as fast as libnanomsg takes them, with the wrapper's JS queue kept short so
 * memory stays bounded. RATE > 0: a steady RATE messages/s (sent in 1 ms ticks).
 * Protocol with the parent (IPC): -> {ready}, <- {go}, -> {done, sent, ms, t0, t1}.
 */
const nano = require('nanomsg');
const { framePool } = require('../lib/messages');

const [addr, countS, ifS, seedS, rateS] = process.argv.slice(2);
const count = Number(countS);
const rate = Number(rateS ?? 0);
const pool = framePool(Math.min(count, 4096), Number(ifS), Number(seedS));
const HIGH_WATER = 256;

const sock = nano.socket('push');
sock.on('error', (err) => { process.send({ error: String(err) }); });
sock.connect(addr);

function drained() {
  return new Promise((resolve) => {
    const check = () => (sock.queue.length === 0 ? resolve() : setTimeout(check, 1));
    check();
  });
}

async function burst() {
  let sent = 0;
  while (sent < count) {
    while (sent < count && sock.queue.length < HIGH_WATER) {
      sock.send(pool[sent % pool.length]);
      sent++;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return sent;
}

async function paced() {
  let sent = 0;
  const start = process.hrtime.bigint();
  while (sent < count) {
    const due = Math.min(count, Math.floor((Number(process.hrtime.bigint() - start) / 1e9) * rate) + 1);
    while (sent < due) {
      sock.send(pool[sent % pool.length]);
      sent++;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return sent;
}

process.on('message', async (m) => {
  if (m.go) {
    const t0 = process.hrtime.bigint();
    const sent = rate > 0 ? await paced() : await burst();
    await drained();
    const t1 = process.hrtime.bigint();
    process.send({ done: true, sent, ms: Number(t1 - t0) / 1e6, t0: String(t0), t1: String(t1) });
    // Let libnanomsg's worker write the last frames before the socket goes away.
    setTimeout(() => { sock.close(); process.disconnect(); }, 200);
  }
});
// Give the connection a moment to establish so the first frames are not held back.
setTimeout(() => process.send({ ready: true }), 50);
