'use strict';
/**
 * Start the real manager daemon (the built packages/dhcp-manager/dist/bin.js) on ipc:// endpoints
 * in a fresh temp dir, with its HTTP API on a free loopback port, and read its counters from
 * outside: /metrics (Prometheus text) and /api/v1/status.
 */
const { spawn } = require('child_process');
const fs = require('fs');
const http = require('http');
const path = require('path');
const { ROOT, track, tmpDir, waitExit, sleep, freePort, rssKiB } = require('./util');

const BIN = path.join(ROOT, 'packages', 'dhcp-manager', 'dist', 'bin.js');
/**
 * The manager under test: BENCH_MANAGER_BIN (another build's dist/bin.js, read at each start, so
 * bench/ab.js can switch it per round) or this clone's.
 */
const managerBin = () => (process.env.BENCH_MANAGER_BIN ? path.resolve(process.env.BENCH_MANAGER_BIN) : BIN);

function httpGet(url, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${url}: timeout`)));
  });
}

/** Prometheus text -> [{name, labels, value}]. */
function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[3]) for (const kv of m[3].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[kv[1]] = kv[2];
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

function sumMetric(samples, name, filter = {}) {
  let total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(filter).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}

/** Quantile (0..1) estimated from a Prometheus histogram's cumulative buckets, linear in a bucket. */
function histogramQuantile(samples, name, q, filter = {}) {
  const buckets = new Map();
  for (const s of samples) {
    if (s.name !== `${name}_bucket`) continue;
    if (!Object.entries(filter).every(([k, v]) => s.labels[k] === v)) continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  if (sorted.length === 0) return undefined;
  const total = sorted[sorted.length - 1][1];
  if (!total) return undefined;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (le === Infinity) return prevLe;
      return prevLe + (le - prevLe) * ((rank - prevCount) / Math.max(1, count - prevCount));
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

class Manager {
  constructor(child, dir, endpoints, httpUrl) {
    this.child = child;
    this.dir = dir;
    this.endpoints = endpoints;
    this.url = httpUrl;
  }

  get pid() { return this.child.pid; }

  rssKiB() { return rssKiB(this.child.pid); }

  async metrics() {
    const r = await httpGet(`${this.url}/metrics`);
    if (r.status !== 200) throw new Error(`GET /metrics: HTTP ${r.status}`);
    return parseMetrics(r.body);
  }

  async status() {
    const r = await httpGet(`${this.url}/api/v1/status`);
    if (r.status !== 200) throw new Error(`GET /api/v1/status: HTTP ${r.status}`);
    return JSON.parse(r.body);
  }

  /**
   * From /metrics: messages the manager has finished with (every ingest result, plus legacy
   * frames dropped on a full queue), and of those the ones applied to the model.
   */
  async counts() {
    const s = await this.metrics();
    const applied = sumMetric(s, 'dhcpmgr_ingest_results_total', { status: 'applied' });
    const finished = sumMetric(s, 'dhcpmgr_ingest_results_total') + sumMetric(s, 'dhcpmgr_overload_dropped_total');
    return { applied, rejected: finished - applied, samples: s };
  }

  /**
   * Poll until `applied + rejected >= target` or the count stops moving for `idleMs`.
   * Returns the hrtime (ns) at which the last increase was seen, and the final counts.
   */
  async waitApplied(target, { idleMs = 2000, timeoutMs = 120000, pollMs = 10 } = {}) {
    const deadline = Date.now() + timeoutMs;
    let last = await this.counts();
    let lastChange = process.hrtime.bigint();
    let lastChangeWall = Date.now();
    while (Date.now() < deadline) {
      if (last.applied + last.rejected >= target) break;
      await sleep(pollMs);
      const c = await this.counts();
      if (c.applied + c.rejected !== last.applied + last.rejected) {
        lastChange = process.hrtime.bigint();
        lastChangeWall = Date.now();
      } else if (Date.now() - lastChangeWall > idleMs) {
        last = c;
        break;
      }
      last = c;
    }
    return { atNs: lastChange, ...last };
  }

  async stop(timeoutMs = 15000) {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      process.kill(this.child.pid, 'SIGTERM');
    }
    const r = await waitExit(this.child, timeoutMs);
    fs.rmSync(this.dir, { recursive: true, force: true });
    return r;
  }
}

function available() {
  return fs.existsSync(managerBin());
}

/**
 * Start a manager; resolves once GET /healthz answers 200. `extra` are more CLI flags; `listen`
 * replaces the legacy endpoint (ipc:// in the temp dir by default).
 */
/** `bin`: another build's dist/bin.js (an A/B against it in the same run); default managerBin(). */
async function startManager(extra = [], { tag = 'mgr', stateDir, listen, bin = managerBin() } = {}) {
  if (!fs.existsSync(bin)) throw new Error(`manager not built: ${path.relative(ROOT, bin)} is missing (npm run build)`);
  const dir = tmpDir(tag);
  const port = await freePort();
  const endpoints = {
    listen: listen ?? `ipc://${dir}/pull.sock`,
    ack: `ipc://${dir}/ack.sock`,
    events: `ipc://${dir}/events.sock`,
  };
  const args = [bin, 'start',
    '--listen', endpoints.listen, '--ack-listen', endpoints.ack, '--events', endpoints.events,
    '--http', `127.0.0.1:${port}`, '--state-dir', stateDir ?? path.join(dir, 'state'),
    '--spool-dir', path.join(dir, 'spool'), '--log-level', 'warn',
    // The runs send leases for interfaces no configured client runs, up to thousands of names.
    ...(extra.some((x) => x.startsWith('--accept-unconfigured')) ? [] : ['--accept-unconfigured', '--max-interfaces', '4096']), ...extra];
  const child = track(spawn(process.execPath, [...(process.env.BENCH_MANAGER_NODE_ARGS ? process.env.BENCH_MANAGER_NODE_ARGS.split(' ') : []), ...args], { stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`manager exited at start (code ${child.exitCode}): ${stderr.trim().slice(-1000)}`);
    }
    try {
      const r = await httpGet(`${url}/healthz`, 1000);
      if (r.status === 200) return new Manager(child, dir, endpoints, url);
    } catch { /* not listening yet */ }
    await sleep(50);
  }
  process.kill(child.pid, 'SIGKILL');
  throw new Error(`manager did not answer /healthz within 20 s: ${stderr.trim().slice(-1000)}`);
}

module.exports = { startManager, available, httpGet, parseMetrics, sumMetric, histogramQuantile, BIN };
