'use strict';
/**
 * 4. Scaling: legacy throughput of one manager (durability normal, so the store's fsync does not
 * hide the per-message cost) with 1,000 interfaces beside the same with 10 interfaces.
 */
const { managerLegacy } = require('../lib/load');
const { startManager } = require('../lib/manager');
const { rateRow } = require('../lib/rows');

module.exports = {
  title: 'scaling: 1,000 vs 10 interfaces',
  async run(ctx) {
    const perPusher = ctx.quick ? 1000 : 10000;
    const budgetMs = ctx.quick ? 6000 : 30000;
    const rates = {};
    for (const n of [10, 1000]) {
      const mgr = await startManager(['--durability', 'normal'], { tag: `scale${n}` });
      try {
        const r = await managerLegacy(mgr, { pushers: 4, perPusher, interfaces: n, budgetMs });
        rates[n] = r;
        ctx.log(`${n} interfaces: ${Math.round(r.rate)}/s (${r.applied} of ${r.total})`);
      } finally {
        await mgr.stop();
      }
    }
    return [rateRow('scaling', '1,000 interfaces: msgs/s', rates[1000].rate, { label: '10 interfaces', value: rates[10].rate }, {
      minRatio: 0.8, note: `10: ${rates[10].applied} of ${rates[10].total} in ${rates[10].secs.toFixed(1)} s; 1,000: ${rates[1000].applied} of ${rates[1000].total} in ${rates[1000].secs.toFixed(1)} s` })];
  },
};
