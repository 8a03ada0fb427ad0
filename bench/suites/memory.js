'use strict';
/**
 * 5. Memory: the manager's RSS idle and after a burst, beside an idle node holding the nanomsg
 * addon and a bound socket (the baseline, measured in the same run).
 *
 * - Idle: the manager in its default configuration (HTTP on, no clients, no MQTT, --apply none),
 *   as a gateway runs it (the release package built from this clone and unpacked; the same build
 *   run from the clone's dist/ is measured idle beside it), once it has given memory back after start-up (status memory.idleRelease.releases
 *   >= 1, then SETTLE_MS for V8's memory reducer). The baseline is read at the same moment.
 * - Burst: N legacy messages over 64 interfaces (1,000,000 in full mode, bounded by a time
 *   budget; fewer in quick), then the manager idles (60 s in full mode) and its RSS is read again.
 *   Growth during the burst is measured from the RSS after its first tenth (warm: JIT, caches,
 *   store pages) to its end.
 * Each row also gives the private part (RssAnon: heap, stacks, malloc) beside the mapped code
 * (RssFile: the node binary and the addons, clean pages shared with every other node process).
 */
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { managerLegacy } = require('../lib/load');
const { startManager } = require('../lib/manager');
const { ROOT, sleep, forkWorker, waitMessage, memKiB, waitExit, tmpDir } = require('../lib/util');

/** After the manager's first memory release: time for V8's memory reducer to shrink the heap. */
const SETTLE_MS = 20000;

const mib = (kib) => `${(kib / 1024).toFixed(1)} MiB`;
const split = (m) => `${mib(m.rss)} (private ${mib(m.anon)}, code ${mib(m.file)})`;

/**
 * The manager as a gateway installs it: the release package built from this clone's build
 * (scripts/package.js --no-build), its tarball unpacked into a temp dir; returns the launcher
 * (usr/lib/dhcpmgr/dhcp-manager.js, which `usr/bin/dhcp-manager` links to) and the temp dir to
 * remove. BENCH_MANAGER_BIN
 * (another build's dist/bin.js, bench/ab.js) is measured as it is instead.
 */
function packagedManager() {
  if (process.env.BENCH_MANAGER_BIN) return undefined;
  const dir = tmpDir('memory-package');
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'package.js'), '--no-build', '--out', dir], { stdio: 'ignore' });
  const tarball = fs.readdirSync(dir).find((f) => f.endsWith('.tar.gz'));
  if (!tarball) throw new Error(`scripts/package.js made no tarball in ${dir}`);
  const root = path.join(dir, 'root');
  fs.mkdirSync(root);
  execFileSync('tar', ['-xzf', path.join(dir, tarball), '-C', root]);
  return { launcher: path.join(root, 'usr', 'lib', 'dhcpmgr', 'dhcp-manager.js'), dir };
}

async function waitRelease(mgr, after, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const st = await mgr.status();
    const n = st.memory?.idleRelease?.releases ?? 0;
    if (n > after) return n;
    if (Date.now() > end) throw new Error(`the manager did not release memory within ${timeoutMs} ms (releases ${n})`);
    await sleep(500);
  }
}

