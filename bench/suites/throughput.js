'use strict';
/**
 * 2. Monitor throughput over the legacy channel: 4 concurrent C pushers, mixed v4/v6 across 64
 * interfaces, into (a) a bare nanomsg-package PULL that only counts (baseline), (b) the manager
 * with the durable store (default --durability full, state dir on disk), (c) the nearest the
 * manager has to an in-memory path: --durability normal with the state dir on tmpfs (/dev/shm).
 * A manager figure is messages applied (from /metrics) per second from the first send to the
 * last counter increase, bounded by a time budget.
 */
const fs = require('fs');
const { bareBaseline, managerLegacy } = require('../lib/load');
const { startManager, histogramQuantile } = require('../lib/manager');
const { rateRow } = require('../lib/rows');
const { tmpDir } = require('../lib/util');

function partial(r) {
  const b50 = histogramQuantile(r.samples, 'dhcpmgr_batch_size', 0.5);
  const c50 = histogramQuantile(r.samples, 'dhcpmgr_commit_seconds', 0.5);
  const batches = `; batch size p50 ${b50 === undefined ? 'n/a' : b50.toFixed(0)}, commit p50 ${c50 === undefined ? 'n/a' : `${(c50 * 1000).toFixed(2)} ms`}`;
  return (r.complete ? `${r.applied} of ${r.total} applied in ${r.secs.toFixed(1)} s` :
    `budget ended: ${r.applied} of ${r.total} applied in ${r.secs.toFixed(1)} s, ${r.rejected} rejected/dropped`) + batches;
}

module.exports = {
  title: 'monitor throughput, legacy channel, 4 pushers, 64 interfaces, mixed v4/v6',
  async run(ctx) {
    const pushers = 4;
    const interfaces = 64;
    const perPusher = ctx.quick ? 2000 : 100000;
    const budgetMs = ctx.quick ? 8000 : 40000;
    const basePer = ctx.quick ? 10000 : 150000;
    const base = await bareBaseline({ pushers, perPusher: basePer, interfaces });
    ctx.log(`bare PULL: ${Math.round(base.rate)}/s (${base.count} in ${base.secs.toFixed(2)} s)`);
    const b = { label: 'bare PULL count', value: base.rate };
    const rows = [];

    let mgr = await startManager([], { tag: 'tp-durable' });
    try {
      const r = await managerLegacy(mgr, { pushers, perPusher, interfaces, budgetMs });
      ctx.log(`durable: ${Math.round(r.rate)}/s; ${partial(r)}`);
      rows.push(rateRow('throughput', 'durable store (full fsync): leases/s', r.rate, b, { min: 25000, note: partial(r) }));
      ctx.shared.durableRate = r.rate;
    } finally {
      await mgr.stop();
    }

    const shm = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/dhcpmgr-bench-') : undefined;
    mgr = await startManager(['--durability', 'normal'], { tag: 'tp-mem', stateDir: shm });
    try {
      const r = await managerLegacy(mgr, { pushers, perPusher, interfaces, budgetMs });
      ctx.log(`normal/tmpfs: ${Math.round(r.rate)}/s; ${partial(r)}`);
      rows.push(rateRow('throughput', 'nearest in-memory path (durability normal, tmpfs): msgs/s', r.rate, b, {
        minRatio: 0.5, note: `${partial(r)}. The manager has no in-memory option; this is its fastest configuration` }));
    } finally {
      await mgr.stop();
      if (shm) fs.rmSync(shm, { recursive: true, force: true });
    }
    rows.unshift(rateRow('throughput', 'baseline: bare nanomsg PULL, counting only', base.rate, undefined, {
      note: `${base.count} frames of 1464 bytes from 4 C pushers in ${base.secs.toFixed(2)} s` }));
    return rows;
  },
};
