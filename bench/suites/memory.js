'use strict';
/**
 * 5. Memory: manager RSS idle (after start, settled), then after N legacy messages (1,000,000 in
 * full mode, bounded by a time budget; fewer in quick). Growth is measured from the RSS after
 * the first tenth of the load (warm: JIT, caches, store pages) to the end, beside `node` idle.
 */
const { managerLegacy } = require('../lib/load');
const { startManager } = require('../lib/manager');
const { ratioRow } = require('../lib/rows');
const { sleep, forkWorker, waitMessage, rssKiB, waitExit } = require('../lib/util');

module.exports = {
  title: 'memory: idle and after N messages',
  async run(ctx) {
    const total = ctx.quick ? 8000 : 1000000;
    const budgetMs = ctx.quick ? 8000 : 120000;
    // Baseline: an idle node process (the pull-count worker, which loads the nanomsg addon too).
    const idleNode = forkWorker('rep-echo.js', [`ipc:///tmp/dhcpmgr-bench-idle-${process.pid}.sock`]);
    await waitMessage(idleNode, (m) => m.ready, 10000, 'idle node');
    await sleep(1000);
    const nodeIdle = rssKiB(idleNode.pid);
    idleNode.send({ stop: true });
    await waitExit(idleNode, 5000);

    const mgr = await startManager(['--durability', 'normal'], { tag: 'memory' });
    try {
      await sleep(1000);
      const idle = mgr.rssKiB();
      const warm = await managerLegacy(mgr, { pushers: 4, perPusher: total / 40, interfaces: 64, budgetMs: budgetMs / 10 });
      const warmRss = mgr.rssKiB();
      const rest = await managerLegacy(mgr, { pushers: 4, perPusher: (total * 9) / 40, interfaces: 64, budgetMs });
      await sleep(1000);
      const endRss = mgr.rssKiB();
      const done = warm.applied + rest.applied;
      ctx.log(`idle ${idle} KiB, warm ${warmRss} KiB, after ${done} applied ${endRss} KiB`);
      const growth = endRss / warmRss;
      return [
        { ...ratioRow('memory', 'manager RSS idle', idle, { label: 'idle node + nanomsg', value: nodeIdle }, 'KiB'),
          target: '<= 70 MiB', pass: idle <= 70 * 1024 },
        { group: 'memory', what: `RSS growth after ${done.toLocaleString('en-US')} messages`, result: `${((growth - 1) * 100).toFixed(1)} %`,
          baseline: `${(warmRss / 1024).toFixed(1)} MiB after warm-up -> ${(endRss / 1024).toFixed(1)} MiB`, ratio: `${growth.toFixed(2)}x`,
          target: '<= 10 %', pass: growth <= 1.10, value: growth,
          note: `${done} of ${total} messages applied within the budget (${(budgetMs / 1000).toFixed(0)} s)${rest.complete ? '' : ': the manager was too slow to take all of them'}` },
      ];
    } finally {
      await mgr.stop();
    }
  },
};
