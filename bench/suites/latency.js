'use strict';
/**
 * 3. Latency at a steady 1,000 messages/s on the legacy channel (default --durability full):
 * receive-to-commit read from the manager's dhcpmgr_receive_to_commit_seconds histogram (from the
 * receive callback to the end of the commit that made the message durable), over the deltas of
 * the run; quantiles are interpolated inside histogram buckets, so they are estimates to within a
 * bucket (buckets at 1, 1.5, 2, 3 ms around the target). Acked round trip p99 is
 * measured by the sender itself (8 REQ sockets, 1,000 requests/s), beside a bare REP at that rate.
 */
const { startPushers, go, ackedRun, bareRep } = require('../lib/load');
const { startManager, histogramQuantile } = require('../lib/manager');
const { percentile, waitExit } = require('../lib/util');

function delta(after, before) {
  const key = (s) => `${s.name}${JSON.stringify(s.labels)}`;
  const prev = new Map(before.map((s) => [key(s), s.value]));
  return after.map((s) => ({ ...s, value: s.value - (prev.get(key(s)) ?? 0) }));
}

const ms = (v) => (v === undefined ? 'n/a' : `${(v * 1000).toFixed(2)} ms`);

/** Receive-to-commit p50/p99 of a manager started with `flags`, at `rate` legacy msg/s. */
async function steadyR2c(ctx, flags, rate, secs) {
  const mgr = await startManager(flags, { tag: 'latency-normal' });
  try {
    const before = await mgr.metrics();
    const ws = await startPushers(mgr.endpoints.listen, 1, rate * secs, 64, rate);
    await go(ws).reports;
    await Promise.all(ws.map((w) => waitExit(w, 5000)));
    const end = await mgr.waitApplied(Infinity, { idleMs: 1500, timeoutMs: ctx.quick ? 10000 : 60000 });
    const d = delta(end.samples, before);
    return {
      p50: histogramQuantile(d, 'dhcpmgr_receive_to_commit_seconds', 0.5),
      p99: histogramQuantile(d, 'dhcpmgr_receive_to_commit_seconds', 0.99),
      c99: histogramQuantile(d, 'dhcpmgr_commit_seconds', 0.99),
      applied: end.applied,
    };
  } finally {
    await mgr.stop();
  }
}

module.exports = {
  title: 'latency at a steady 1,000 messages/s',
  async run(ctx) {
    const rate = 1000;
    const secs = ctx.quick ? 2 : 15;
    const normal = await steadyR2c(ctx, ['--durability', 'normal'], rate, secs);
    ctx.log(`durability normal: receive-to-commit p50 ${ms(normal.p50)} p99 ${ms(normal.p99)}`);
    const mgr = await startManager([], { tag: 'latency' });
    try {
      const before = (await mgr.metrics());
      const ws = await startPushers(mgr.endpoints.listen, 1, rate * secs, 64, rate);
      const { reports } = go(ws);
      await reports;
      await Promise.all(ws.map((w) => waitExit(w, 5000)));
      const end = await mgr.waitApplied(Infinity, { idleMs: 1500, timeoutMs: ctx.quick ? 10000 : 60000 });
      const d = delta(end.samples, before);
      const h50 = histogramQuantile(d, 'dhcpmgr_handler_seconds', 0.5);
      const h99 = histogramQuantile(d, 'dhcpmgr_handler_seconds', 0.99);
      const c50 = histogramQuantile(d, 'dhcpmgr_commit_seconds', 0.5);
      const c99 = histogramQuantile(d, 'dhcpmgr_commit_seconds', 0.99);
      const r50 = histogramQuantile(d, 'dhcpmgr_receive_to_commit_seconds', 0.5);
      const r99 = histogramQuantile(d, 'dhcpmgr_receive_to_commit_seconds', 0.99);
      const b50 = histogramQuantile(d, 'dhcpmgr_batch_size', 0.5);
      ctx.log(`receive-to-commit p50 ${ms(r50)} p99 ${ms(r99)}; handler p50 ${ms(h50)} p99 ${ms(h99)}; commit p50 ${ms(c50)} p99 ${ms(c99)}`);

      const count = rate * (ctx.quick ? 1 : 10);
      const base = await bareRep({ procs: 1, sockets: 8, perProc: count, rate });
      const acked = await ackedRun(mgr.endpoints.ack, { procs: 1, sockets: 8, perProc: count, rate, ifBase: 100 });
      const b99 = percentile(base.rttUs, 99) / 1000;
      const a99 = percentile(acked.rttUs, 99) / 1000;
      ctx.log(`acked RTT p99 ${a99.toFixed(2)} ms (bare REP ${b99.toFixed(2)} ms); statuses ${JSON.stringify(acked.statuses)}, late ${acked.late}`);
      return [
        {
          group: 'latency', what: 'receive-to-commit p99 (durable, 1,000/s)', result: ms(r99),
          baseline: '', ratio: '', target: '<= 2 ms', pass: r99 !== undefined && r99 <= 0.002, value: r99,
          note: `p50 ${ms(r50)}; handler p50 ${ms(h50)}, p99 ${ms(h99)}; commit (fsync) p50 ${ms(c50)}, p99 ${ms(c99)}; batch size p50 ${b50?.toFixed(1)}; ${secs} s at ${rate}/s, ${end.applied} applied in total`,
        },
        {
          group: 'latency', what: 'receive-to-commit p99 (durability normal, 1,000/s)', result: ms(normal.p99),
          baseline: '', ratio: '', target: '<= 2 ms', pass: normal.p99 !== undefined && normal.p99 <= 0.002, value: normal.p99,
          note: `p50 ${ms(normal.p50)}; commit p99 ${ms(normal.c99)}; WAL without an fsync per commit; ${secs} s at ${rate}/s, ${normal.applied} applied`,
        },
        {
          group: 'latency', what: 'acked round trip p99 at 1,000/s', result: `${a99.toFixed(2)} ms`,
          baseline: `${b99.toFixed(2)} ms (bare REP)`, ratio: `${(a99 / b99).toFixed(2)}x`, target: '<= 5 ms', pass: a99 <= 5,
          value: a99, baseValue: b99,
          note: `p50 ${(percentile(acked.rttUs, 50) / 1000).toFixed(2)} ms; replies ${JSON.stringify(acked.statuses)}; ${acked.late} ticks found all 8 sockets busy (rate not kept)`,
        },
      ];
    } finally {
      await mgr.stop();
    }
  },
};
