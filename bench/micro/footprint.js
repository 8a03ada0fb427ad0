'use strict';
/**
 * Where the manager's memory goes: one fresh node process per row, each loading one more part of
 * the manager than the row before, in the order the daemon loads them; each then gives memory
 * back the way the daemon does (dist/memory.js: one full collection in V8's memory-saving mode)
 * and waits for V8's memory reducer before /proc/PID/status and smaps are read. The last rows are
 * the real daemon (dist/bin.js start) in its default configuration, before and after its own
 * memory release.
 *
 *   node bench/micro/footprint.js [--settle-ms 14000]
 *
 * Prints, per row: RSS, private (RssAnon), mapped code (RssFile) and the resident part of the
 * node binary itself, and the step from the row before. Not a test: it never fails on a figure.
 */
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { memKiB, sleep } = require('../lib/util');

const ROOT = path.join(__dirname, '..', '..');
const DIST = path.join(ROOT, 'packages', 'dhcp-manager', 'dist');
const settleMs = Number(process.argv[process.argv.indexOf('--settle-ms') + 1]) || 14000;

/** Cumulative parts; each row's code runs after the previous rows' code. */
const PARTS = [
  ['node + nanomsg addon + bound PULL socket (the baseline)', `
    const nano = require('nanomsg'); const s = nano.socket('pull'); s.bind('ipc://' + dir + '/pull.sock'); s.on('data', () => {});`],
  ['+ yargs (the CLI, parsing the start options)', `
    const { resolveConfig } = require(DIST + '/config.js'); resolveConfig({});`],
  ['+ pino (the logger)', `
    const log = require('pino')({ level: 'warn' });`],
  ['+ the metrics (metrics.js and our registry, metrics-registry.js)', `
    const { ManagerMetrics } = require(DIST + '/metrics.js'); const metrics = new ManagerMetrics();`],
  ['+ better-sqlite3 + the store (open, schema, WAL)', `
    const { DurableStore } = require(DIST + '/store/durable.js');
    const durable = new DurableStore({ stateDir: dir + '/state', durability: 'normal', historyPerInterface: 100, onError: () => undefined });`],
  ['+ the engine and model (lease state, TR-181 tree)', `
    const { Engine } = require(DIST + '/engine.js'); const { PubSink } = require(DIST + '/publisher.js');
    const engine = new Engine(durable.store, { abi: 'auto' }, { logger: log, metrics, sink: new PubSink(null), keeper: durable.keeper });`],
  ['+ the HTTP API and the status page (node:http)', `
    const { startHttp } = require(DIST + '/http/server.js');
    startHttp({ get: (p) => engine.get(p), leases: () => engine.leases(), history: () => [], status: () => ({}), metrics: async () => ({ contentType: 'text/plain', body: '' }), subscribe: () => () => undefined },
      '127.0.0.1', 0, () => undefined, { page: true });`],
];

/** Each row's process gives memory back, waits for V8's reducer, then says so and waits to be read. */
const RELEASE = `
  const { IdleRelease } = require(DIST + '/memory.js');
  const r = new IdleRelease({ idleMs: 0 }); r.check();
  setTimeout(() => process.stdout.write('ready\\n'), SETTLE_MS);
  setInterval(() => undefined, 1 << 30);`;

/** /proc/PID: RSS, private and code (memKiB), and the resident part of the node binary's mapping. */
function read(pid) {
  let cur = '';
  let bin = 0;
  for (const l of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    if (/^[0-9a-f]+-/.test(l)) cur = l.split(/\s+/)[5] || '';
    else if (l.startsWith('Rss:') && cur === process.execPath) bin += Number(l.split(/\s+/)[1]);
  }
  return { ...memKiB(pid), bin };
}

async function stop(child, dir) {
  child.kill('SIGTERM');
  if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.on('exit', r));
  fs.rmSync(dir, { recursive: true, force: true });
}

/** One row: its code in a fresh process, read from outside once the process says it is ready. */
function runScript(code) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dhcpmgr-footprint-'));
  const file = path.join(dir, 'row.js');
  fs.writeFileSync(file, `'use strict';\nconst dir = ${JSON.stringify(dir)}; const DIST = ${JSON.stringify(DIST)}; const SETTLE_MS = ${settleMs};\nmodule.paths.unshift(${JSON.stringify(path.join(ROOT, 'node_modules'))});\n${code}`);
  const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (!out.includes('ready\n')) return;
      const r = read(child.pid);
      stop(child, dir).then(() => resolve(r), reject);
    });
    child.on('exit', (code) => { if (!out.includes('ready\n')) reject(new Error(`row failed (exit ${code}): ${out}`)); });
  });
}

/** The real daemon: read at 3 s (before its release) and after release + settle. */
async function daemonRows() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dhcpmgr-footprint-'));
  const port = 26000 + Math.floor(Math.random() * 1000);
  const child = spawn(process.execPath, [path.join(DIST, 'bin.js'), 'start', '--state-dir', `${dir}/state`, '--spool-dir', `${dir}/spool`,
    '--listen', `ipc://${dir}/l.sock`, '--ack-listen', `ipc://${dir}/a.sock`, '--events', `ipc://${dir}/e.sock`, '--http', `127.0.0.1:${port}`,
    '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
  await sleep(3000);
  const early = read(child.pid);
  await sleep(5000 + settleMs);
  const late = read(child.pid);
  await stop(child, dir);
  return [['the daemon, default configuration, 3 s after start (before its memory release)', early],
    [`the daemon, default configuration, after its memory release (+${(5000 + settleMs) / 1000} s)`, late]];
}

(async () => {
  const rows = await Promise.all(PARTS.map((_, i) => runScript(PARTS.slice(0, i + 1).map((p) => p[1]).join('\n') + RELEASE)));
  const all = PARTS.map((p, i) => [p[0], rows[i]]).concat(await daemonRows());
  const mib = (k) => (k / 1024).toFixed(1).padStart(6);
  const step = (k) => `${k >= 0 ? '+' : ''}${(k / 1024).toFixed(1)}`.padStart(6);
  console.log(`${'part'.padEnd(84)} |    RSS | private |  code | node binary | step RSS | step private | step code`);
  let prev;
  for (const [i, [name, r]] of all.entries()) {
    console.log(`${name.padEnd(84)} | ${mib(r.rss)} | ${mib(r.anon)}  | ${mib(r.file)} | ${mib(r.bin)}      | ${prev ? step(r.rss - prev.rss) : '      '}   | ${prev ? step(r.anon - prev.anon) : '      '}       | ${prev ? step(r.file - prev.file) : ''}`);
    // The daemon's rows are both stepped from the last part.
    if (i < PARTS.length) prev = r;
  }
  console.log(`(MiB; settle ${settleMs} ms after each release; node ${process.version})`);
})().catch((err) => { console.error(err); process.exit(1); });
