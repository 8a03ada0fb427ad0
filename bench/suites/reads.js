'use strict';
/**
 * 6. Reads: `dhcp-manager get` wall (median) beside `node` running an empty module, and the p99
 * of HTTP model reads (GET /api/v1/tr181) idle and while 4 C pushers load the legacy channel.
 */
const path = require('path');
const { timeRun, median, percentile, forkWorker, waitMessage, waitExit } = require('../lib/util');
const { managerLegacy } = require('../lib/load');
const { startManager, BIN } = require('../lib/manager');
const { ratioRow } = require('../lib/rows');

const EMPTY = path.join(__dirname, '..', 'fixtures', 'empty.js');

async function probe(mgr, ms) {
  const url = `${mgr.url}/api/v1/tr181?path=${encodeURIComponent('Device.DHCPv4.Client.')}`;
  const w = forkWorker('http-reader.js', [ms, url]);
  await waitMessage(w, (m) => m.ready, 10000, 'http reader');
  const done = waitMessage(w, (m) => m.done, ms + 30000, 'http reader');
  w.send({ go: true });
  return { done, w };
}

module.exports = {
  title: 'reads: dhcp-manager get, HTTP model reads under load',
  async run(ctx) {
    const runs = ctx.quick ? 3 : 15;
    const mgr = await startManager(['--durability', 'normal'], { tag: 'reads' });
    try {
      await managerLegacy(mgr, { pushers: 1, perPusher: 256, interfaces: 64, budgetMs: 10000 });
      const wall = { empty: [], get: [] };
      for (let i = 0; i < runs + 1; i++) {
        const e = await timeRun(process.execPath, [EMPTY]);
        const g = await timeRun(process.execPath, [BIN, 'get', 'Device.DHCPv4.Client.1.IPAddress', '--url', mgr.url], { stderr: true });
        if (g.code !== 0) throw new Error(`dhcp-manager get exited ${g.code}: ${g.stderr.trim().slice(-300)}`);
        if (i > 0) { wall.empty.push(e.ms); wall.get.push(g.ms); }
      }
      const probeMs = ctx.quick ? 1500 : 10000;
      const idle = await (await probe(mgr, probeMs)).done;
      const loaded = await probe(mgr, probeMs);
      const load = managerLegacy(mgr, { pushers: 4, perPusher: ctx.quick ? 2000 : 50000, interfaces: 64, budgetMs: probeMs + 5000 });
      const busy = await loaded.done;
      await load;
      await waitExit(loaded.w, 5000);
      const i99 = percentile(idle.latUs, 99) / 1000;
      const b99 = percentile(busy.latUs, 99) / 1000;
      ctx.log(`get ${median(wall.get).toFixed(1)} ms vs node ${median(wall.empty).toFixed(1)} ms; HTTP p99 idle ${i99.toFixed(2)} ms, loaded ${b99.toFixed(2)} ms`);
      return [
        ratioRow('reads', '`dhcp-manager get`: wall', median(wall.get), { label: 'node empty.js', value: median(wall.empty) }, 'ms', 1.3, { note: `median of ${runs} runs` }),
        { ...ratioRow('reads', 'HTTP tr181 read p99 under load', b99, { label: 'same read idle', value: i99 }, 'ms'),
          note: `${busy.latUs.length} reads under load (4 C pushers), ${idle.latUs.length} idle; statuses ${JSON.stringify(busy.statuses)}` },
      ];
    } finally {
      await mgr.stop();
    }
  },
};
