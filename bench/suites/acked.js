'use strict';
/**
 * 2b. Acked channel: 32 concurrent senders (C REQ sockets, one thread each, own interface each),
 * closed loop. Baselines in the same run: a bare nanomsg-package REP that acknowledges at once
 * (one request at a time), and the manager's own transport (raw REP + nn_device + 16 worker REP
 * sockets, plugin-msg bindRep) acknowledging at once without any other work. The manager runs with
 * its defaults (--ack-workers 16, --durability full: one fsync per commit, a commit acknowledges
 * every request that arrived with it), with --durability normal (no fsync per commit; not
 * power-loss safe), and with --ack-workers 1 (one request at a time: the layout before the
 * workers, every acknowledged lease its own commit). Only `applied` replies count.
 */
const { bareRepC, cAcked } = require('../lib/load');
const { startManager } = require('../lib/manager');
const { rateRow } = require('../lib/rows');

async function managerRun(ctx, flags, tag, opts) {
  const mgr = await startManager(flags, { tag });
  try {
    const r = await cAcked(mgr.endpoints.ack, opts);
    const m = await mgr.metrics();
    const sum = (name) => m.filter((s) => s.name === name).reduce((a, s) => a + s.value, 0);
    r.batch = sum('dhcpmgr_batch_size_sum') / Math.max(1, sum('dhcpmgr_batch_size_count'));
    ctx.log(`manager ${flags.join(' ') || '(defaults)'}: ${Math.round(r.rate)}/s (${r.ok} applied of ${r.sent}), p99 ${r.p99us} us, mean batch ${r.batch.toFixed(1)}`);
    return r;
  } finally {
    await mgr.stop();
  }
}

const note = (r) => `${r.ok} applied of ${r.sent} in ${r.secs.toFixed(1)} s; RTT p50 ${(r.p50us / 1000).toFixed(1)} ms, p99 ${(r.p99us / 1000).toFixed(1)} ms; mean commit batch ${r.batch.toFixed(1)}`;

module.exports = {
  title: 'acknowledged channel, 32 concurrent senders',
  async run(ctx) {
    const threads = 32;
    const opts = { threads, count: ctx.quick ? 640 : 6400 };
    const base = await bareRepC({ threads, count: ctx.quick ? 3200 : 32000 });
    ctx.log(`bare REP: ${Math.round(base.rate)}/s, p99 ${base.p99us} us`);
    const baseW = await bareRepC({ threads, count: ctx.quick ? 3200 : 32000 }, 16);
    ctx.log(`bare transport, 16 workers: ${Math.round(baseW.rate)}/s, p99 ${baseW.p99us} us`);
    const r = await managerRun(ctx, [], 'acked', opts);
    const n = await managerRun(ctx, ['--durability', 'normal'], 'acked-normal', opts);
    const one = await managerRun(ctx, ['--ack-workers', '1'], 'acked-one', { threads, count: ctx.quick ? 320 : 3200 });
    const vsW = { label: 'bare transport, 16 workers', value: baseW.rate };
    return [
      rateRow('acked', 'baseline: bare nanomsg REP, acks at once', base.rate, undefined, { note: `RTT p50 ${base.p50us} us, p99 ${base.p99us} us` }),
      rateRow('acked', 'baseline: manager transport (16 workers), acks at once', baseW.rate, { label: 'bare REP', value: base.rate }, { note: `RTT p50 ${baseW.p50us} us, p99 ${baseW.p99us} us` }),
      rateRow('acked', 'manager, durable: acknowledged leases/s', r.rate, vsW, { min: 10000, note: note(r) }),
      rateRow('acked', 'manager, durability normal: acknowledged leases/s', n.rate, vsW, { min: 10000, note: note(n) }),
      rateRow('acked', 'manager, durable, --ack-workers 1 (before)', one.rate, vsW, { note: note(one) }),
    ];
  },
};
