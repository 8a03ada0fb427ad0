'use strict';
/**
 * In-process micro-benchmark of Engine.ingestBatch (built dist): the engine's CPU per message
 * without sockets, steadier than the socket suites. Frames are the throughput suite's
 * (bench/lib/messages.js: mixed v4/v6 over N interfaces), fed in batches like the daemon's
 * drain; events go to a PubSink whose target only takes the text (the PUB socket's cost is
 * the transport's, not measured here).
 *
 *   node bench/micro/engine.js [--interfaces 64] [--batch 256] [--messages 200000]
 *                              [--durability normal|full] [--dir DIR] [--rounds 3] [--dist DIR]
 *                              [--outbox LIMIT] [--seed-step 7]
 *
 * --seed-step: how far apart the four pushers' streams start in the names; the scaling suite's C
 * pushers (bench/lib/load.js cPushers) are 7919 apart, so at 1,000 interfaces a batch holds
 * about one message per interface, where 7 apart they overlap (fewer records per batch).
 * Default state dir: a fresh one under /dev/shm (tmpfs) for normal, os.tmpdir() for full.
 * Prints CPU us/message (user+sys of this process) and wall messages/s per round, the time of
 * one read of the whole tree (`get Device.`) after the round, and the medians. Not a test: it
 * never fails on a time.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const pino = require('pino');
const { framePool } = require('../lib/messages');

function arg(name, dflt) {
  const k = process.argv.indexOf(`--${name}`);
  return k < 0 ? dflt : process.argv[k + 1];
}

// --dist: another build of the manager to compare with (e.g. a copy of an older dist/).
const dist = path.resolve(arg('dist', path.join(__dirname, '..', '..', 'packages', 'dhcp-manager', 'dist')));
const { Engine } = require(path.join(dist, 'engine'));
const { ManagerMetrics } = require(path.join(dist, 'metrics'));
const { Store } = require(path.join(dist, 'store', 'store'));
const { PubSink } = require(path.join(dist, 'publisher'));

const interfaces = Number(arg('interfaces', 64));
const batch = Number(arg('batch', 256));
const messages = Number(arg('messages', 200000));
const durability = arg('durability', 'normal');
const rounds = Number(arg('rounds', 3));
const outboxLimit = Number(arg('outbox', 0));
const seedStep = Number(arg('seed-step', 7));
const base = arg('dir', durability === 'normal' && fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir());

function runOnce() {
  const stateDir = fs.mkdtempSync(path.join(base, 'dhcpmgr-micro-'));
  let published = 0;
  const sink = new PubSink({ publish: (topic, body) => { published += body.length > 0 ? 1 : 0; } });
  const applier = { name: 'none', apply() {}, idle: async () => undefined };
  const deps = {
    logger: pino({ level: 'warn' }), metrics: new ManagerMetrics(), sink, applier,
    ...(outboxLimit > 0 ? { commitHook: new (require(path.join(dist, 'export', 'outbox')).Outbox)(outboxLimit) } : {}),
  };
  // A --dist built before the engine received its store has Engine.open instead.
  const store = Engine.open ? undefined : new Store({ stateDir, durability, historyPerInterface: 100 });
  const engine = store ? new Engine(store, { abi: 'auto' }, deps) : Engine.open({ stateDir, abi: 'auto', durability }, deps);
  // Four pushers' pools, interleaved, as the socket suite's 4 pushers would arrive.
  const pools = [0, 1, 2, 3].map((seed) => framePool(Math.ceil(messages / 4), interfaces, seed * seedStep));
  const frames = [];
  for (let n = 0; frames.length < messages; n++) frames.push(pools[n % 4][Math.floor(n / 4)]);
  // Warm-up (JIT, first rows), not counted.
  const warm = Math.min(20 * batch, Math.floor(messages / 10));
  let applied = 0;
  const ingest = (from, to) => {
    for (let i = from; i < to; i += batch) {
      const items = [];
      const now = Date.now();
      for (let k = i; k < Math.min(i + batch, to); k++) items.push({ frame: frames[k], channel: 'legacy', receivedAt: now });
      for (const r of engine.ingestBatch(items)) if (r.status === 'applied') applied++;
    }
  };
  ingest(0, warm);
  applied = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  ingest(warm, messages);
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const n = messages - warm;
  const r0 = process.hrtime.bigint();
  const tree = engine.get(['Device.']);
  const readMs = Number(process.hrtime.bigint() - r0) / 1e6;
  if (store) store.close(); else engine.close();
  fs.rmSync(stateDir, { recursive: true, force: true });
  if (applied !== n) throw new Error(`only ${applied} of ${n} applied`);
  if (published < n) throw new Error(`only ${published} of ${n} published`);
  if (!tree.ok) throw new Error('reading Device. failed');
  return { usPerMsg: (cpu.user + cpu.system) / n, rate: n / wallS, readMs, params: tree.values.length };
}

const out = [];
for (let r = 0; r < rounds; r++) {
  const x = runOnce();
  out.push(x);
  console.log(`round ${r + 1}: ${x.usPerMsg.toFixed(1)} us CPU/msg, ${Math.round(x.rate)} msgs/s wall, Device. read ${x.readMs.toFixed(1)} ms (${x.params} params)`);
}
const med = (a) => a.slice().sort((p, q) => p - q)[Math.floor(a.length / 2)];
console.log(`median: ${med(out.map((x) => x.usPerMsg)).toFixed(1)} us CPU/msg (min ${Math.min(...out.map((x) => x.usPerMsg)).toFixed(1)}),` +
  ` ${Math.round(med(out.map((x) => x.rate)))} msgs/s wall, Device. read ${med(out.map((x) => x.readMs)).toFixed(1)} ms` +
  ` (interfaces ${interfaces}, batch ${batch}, durability ${durability}, seed step ${seedStep}, ${base}${outboxLimit > 0 ? `, MQTT outbox limit ${outboxLimit}` : ''})`);
