'use strict';
/**
 * In-process A/B of the MQTT outbox's cost on the lease path (built dist): engines in ONE
 * process, without and with the outbox (export/outbox.ts, limit 1,000,000: as with --mqtt-url
 * while the broker is away, nothing leaves it), fed the same frames (the throughput suite's mixed
 * v4/v6 over 64 interfaces, batches of 256) in alternating chunks, so that all see the same
 * machine load. Prints CPU us/message of each, the CPU ratio with/without, and the wall ratio.
 * With --dist DIR (another build, e.g. main's dist copied aside) that build's pair runs in the
 * same rounds, so an old and a new outbox are compared under the same load.
 *
 *   node bench/micro/engine-outbox.js [--messages 120000] [--rounds 3] [--dist DIR]
 *   AB_DIR=/tmp node bench/micro/engine-outbox.js          state dirs on disk (default /dev/shm)
 *
 * Not a test: it never fails on a time.
 */
const fs = require('fs'); const path = require('path'); const pino = require('pino');
const { framePool } = require('../lib/messages');

function arg(name, dflt) {
  const k = process.argv.indexOf(`--${name}`);
  return k < 0 ? dflt : process.argv[k + 1];
}
const messages = Number(arg('messages', 120000)), rounds = Number(arg('rounds', 3)), batch = 256, interfaces = 64;
const dists = [['this build', path.join(__dirname, '..', '..', 'packages', 'dhcp-manager', 'dist')]];
if (arg('dist')) dists.push([`--dist ${arg('dist')}`, path.resolve(arg('dist'))]);

function load(dist) {
  return {
    Engine: require(path.join(dist, 'engine')).Engine, Store: require(path.join(dist, 'store', 'store')).Store,
    ManagerMetrics: require(path.join(dist, 'metrics')).ManagerMetrics, PubSink: require(path.join(dist, 'publisher')).PubSink,
    Outbox: require(path.join(dist, 'export', 'outbox')).Outbox,
  };
}
const mods = dists.map(([, d]) => load(d));

function mk(m, outbox) {
  const stateDir = fs.mkdtempSync((process.env.AB_DIR || '/dev/shm') + '/dhcpmgr-ab-');
  const store = new m.Store({ stateDir, durability: 'normal', historyPerInterface: 100 });
  const deps = {
    logger: pino({ level: 'warn' }), metrics: new m.ManagerMetrics(), sink: new m.PubSink({ publish() {} }),
    applier: { name: 'n', apply() {}, idle: async () => {} }, ...(outbox ? { commitHook: new m.Outbox(1000000) } : {}),
  };
  return { e: new m.Engine(store, { abi: 'auto' }, deps), store, stateDir, cpu: 0, n: 0, wall: 0n };
}

const pools = [0, 1, 2, 3].map((s) => framePool(Math.ceil(messages / 4), interfaces, s * 7));
const frames = []; for (let n = 0; frames.length < messages; n++) frames.push(pools[n % 4][Math.floor(n / 4)]);
function run(x, from, to) {
  const c0 = process.cpuUsage(); const w0 = process.hrtime.bigint();
  for (let i = from; i < to; i += batch) {
    const items = []; const now = Date.now();
    for (let k = i; k < Math.min(i + batch, to); k++) items.push({ frame: frames[k], channel: 'legacy', receivedAt: now });
    for (const r of x.e.ingestBatch(items)) if (r.status !== 'applied') throw new Error(`not applied: ${JSON.stringify(r)}`);
  }
  const c = process.cpuUsage(c0); x.cpu += c.user + c.system; x.n += to - from; x.wall += process.hrtime.bigint() - w0;
}

const ratios = dists.map(() => ({ cpu: [], wall: [] }));
const chunk = batch * 8;
for (let r = 0; r < rounds; r++) {
  // Per dist: [no outbox, outbox].
  const xs = mods.map((m) => [mk(m, false), mk(m, true)]);
  const all = xs.flat();
  for (let i = 0, c = 0; i < messages; i += chunk, c++) {
    const to = Math.min(i + chunk, messages);
    // Rotate who goes first, so no engine always runs right after the same other one.
    for (let k = 0; k < all.length; k++) run(all[(k + c) % all.length], i, to);
  }
  const line = xs.map(([a, b], d) => {
    ratios[d].cpu.push(b.cpu / a.cpu); ratios[d].wall.push(Number(b.wall) / Number(a.wall));
    return `${dists[d][0]}: no outbox ${(a.cpu / a.n).toFixed(2)} us/msg, outbox ${(b.cpu / b.n).toFixed(2)} us/msg, CPU ratio ${(b.cpu / a.cpu).toFixed(3)}, wall ratio ${(Number(b.wall) / Number(a.wall)).toFixed(3)}`;
  });
  console.log(`round ${r + 1}: ${line.join(' | ')}`);
  for (const x of all) { x.store.close(); fs.rmSync(x.stateDir, { recursive: true, force: true }); }
}
const med = (a) => a.slice().sort((p, q) => p - q)[Math.floor(a.length / 2)];
for (let d = 0; d < dists.length; d++) {
  console.log(`${dists[d][0]}: median CPU ratio ${med(ratios[d].cpu).toFixed(3)} (${ratios[d].cpu.map((v) => v.toFixed(3)).join(' / ')}), wall ratio ${med(ratios[d].wall).toFixed(3)} (${messages} messages, ${rounds} rounds, ${process.env.AB_DIR || '/dev/shm'})`);
}
