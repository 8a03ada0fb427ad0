'use strict';
/**
 * The C load generator (bench/c/loadgen.c): compiled once per run with gcc against libnanomsg
 * (Debian libnanomsg-dev) into the temp dir, then spawned as separate processes.
 */
const { execFileSync, spawn } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { track, waitExit, tmpDir } = require('./util');
const { framePool, v4Frame, v6Frame } = require('./messages');

const SRC = path.join(__dirname, '..', 'c', 'loadgen.c');
let binary;

function build() {
  if (binary) return binary;
  const src = fs.readFileSync(SRC);
  const hash = crypto.createHash('sha256').update(src).digest('hex').slice(0, 12);
  const out = path.join(os.tmpdir(), `dhcpmgr-bench-loadgen-${hash}`);
  if (!fs.existsSync(out)) {
    try {
      execFileSync('gcc', ['-O2', '-o', out, SRC, '-lnanomsg', '-lpthread'], { stdio: 'pipe' });
    } catch (err) {
      throw new Error(`cannot build the C load generator (needs gcc and libnanomsg-dev): ${String(err.stderr ?? err.message).trim()}`);
    }
  }
  binary = out;
  return out;
}

/** Write frames for `interfaces` names (mixed v4/v6) to a file; returns its path. */
function legacyFrameFile(dir, interfaces, seed, n = 4096) {
  const file = path.join(dir, `frames-${interfaces}-${seed}.bin`);
  fs.writeFileSync(file, Buffer.concat(framePool(n, interfaces, seed)));
  return file;
}

/** 16 frames per REQ thread, all for that thread's own interface (so its events stay in order). */
function ackedFrameFile(dir, threads, ifBase) {
  const file = path.join(dir, `acked-${threads}-${ifBase}.bin`);
  const bufs = [];
  for (let t = 0; t < threads; t++) for (let k = 0; k < 16; k++) bufs.push(k % 2 === 0 ? v4Frame(ifBase + t, k) : v6Frame(ifBase + t, k));
  fs.writeFileSync(file, Buffer.concat(bufs));
  return file;
}

/**
 * Start one loadgen process. Resolves with its JSON report. With `hold`, a pusher keeps its
 * socket open after the report until `release()` (libnanomsg has no linger; closing early loses
 * frames still buffered), and `exited` resolves when it has gone.
 */
function start(args, { hold = false, timeoutMs = 300000 } = {}) {
  const child = track(spawn(build(), args.map(String), { stdio: [hold ? 'pipe' : 'ignore', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  let resolveReport;
  let rejectReport;
  const report = new Promise((res, rej) => { resolveReport = res; rejectReport = rej; });
  child.stdout.on('data', (d) => {
    out += d;
    if (out.includes('\n')) resolveReport(JSON.parse(out.split('\n')[0]));
  });
  child.stderr.on('data', (d) => { err += d; });
  const exited = waitExit(child, timeoutMs).then((r) => {
    if (r.code !== 0 || !out.trim()) {
      const e = new Error(`loadgen ${args[0]} failed (code ${r.code}, signal ${r.signal}): ${err.trim()}`);
      rejectReport(e);
      throw e;
    }
    return r;
  });
  exited.catch(() => {});
  let reported = false;
  report.then(() => { reported = true; }, () => {});
  // A pusher still blocked in nn_send when the budget ended is stopped (by its PID): its
  // remaining frames are not part of the measurement.
  const release = () => {
    if (!reported && child.exitCode === null) { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }
    if (child.stdin && !child.stdin.destroyed) child.stdin.end();
    return exited.catch(() => undefined);
  };
  return { report, release, exited };
}

/** Run one loadgen process to its end; resolves with its report. */
async function run(args, timeoutMs = 300000) {
  const p = start(args, { timeoutMs });
  await p.exited;
  return p.report;
}

module.exports = { build, legacyFrameFile, ackedFrameFile, run, start, tmpDir };
