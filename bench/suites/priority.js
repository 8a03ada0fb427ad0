'use strict';
/**
 * 7. Priorities under load: 2 C pushers flood ONE interface (bench0) with renewals on the legacy
 * channel, as fast as the manager reads them; meanwhile a quiet interface (quiet0: one JS PUSH
 * socket, 100 renewals/s, like a plugin) and acked senders (4 REQ sockets, 200 requests/s,
 * interfaces bench100-103) keep going. The same quiet sender and acked senders run first on the
 * idle manager (same process, same rates): that is the baseline. Two managers:
 * - `--batch-size 32`: the legacy receiver reads up to 256 frames per wake-up and a drain commits
 *   32, so the manager's own queue fills to --queue-limit and the flood is dropped there: the case
 *   the queue's lanes are for (monitor/queue.ts);
 * - defaults (batch 256): reading and committing keep pace, the queue stays short and the flood's
 *   backlog waits in nanomsg, whose fair queueing across connections serves the quiet sender.
 * Both with --durability normal, so that the WAL fsync (shared by everything committed before
 * it, docs/performance.md) does not hide the queueing. Rows:
 * - acked round trip p99 (measured by the senders) under the flood beside idle;
 * - the quiet interface's send-to-event p99 (from its send to its lease event on the PUB socket,
 *   so nanomsg transit and the publish are included) beside the flooded interface's
 *   receive-to-commit p99 (the manager's histogram over the flood window; the flood's items are
 *   more than 99% of it);
 * - overload drops per interface (dhcpmgr_overload_dropped_by_interface_total), with the quiet
 *   sender's own count of events received, which does not depend on that metric.
 */
const fs = require('fs');
const cload = require('../lib/cload');
const { ackedRun } = require('../lib/load');
const { startManager, histogramQuantile, httpGet, sumMetric } = require('../lib/manager');
const { forkWorker, waitMessage, waitExit, percentile, sleep, tmpDir } = require('../lib/util');

const QUIET = 'quiet0';
const FLOODED = 'bench0';

function delta(after, before) {
  const key = (s) => `${s.name}${JSON.stringify(s.labels)}`;
  const prev = new Map(before.map((s) => [key(s), s.value]));
  return after.map((s) => ({ ...s, value: s.value - (prev.get(key(s)) ?? 0) }));
}

const ms = (v) => (v === undefined || Number.isNaN(v) ? 'n/a' : `${v.toFixed(2)} ms`);
/** The histogram's last finite bucket is 1 s: a quantile beyond it reads as 1000 ms. */
const r2c = (v) => (v >= 1000 ? '> 1 s' : ms(v));

/** The quiet sender and the acked senders at once, for `secs`. */
async function probes(mgr, probe, topic, secs) {
  const quietRate = 100;
  const ackRate = 200;
  const quiet = waitMessage(probe, (m) => m.done || m.error, 60000, 'quiet sender');
  probe.send({ go: true, topic, count: quietRate * secs, rate: quietRate });
  const acked = await ackedRun(mgr.endpoints.ack, { procs: 1, sockets: 4, perProc: ackRate * secs, rate: ackRate, ifBase: 100, secs });
  const q = await quiet;
  if (q.error) throw new Error(`quiet sender: ${q.error}`);
  return {
    quiet: { sent: q.sent, received: q.received, p50: percentile(q.latUs, 50) / 1000, p99: percentile(q.latUs, 99) / 1000 },
    acked: { statuses: acked.statuses, answered: acked.answered, p50: percentile(acked.rttUs, 50) / 1000, p99: percentile(acked.rttUs, 99) / 1000 },
  };
}

/** Drops by interface label from /metrics (absent on a manager without the metric). */
function dropsByInterface(samples) {
  const out = {};
  for (const s of samples) if (s.name === 'dhcpmgr_overload_dropped_by_interface_total' && s.value) out[s.labels.ifname] = s.value;
  return out;
}

