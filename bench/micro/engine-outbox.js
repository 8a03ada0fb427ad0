'use strict';
/**
 * In-process A/B of the MQTT outbox's cost on the lease path (built dist): two engines in ONE
 * process, A without and B with the outbox (export/outbox.ts, limit 1,000,000: as with
 * --mqtt-url while the broker is away, nothing leaves it), fed the same frames (the throughput
 * suite's mixed v4/v6 over 64 interfaces, batches of 256) in alternating chunks, so that both
 * see the same machine load. Prints CPU us/message of each, their ratio, and the wall ratio.
 *
 *   node bench/micro/engine-outbox.js [OUTBOX_MODULE] [MESSAGES]     (default: dist's, 120000)
 *   AB_DIR=/tmp node bench/micro/engine-outbox.js                     state dirs on disk (default /dev/shm)
 *
 * Not a test: it never fails on a time.
 */
const fs = require('fs'); const path = require('path'); const pino = require('pino');
const { framePool } = require('../lib/messages');
const dist = path.join(__dirname, '..', '..', 'packages', 'dhcp-manager', 'dist');
const { Engine } = require(path.join(dist, 'engine'));
const { ManagerMetrics } = require(path.join(dist, 'metrics'));
const { PubSink } = require(path.join(dist, 'publisher'));
const obPath = process.argv[2] ? path.resolve(process.argv[2]) : path.join(dist, 'export', 'outbox');
const { Outbox } = require(obPath);
const messages = Number(process.argv[3] || 120000), batch = 256, interfaces = 64;
function mk(hook) {
  const stateDir = fs.mkdtempSync((process.env.AB_DIR || '/dev/shm') + '/dhcpmgr-ab-');
  const e = Engine.open({ stateDir, abi: 'auto', durability: 'normal' }, { logger: pino({ level: 'warn' }), metrics: new ManagerMetrics(), sink: new PubSink({ publish() {} }), applier: { name: 'n', apply() {}, idle: async () => {} }, ...(hook ? { commitHook: hook } : {}) });
  return { e, stateDir, cpu: 0, n: 0, wall: 0n };
}
const A = mk(null), B = mk(new Outbox(1000000));
const pools = [0, 1, 2, 3].map((s) => framePool(Math.ceil(messages / 4), interfaces, s * 7));
const frames = []; for (let n = 0; frames.length < messages; n++) frames.push(pools[n % 4][Math.floor(n / 4)]);
function run(x, from, to) {
  const c0 = process.cpuUsage(); const w0 = process.hrtime.bigint();
  for (let i = from; i < to; i += batch) {
    const items = []; const now = Date.now();
    for (let k = i; k < Math.min(i + batch, to); k++) items.push({ frame: frames[k], channel: 'legacy', receivedAt: now });
    x.e.ingestBatch(items);
  }
  const c = process.cpuUsage(c0); x.cpu += c.user + c.system; x.n += to - from; x.wall += process.hrtime.bigint() - w0;
}
const chunk = batch * 8;
for (let i = 0; i < messages; i += chunk) { const to = Math.min(i + chunk, messages); if ((i / chunk) % 2) { run(B, i, to); run(A, i, to); } else { run(A, i, to); run(B, i, to); } }
console.log(`A no outbox ${(A.cpu / A.n).toFixed(2)} us/msg, B outbox ${(B.cpu / B.n).toFixed(2)} us/msg, ratio ${(B.cpu / A.cpu).toFixed(3)}; wall ratio ${(Number(B.wall) / Number(A.wall)).toFixed(3)}`);
for (const x of [A, B]) { x.e.close(); fs.rmSync(x.stateDir, { recursive: true, force: true }); }
