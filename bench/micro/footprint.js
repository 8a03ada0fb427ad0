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
  ['+ prom-client (the metrics registry)', `
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

const RELEASE = `
  const { IdleRelease } = require(DIST + '/memory.js');
  const r = new IdleRelease({ idleMs: 0 }); r.check();
  setTimeout(report, SETTLE_MS);`;

const REPORT = `
  function report() {
    const fs = require('fs');
    const st = fs.readFileSync('/proc/self/status', 'utf8');
    const get = (k) => Number(new RegExp(k + ':\\\\s+(\\\\d+)').exec(st)[1]);
    let cur = '', bin = 0;
    for (const l of fs.readFileSync('/proc/self/smaps', 'utf8').split('\\n')) {
      if (/^[0-9a-f]+-/.test(l)) cur = l.split(/\\s+/)[5] || '';
      else if (l.startsWith('Rss:') && cur === process.execPath) bin += Number(l.split(/\\s+/)[1]);
    }
    const m = process.memoryUsage();
    process.stdout.write(JSON.stringify({ rss: get('VmRSS'), anon: get('RssAnon'), file: get('RssFile'), bin, heapTotal: m.heapTotal >> 10, heapUsed: m.heapUsed >> 10 }) + '\\n');
    process.exit(0);
  }`;

function runScript(code) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dhcpmgr-footprint-'));
  const file = path.join(dir, 'row.js');
  fs.writeFileSync(file, `'use strict';\nconst dir = ${JSON.stringify(dir)}; const DIST = ${JSON.stringify(DIST)}; const SETTLE_MS = ${settleMs};\nmodule.paths.unshift(${JSON.stringify(path.join(ROOT, 'node_modules'))});\n${REPORT}\n${code}`);
  return collect(spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] }), dir);
}

function collect(child, dir, onLine) {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => { out += d; if (onLine) onLine(out, child); });
    child.on('exit', () => {
      fs.rmSync(dir, { recursive: true, force: true });
      try { resolve(JSON.parse(out.trim().split('\n').pop())); } catch (err) { reject(new Error(`row failed: ${out}`)); }
    });
  });
}

/** The real daemon: /proc read at 3 s (before its release) and after release + settle. */
async function daemonRows() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dhcpmgr-footprint-'));
  const port = 26000 + Math.floor(Math.random() * 1000);
  const child = spawn(process.execPath, [path.join(DIST, 'bin.js'), 'start', '--state-dir', `${dir}/state`, '--spool-dir', `${dir}/spool`,
    '--listen', `ipc://${dir}/l.sock`, '--ack-listen', `ipc://${dir}/a.sock`, '--events', `ipc://${dir}/e.sock`, '--http', `127.0.0.1:${port}`,
    '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const read = () => {
    const st = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const get = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(st)[1]);
    let cur = '', bin = 0;
    for (const l of fs.readFileSync(`/proc/${child.pid}/smaps`, 'utf8').split('\n')) {
      if (/^[0-9a-f]+-/.test(l)) cur = l.split(/\s+/)[5] || '';
      else if (l.startsWith('Rss:') && cur === process.execPath) bin += Number(l.split(/\s+/)[1]);
    }
    return { rss: get('VmRSS'), anon: get('RssAnon'), file: get('RssFile'), bin };
  };
  await new Promise((r) => setTimeout(r, 3000));
  const early = read();
  await new Promise((r) => setTimeout(r, 5000 + settleMs));
  const late = read();
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  fs.rmSync(dir, { recursive: true, force: true });
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
  for (const [name, r] of all) {
    console.log(`${name.padEnd(84)} | ${mib(r.rss)} | ${mib(r.anon)}  | ${mib(r.file)} | ${mib(r.bin)}      | ${prev ? step(r.rss - prev.rss) : '      '}   | ${prev ? step(r.anon - prev.anon) : '      '}       | ${prev ? step(r.file - prev.file) : ''}`);
    if (all.indexOf(all.find((x) => x[1] === r)) < PARTS.length) prev = r;
  }
  console.log(`(MiB; settle ${settleMs} ms after each release; node ${process.version})`);
})().catch((err) => { console.error(err); process.exit(1); });
