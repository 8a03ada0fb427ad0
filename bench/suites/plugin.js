'use strict';
/**
 * 1. Plugin cost per lease event: wall time (median) and peak RSS of the udhcpc plugin bundle from
 * exec to exit, delivering a `bound` (acked, to a running manager; and legacy fire-and-forget),
 * beside `node` running an empty module, and `nanocat --push` (C) for scale. Runs interleave so
 * drift hits every variant alike.
 */
const fs = require('fs');
const path = require('path');
const { ROOT, timeRun, peakRssRun, median, tmpDir, freePort, readCapture, BOUND_ENV_FILE, HAVE_GNU_TIME } = require('../lib/util');
const { startManager } = require('../lib/manager');
const { v4Frame } = require('../lib/messages');
const { ratioRow } = require('../lib/rows');

const PLUGIN = path.join(ROOT, 'packages', 'udhcpc-plugin', 'dist', 'dhcpmgr-udhcpc-plugin.js');
const EMPTY = path.join(__dirname, '..', 'fixtures', 'empty.js');


module.exports = {
  title: 'plugin cost per lease event (udhcpc bound)',
  async run(ctx) {
    if (!fs.existsSync(PLUGIN)) throw new Error(`plugin bundle missing: ${path.relative(ROOT, PLUGIN)} (npm run build)`);
    if (!HAVE_GNU_TIME) throw new Error('GNU time (/usr/bin/time) is missing: apt-get install -y time');
    const runs = ctx.quick ? 3 : 21;
    const rssRuns = ctx.quick ? 2 : 7;
    // The legacy channel on TCP, as docs/plugins.md recommends: over ipc:// libnanomsg drops a
    // frame it has received but not yet handed to the manager when the short-lived sender hangs
    // up first (C nanocat into C nanocat loses frames the same way), so ipc:// counts would
    // measure that, not the plugin.
    const mgr = await startManager([], { tag: 'plugin', listen: `tcp://127.0.0.1:${await freePort()}` });
    const dir = tmpDir('plugin');
    try {
      const frameFile = path.join(dir, 'bound.bin');
      fs.writeFileSync(frameFile, v4Frame(0, 0));
      const base = { ...readCapture(BOUND_ENV_FILE).env, PATH: process.env.PATH, DHCPMGR_SPOOL_DIR: path.join(dir, 'spool'),
        DHCPMGR_ACK_ADDR: mgr.endpoints.ack, DHCPMGR_ADDR: mgr.endpoints.listen, DHCPMGR_TIMEOUT_MS: '2000' };
      const variants = {
        empty: { cmd: process.execPath, args: [EMPTY], env: base },
        acked: { cmd: process.execPath, args: [PLUGIN, 'bound'], env: { ...base, DHCPMGR_MODE: 'acked' } },
        legacy: { cmd: process.execPath, args: [PLUGIN, 'bound'], env: { ...base, DHCPMGR_MODE: 'legacy' } },
        nanocat: { cmd: 'nanocat', args: ['--push', '--connect', mgr.endpoints.listen, '-F', frameFile], env: base },
      };
      const before = (await mgr.counts()).applied;
      const wall = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
      const rss = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
      for (let i = 0; i < runs + 1; i++) {
        for (const [k, v] of Object.entries(variants)) {
          const r = await timeRun(v.cmd, v.args, { env: v.env, stderr: true });
          if (r.code !== 0) throw new Error(`${k} run exited ${r.code}: ${r.stderr.trim().slice(-400)}`);
          if (i > 0) wall[k].push(r.ms); // the first round warms the page cache
        }
      }
      for (let i = 0; i < rssRuns; i++) {
        for (const [k, v] of Object.entries(variants)) rss[k].push((await peakRssRun(v.cmd, v.args, { env: v.env, tmp: dir })).kib);
      }
      const ackedRuns = 3 * (runs + 1 + rssRuns); // acked, legacy and nanocat all deliver a bound
      const applied = (await mgr.counts()).applied - before;
      ctx.log(`manager applied ${applied} of ${ackedRuns} deliveries (plugin acked + legacy, nanocat)`);
      const bw = { label: 'node empty.js', value: median(wall.empty) };
      const br = { label: 'node empty.js', value: median(rss.empty) };
      const g = 'plugin cost';
      const note = `median of ${runs} runs (wall), ${rssRuns} runs (peak RSS, GNU time %M); the manager applied ${applied} of the ${ackedRuns} bounds delivered (plugin acked and legacy, nanocat)`;
      return [
        ratioRow(g, 'acked bound: wall', median(wall.acked), bw, 'ms', 1.25, { note }),
        ratioRow(g, 'acked bound: peak RSS', median(rss.acked), br, 'KiB', 1.15),
        ratioRow(g, 'legacy bound: wall', median(wall.legacy), bw, 'ms'),
        ratioRow(g, 'legacy bound: peak RSS', median(rss.legacy), br, 'KiB'),
        ratioRow(g, 'nanocat --push (C): wall', median(wall.nanocat), bw, 'ms'),
        ratioRow(g, 'nanocat --push (C): peak RSS', median(rss.nanocat), br, 'KiB'),
      ];
    } finally {
      await mgr.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
