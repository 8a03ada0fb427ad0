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

/** Start one loadgen process; resolves with its JSON report. */
function run(args, timeoutMs = 300000) {
  const child = track(spawn(build(), args.map(String), { stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  return waitExit(child, timeoutMs).then((r) => {
    if (r.code !== 0 || !out.trim()) throw new Error(`loadgen ${args[0]} failed (code ${r.code}, signal ${r.signal}): ${err.trim()}`);
    return JSON.parse(out.trim().split('\n').pop());
  });
}

module.exports = { build, legacyFrameFile, ackedFrameFile, run, tmpDir };
