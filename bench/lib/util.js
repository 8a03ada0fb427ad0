'use strict';
/**
 * Small helpers shared by the benchmarks: statistics, child processes we start (and only those
 * are ever signalled, by PID), wall time and peak RSS of one process from exec to exit.
 */
const { spawn, fork, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function percentile(values, p) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[idx];
}

const median = (v) => percentile(v, 50);

/** Every child we start is tracked so that an interrupted run stops them (by PID, nothing else). */
const children = new Set();

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function killAll() {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      try { process.kill(c.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }
}

process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { killAll(); process.exit(130); });
}

function tmpDir(tag) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `dhcpmgr-bench-${tag}-`));
}

/** Wait for a child's exit, with a bound; a child still running at the deadline is killed. */
function waitExit(child, timeoutMs) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode, timedOut: false });
      return;
    }
    const timer = setTimeout(() => {
      try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut: signal === 'SIGKILL' && code === null });
    });
  });
}

/**
 * Run `cmd args` to completion with stdio ignored; returns its wall time (ms, from spawn to
 * exit) and exit code. Used for start-up costs, so nothing else runs in this process meanwhile.
 */
async function timeRun(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const child = track(spawn(cmd, args, { stdio: ['ignore', 'ignore', opts.stderr ? 'pipe' : 'ignore'], env: opts.env }));
  let err = '';
  if (child.stderr) child.stderr.on('data', (d) => { err += d; });
  const r = await waitExit(child, opts.timeoutMs ?? 10000);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, code: r.code, signal: r.signal, stderr: err };
}

const HAVE_GNU_TIME = (() => {
  try {
    execFileSync('/usr/bin/time', ['-f', '%M', 'true'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
})();

/** Peak RSS (KiB) of one run via GNU time's %M (max resident set size of the child). */
async function peakRssRun(cmd, args, opts = {}) {
  if (!HAVE_GNU_TIME) throw new Error('/usr/bin/time (GNU time) is missing: apt-get install -y time');
  const outFile = path.join(opts.tmp ?? os.tmpdir(), `rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const child = track(spawn('/usr/bin/time', ['-f', '%M', '-o', outFile, cmd, ...args], { stdio: 'ignore', env: opts.env }));
  const r = await waitExit(child, opts.timeoutMs ?? 10000);
  const kib = Number(fs.readFileSync(outFile, 'utf8').trim().split('\n').pop());
  fs.rmSync(outFile, { force: true });
  return { kib, code: r.code };
}

/** Current RSS (KiB) of a running process, from /proc. */
function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** RSS split (KiB) from /proc/PID/status: rss, anon (private: heap, stacks, malloc), file (mapped code). */
function memKiB(pid) {
  const t = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const get = (k) => { const m = new RegExp(`${k}:\\s+(\\d+)`).exec(t); return m ? Number(m[1]) : NaN; };
  return { rss: get('VmRSS'), anon: get('RssAnon'), file: get('RssFile') };
}

/** Fork a worker script in bench/workers; messages from it arrive through `onMessage`. */
function forkWorker(name, args, opts = {}) {
  return track(fork(path.join(__dirname, '..', 'workers', name), args.map(String), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: opts.execArgv ?? [],
    env: { ...process.env, ...(opts.env ?? {}) },
  }));
}

/** Resolve with the first IPC message from `child` that satisfies `pred`, or reject on timeout/exit. */
function waitMessage(child, pred, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    const onMsg = (m) => { if (pred(m)) { cleanup(); resolve(m); } };
    const onExit = (code) => { cleanup(); reject(new Error(`${what}: worker exited (code ${code}) before answering`)); };
    const timer = setTimeout(() => { cleanup(); reject(new Error(`${what}: no answer within ${timeoutMs} ms`)); }, timeoutMs);
    function cleanup() {
      clearTimeout(timer);
      child.removeListener('message', onMsg);
      child.removeListener('exit', onExit);
    }
    child.on('message', onMsg);
    child.once('exit', onExit);
  });
}

/**
 * A free loopback TCP port of 26000-26999, or of the 1000 from BENCH_PORT_BASE when it is set (so
 * that runs sharing the machine keep to their own ranges), for the HTTP API and TCP nanomsg
 * endpoints. Not one
 * the kernel picks (bind to 0): that comes from the ephemeral range (32768-60999), where an
 * outgoing connection of any program can take it or leave a TIME_WAIT on it before the manager
 * binds it. Ports handed out by this process are not given twice.
 */
const handedOut = new Set();
const PORT_BASE = Number(process.env.BENCH_PORT_BASE) || 26000;
async function freePort() {
  const net = require('net');
  const bindable = (port) => new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
  for (let i = 0; i < 50; i++) {
    const port = PORT_BASE + Math.floor(Math.random() * 1000);
    if (handedOut.has(port) || !(await bindable(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free loopback TCP port in ${PORT_BASE}-${PORT_BASE + 999} after 50 tries`);
}

/** A captured client call ({event, env}): plugin-msg's parser of the `.env` captures. */
const { readCapture } = require('@dhcpmgr/plugin-msg/testing');

/** The environment busybox udhcpc gave a real script on `bound` (bench/fixtures). */
const BOUND_ENV_FILE = path.join(ROOT, 'bench', 'fixtures', 'udhcpc-bound.env');

const fmt = {
  ms: (v) => `${v.toFixed(v < 10 ? 2 : 1)} ms`,
  mib: (kib) => `${(kib / 1024).toFixed(1)} MiB`,
  rate: (v) => `${Math.round(v).toLocaleString('en-US')}/s`,
  ratio: (v) => `${v.toFixed(2)}x`,
};

module.exports = {
  ROOT, sleep, percentile, median, track, killAll, tmpDir, waitExit, timeRun, peakRssRun, rssKiB, memKiB,
  HAVE_GNU_TIME, forkWorker, waitMessage, freePort, fmt, readCapture, BOUND_ENV_FILE,
};
