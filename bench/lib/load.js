'use strict';
/**
 * Load runs shared by the suites. All load comes from forked worker processes; the parent only
 * starts them together and reads the receiver's count (the baseline worker's, or the manager's
 * counters over HTTP).
 */
const fs = require('fs');
const path = require('path');
const { forkWorker, waitMessage, tmpDir, waitExit } = require('./util');
const cload = require('./cload');

/** Fork `n` pushers (each sending `perPusher` frames) and wait until all are connected. */
async function startPushers(addr, n, perPusher, interfaces, rate = 0) {
  const ws = [];
  for (let i = 0; i < n; i++) ws.push(forkWorker('pusher.js', [addr, perPusher, interfaces, i * 7919, rate]));
  await Promise.all(ws.map((w) => waitMessage(w, (m) => m.ready, 15000, 'pusher start')));
  return ws;
}

/** Tell the pushers to go; resolves with the start time (ns) and a promise of their reports. */
function go(workers, timeoutMs = 300000) {
  const reports = Promise.all(workers.map((w) => waitMessage(w, (m) => m.done || m.error, timeoutMs, 'pusher')));
  const t0 = process.hrtime.bigint();
  for (const w of workers) w.send({ go: true });
  return { t0, reports };
}

async function reap(workers) {
  await Promise.all(workers.map((w) => waitExit(w, 5000)));
}

/** Baseline: C pushers into a bare nanomsg-package PULL that only counts. Messages/s. */
async function bareBaseline({ pushers, perPusher, interfaces }) {
  const dir = tmpDir('pull');
  const addr = `ipc://${dir}/pull.sock`;
  const total = pushers * perPusher;
  const rx = forkWorker('pull-count.js', [addr, total]);
  await waitMessage(rx, (m) => m.ready, 10000, 'baseline receiver');
  const done = waitMessage(rx, (m) => m.done || m.error, 120000, 'baseline receiver');
  const t0 = process.hrtime.bigint();
  const ps = cPushers(dir, addr, pushers, perPusher, interfaces);
  const timeout = setTimeout(() => rx.connected && rx.send({ stop: true }), 60000);
  const r = await done;
  clearTimeout(timeout);
  await ps.release();
  await waitExit(rx, 5000);
  fs.rmSync(dir, { recursive: true, force: true });
  if (r.error) throw new Error(`baseline receiver: ${r.error}`);
  const secs = Number(BigInt(r.lastNs) - t0) / 1e9;
  return { rate: r.count / secs, count: r.count, secs };
}

/** Start C pushers; `sent` resolves when all sent everything, `release()` lets them close. */
function cPushers(dir, addr, pushers, perPusher, interfaces) {
  const ps = [];
  for (let i = 0; i < pushers; i++) {
    ps.push(cload.start(['push', addr, cload.legacyFrameFile(dir, interfaces, i * 7919), 1464, perPusher], { hold: true }));
  }
  const sent = Promise.all(ps.map((p) => p.report));
  // A pusher stopped at the end of the budget rejects its report; that is not a failure here.
  sent.catch(() => undefined);
  return {
    sent,
    release: () => Promise.all(ps.map((p) => p.release())),
  };
}

/**
 * The same C pushers into the manager's legacy PULL; rate = messages applied (read from
 * /metrics) over the time from the start to the last counter increase.
 */
async function managerLegacy(mgr, { pushers, perPusher, interfaces, idleMs = 3000, budgetMs = 60000 }) {
  const before = await mgr.counts();
  const total = pushers * perPusher;
  const t0 = process.hrtime.bigint();
  const ps = cPushers(mgr.dir, mgr.endpoints.listen, pushers, perPusher, interfaces);
  const end = await mgr.waitApplied(before.applied + before.rejected + total, { idleMs, timeoutMs: budgetMs });
  await ps.release();
  const applied = end.applied - before.applied;
  const rejected = end.rejected - before.rejected;
  const secs = Number(end.atNs - t0) / 1e9;
  const complete = applied + rejected >= total;
  return { rate: applied / secs, applied, rejected, total, secs, complete, samples: end.samples };
}

/** C REQ senders (one process, `threads` sockets), closed loop: acked leases/s and RTTs. */
async function cAcked(addr, { threads, count, ifBase = 0 }) {
  const dir = tmpDir('acked');
  try {
    const r = await cload.run(['req', addr, cload.ackedFrameFile(dir, threads, ifBase), 1464, count, threads]);
    return { rate: r.ok / (r.ns / 1e9), ok: r.ok, sent: r.sent, p50us: r.p50us, p99us: r.p99us, secs: r.ns / 1e9 };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Baseline for the acked channel: C REQ senders against a REP that acknowledges at once; `workers`
 * 0: one bare nanomsg-package REP socket, >= 1: the manager's transport with that many workers.
 */
async function bareRepC(opts, workers = 0) {
  const dir = tmpDir('rep');
  const addr = `ipc://${dir}/rep.sock`;
  const rep = forkWorker('rep-echo.js', [addr, workers]);
  await waitMessage(rep, (m) => m.ready, 10000, 'baseline REP');
  try {
    return await cAcked(addr, opts);
  } finally {
    if (rep.connected) rep.send({ stop: true });
    await waitExit(rep, 5000);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Acked senders: `procs` processes x `sockets` REQ sockets, closed loop or paced (for at most `secs` when set). */
async function ackedRun(addr, { procs, sockets, perProc, rate = 0, ifBase = 0, secs: forSecs = 0 }) {
  const ws = [];
  for (let p = 0; p < procs; p++) ws.push(forkWorker('acker.js', [addr, perProc, sockets, ifBase + p * sockets, rate, forSecs]));
  await Promise.all(ws.map((w) => waitMessage(w, (m) => m.ready, 15000, 'acked sender start')));
  const reports = Promise.all(ws.map((w) => waitMessage(w, (m) => m.done || m.error, 300000, 'acked sender')));
  const t0 = process.hrtime.bigint();
  for (const w of ws) w.send({ go: true });
  const rs = await reports;
  await reap(ws);
  const err = rs.find((m) => m.error);
  if (err) throw new Error(`acked sender: ${err.error}`);
  const t1 = rs.reduce((mx, r) => (BigInt(r.t1) > mx ? BigInt(r.t1) : mx), 0n);
  const statuses = {};
  for (const r of rs) for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  const rttUs = rs.flatMap((r) => r.rttUs);
  const late = rs.reduce((s, r) => s + r.late, 0);
  const secs = Number(t1 - t0) / 1e9;
  return { statuses, rttUs, late, secs, rate: (statuses.applied ?? 0) / secs, answered: rttUs.length };
}

/** Baseline for the acked channel: the same senders against a bare REP that acks at once. */
async function bareRep(opts) {
  const dir = tmpDir('rep');
  const addr = `ipc://${dir}/rep.sock`;
  const rep = forkWorker('rep-echo.js', [addr]);
  await waitMessage(rep, (m) => m.ready, 10000, 'baseline REP');
  try {
    return await ackedRun(addr, opts);
  } finally {
    if (rep.connected) rep.send({ stop: true });
    await waitExit(rep, 5000);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { startPushers, go, bareBaseline, managerLegacy, ackedRun, bareRep, cAcked, bareRepC, path };