module.exports = {
  title: 'memory: idle and after a burst',
  async run(ctx) {
    const total = ctx.quick ? 8000 : 1000000;
    const budgetMs = ctx.quick ? 8000 : 150000;
    const afterMs = ctx.quick ? SETTLE_MS : 60000;
    // Baseline: an idle node process (a worker that loads the nanomsg addon and binds a socket).
    const idleNode = forkWorker('rep-echo.js', [`ipc:///tmp/dhcpmgr-bench-idle-${process.pid}.sock`]);
    await waitMessage(idleNode, (m) => m.ready, 10000, 'idle node');
    const packaged = packagedManager();
    const mgr = await startManager(['--durability', 'normal'], { tag: 'memory', ...(packaged ? { bin: packaged.launcher } : {}) });
    // The same daemon run from the clone's dist/ (about 190 files instead of 3), idle beside it.
    const fromClone = packaged ? await startManager(['--durability', 'normal'], { tag: 'memory-clone' }) : undefined;
    try {
      const releases = await waitRelease(mgr, 0, 30000);
      if (fromClone) await waitRelease(fromClone, 0, 30000);
      await sleep(SETTLE_MS);
      const idle = memKiB(mgr.child.pid);
      const nodeIdle = memKiB(idleNode.pid);
      const cloneIdle = fromClone ? memKiB(fromClone.child.pid) : undefined;
      idleNode.send({ stop: true });
      await waitExit(idleNode, 5000);
      if (fromClone) await fromClone.stop();

      const warm = await managerLegacy(mgr, { pushers: 4, perPusher: total / 40, interfaces: 64, budgetMs: budgetMs / 10 });
      const warmRss = memKiB(mgr.child.pid).rss;
      let peak = warmRss;
      const poll = setInterval(() => { peak = Math.max(peak, memKiB(mgr.child.pid).rss); }, 200);
      const rest = await managerLegacy(mgr, { pushers: 4, perPusher: (total * 9) / 40, interfaces: 64, budgetMs });
      clearInterval(poll);
      const endRss = memKiB(mgr.child.pid).rss;
      peak = Math.max(peak, endRss);
      await waitRelease(mgr, releases, 30000);
      await sleep(Math.max(0, afterMs - 5000));
      const after = memKiB(mgr.child.pid);
      const v8after = (await mgr.status()).memory ?? {};
      const heapNote = `V8 heap ${mib((v8after.heapTotalBytes ?? 0) / 1024)} (used ${mib((v8after.heapUsedBytes ?? 0) / 1024)}), external ${mib((v8after.externalBytes ?? 0) / 1024)}`;
      const done = warm.applied + rest.applied;
      ctx.log(`manager ${packaged ? 'from the release package' : 'BENCH_MANAGER_BIN'}: idle ${split(idle)}, node idle ${split(nodeIdle)}${cloneIdle ? `, from the clone's dist/ ${split(cloneIdle)}` : ''}; warm ${mib(warmRss)}, end of burst ${mib(endRss)}, peak ${mib(peak)}; ${afterMs / 1000} s after ${done} applied: ${split(after)}; ${heapNote}`);
      const growth = endRss / warmRss;
      const burstNote = `${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} messages applied within the budget (${(budgetMs / 1000).toFixed(0)} s)${rest.complete ? '' : ': the manager was too slow to take all of them'}`;
      const installed = packaged ? 'installed from the release package' : `${path.relative(ROOT, process.env.BENCH_MANAGER_BIN)}`;
      return [
        { group: 'memory', what: `manager RSS idle (default configuration, after its memory release; ${installed})`, result: split(idle),
          baseline: `${split(nodeIdle)} (idle node + nanomsg)`, ratio: `${(idle.rss / nodeIdle.rss).toFixed(2)}x`, value: idle.rss,
          target: '<= 1.15x', pass: idle.rss <= 1.15 * nodeIdle.rss },
        ...(cloneIdle ? [{ group: 'memory', what: 'manager RSS idle, run from the clone (node packages/dhcp-manager/dist/bin.js)', result: split(cloneIdle),
          baseline: `${split(nodeIdle)} (idle node + nanomsg)`, ratio: `${(cloneIdle.rss / nodeIdle.rss).toFixed(2)}x`, value: cloneIdle.rss }] : []),
        { group: 'memory', what: 'manager private memory idle (RssAnon)', result: mib(idle.anon),
          baseline: `${mib(nodeIdle.anon)} (idle node + nanomsg)`, ratio: `${(idle.anon / nodeIdle.anon).toFixed(2)}x`, value: idle.anon },
        { group: 'memory', what: `RSS ${afterMs / 1000} s after the burst`, result: split(after),
          baseline: `${mib(idle.rss)} (idle, before the burst)`, ratio: `${(after.rss / idle.rss).toFixed(2)}x`, value: after.rss,
          target: '<= 1.5x', pass: after.rss <= 1.5 * idle.rss, note: `peak ${mib(peak)} during the burst; afterwards ${heapNote}; ${burstNote}` },
        { group: 'memory', what: `RSS growth during the burst`, result: `${((growth - 1) * 100).toFixed(1)} %`,
          baseline: `${mib(warmRss)} after warm-up -> ${mib(endRss)}`, ratio: `${growth.toFixed(2)}x`,
          target: '<= 10 %', pass: growth <= 1.10, value: growth, note: burstNote },
      ];
    } finally {
      if (idleNode.exitCode === null) idleNode.kill();
      if (fromClone) await fromClone.stop();
      await mgr.stop();
      if (packaged) fs.rmSync(packaged.dir, { recursive: true, force: true });
    }
  },
};