/** Idle, then under the flood, on one manager started with `flags`. */
async function scenario(ctx, flags, tag, secs) {
  const mgr = await startManager(flags, { tag });
  const dir = tmpDir(tag);
  const probe = forkWorker('probe.js', [mgr.endpoints.listen, mgr.endpoints.events, QUIET]);
  let flood;
  try {
    await waitMessage(probe, (m) => m.ready, 15000, 'quiet sender start');
    probe.send({ warm: true });
    let instance;
    for (let i = 0; i < 200 && instance === undefined; i++) {
      await sleep(25);
      const leases = JSON.parse((await httpGet(`${mgr.url}/api/v1/leases`)).body).leases;
      instance = leases.find((l) => l.ifname === QUIET && l.version === 4)?.instance;
    }
    if (instance === undefined) throw new Error(`${QUIET} never showed up in /api/v1/leases`);
    const topic = `Device.DHCPv4.Client.${instance}.Events`;

    const idle = await probes(mgr, probe, topic, secs);
    // Every frame for bench0, far more than the window needs; the pushers are stopped (by PID)
    // once the probes are done.
    const frames = cload.legacyFrameFile(dir, 1, 0);
    const before = await mgr.metrics();
    flood = [0, 1].map(() => cload.start(['push', mgr.endpoints.listen, frames, 1464, 100_000_000], { hold: true }));
    // Until the flood runs at full speed: 20,000 frames handed on or dropped.
    const moved = (m) => sumMetric(m, 'dhcpmgr_messages_total', { channel: 'legacy' }) + sumMetric(m, 'dhcpmgr_overload_dropped_total');
    for (let i = 0; i < 200 && moved(await mgr.metrics()) - moved(before) < 20000; i++) await sleep(25);
    const start = await mgr.metrics();
    const loaded = await probes(mgr, probe, topic, secs);
    const end = await mgr.metrics();
    await Promise.all(flood.map((p) => p.release()));
    flood = undefined;
    const d = delta(end, start);
    const r = {
      idle, loaded,
      floodP99: histogramQuantile(d, 'dhcpmgr_receive_to_commit_seconds', 0.99) * 1000,
      floodP50: histogramQuantile(d, 'dhcpmgr_receive_to_commit_seconds', 0.5) * 1000,
      handed: sumMetric(d, 'dhcpmgr_messages_total', { channel: 'legacy' }),
      dropped: sumMetric(d, 'dhcpmgr_overload_dropped_total', { channel: 'legacy' }),
      byIf: dropsByInterface(d),
      // A manager from before the per-interface counter (BENCH_MANAGER_BIN) has no such field.
      perInterface: 'overloadByInterface' in (await mgr.status()),
    };
    ctx.log(`${tag}: idle quiet p99 ${ms(idle.quiet.p99)} (${idle.quiet.received}/${idle.quiet.sent}), acked p99 ${ms(idle.acked.p99)} ${JSON.stringify(idle.acked.statuses)}`);
    ctx.log(`${tag}: flood ${r.handed} legacy handed on, ${r.dropped} dropped ${JSON.stringify(r.byIf)}; flooded r2c p99 ${r2c(r.floodP99)}; quiet p99 ${ms(loaded.quiet.p99)} (${loaded.quiet.received}/${loaded.quiet.sent}); acked p99 ${ms(loaded.acked.p99)} ${JSON.stringify(loaded.acked.statuses)}`);
    return r;
  } finally {
    if (flood) await Promise.all(flood.map((p) => p.release()));
    if (probe.connected) probe.send({ stop: true });
    await waitExit(probe, 5000);
    await mgr.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function rows(r, label, secs) {
  const applied = (a) => a.statuses.applied ?? 0;
  const quietLost = r.loaded.quiet.sent - r.loaded.quiet.received;
  const quietDrops = r.perInterface ? r.byIf[QUIET] ?? 0 : quietLost;
  return [
    {
      group: 'priority', what: `acked round trip p99 under a legacy flood, ${label}`, result: ms(r.loaded.acked.p99),
      baseline: `${ms(r.idle.acked.p99)} (idle)`, ratio: `${(r.loaded.acked.p99 / r.idle.acked.p99).toFixed(2)}x`,
      value: r.loaded.acked.p99, baseValue: r.idle.acked.p99,
      note: `p50 ${ms(r.loaded.acked.p50)} (idle ${ms(r.idle.acked.p50)}); ${applied(r.loaded.acked)} of ${r.loaded.acked.answered} applied (idle ${applied(r.idle.acked)} of ${r.idle.acked.answered}); 4 REQ sockets at up to 200/s for ${secs} s`,
    },
    {
      group: 'priority', what: `quiet interface p99 (send to event) beside the flooded one's (receive to commit), ${label}`, result: ms(r.loaded.quiet.p99),
      baseline: `${r2c(r.floodP99)} (flooded ${FLOODED})`, ratio: `${r.floodP99 >= 1000 ? '< ' : ''}${(r.loaded.quiet.p99 / r.floodP99).toFixed(3)}x`,
      value: r.loaded.quiet.p99, baseValue: r.floodP99,
      note: `quiet p50 ${ms(r.loaded.quiet.p50)}, idle p99 ${ms(r.idle.quiet.p99)}; flooded p50 ${r2c(r.floodP50)} (histogram estimate over every item of the window); ${QUIET} at 100/s for ${secs} s`,
    },
    {
      group: 'priority', what: `overload drops per interface during the flood, ${label}`, result: r.perInterface ? `${FLOODED} ${r.byIf[FLOODED] ?? 0}, ${QUIET} ${quietDrops}` : `${QUIET} ${quietDrops} lost (its sender's count; no per-interface counter)`,
      baseline: '', ratio: '', target: `${QUIET}: 0`, pass: quietDrops === 0, value: quietDrops,
      note: `legacy frames dropped ${r.dropped}, handed to the engine ${r.handed}; ${QUIET}: ${r.loaded.quiet.received} of ${r.loaded.quiet.sent} events seen by its sender${quietLost ? ' (the rest lost on the way or late)' : ''}; acked replies ${JSON.stringify(r.loaded.acked.statuses)}; by label ${JSON.stringify(r.byIf)}`,
    },
  ];
}

module.exports = {
  title: 'priorities under load: one interface floods the legacy channel',
  async run(ctx) {
    const secs = ctx.quick ? 2 : 10;
    const full = await scenario(ctx, ['--durability', 'normal', '--batch-size', '32'], 'prio-full', secs);
    const dflt = await scenario(ctx, ['--durability', 'normal'], 'prio-default', secs);
    return [...rows(full, 'queue full (--batch-size 32)', secs), ...rows(dflt, 'defaults', secs)];
  },
};
