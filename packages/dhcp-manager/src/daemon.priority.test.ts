/**
 * Priorities under load with the real daemon and real nanomsg sockets: a C-style sender floods
 * one interface's renewals (bare PLUGIN_MSG frames on a PUSH socket, as the C plugins send them)
 * into a queue small enough to stay full, while a quiet interface pushes a few renewals and an
 * acked sender delivers leases. Counts only, no times: the quiet interface loses nothing and its
 * events are committed once each in order, every acked lease is applied, and every drop is
 * counted for the flooding interface.
 */
import { spawnSync } from 'child_process';
import { BIN, acked, cleanup, endpoints, Endpoints, httpJson, push, requireBuilt, startDaemon, stop, v4, waitFor } from './__fixtures__/daemon-harness';

jest.setTimeout(60000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `name="value"} N` samples of one metric from /metrics text, by the label's value. */
function byLabel(text: string, metric: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(new RegExp(`^${metric}\\{${label}="([^"]*)"\\} (\\d+)$`, 'gm'))) out[m[1]!] = Number(m[2]);
  return out;
}

describe('dhcp-manager daemon: priorities under a legacy flood', () => {
  let e: Endpoints;
  beforeAll(() => requireBuilt());
  beforeEach(() => {
    // HTTP 23600-23699 (random base, 8 ports of room), the legacy channel on TCP 23700-23799: over
    // ipc:// a PUSH that closes right after its send can lose the frame (docs/wire-format.md).
    const k = Math.floor(Math.random() * 90);
    e = endpoints(23600 + k, 'dhcpmgr-priority-');
    e.pull = `tcp://127.0.0.1:${23700 + k}`;
  });
  afterEach(() => cleanup(e));

  it('lets a quiet interface and an acked sender through a flood of one interface\'s renewals, counting the drops for the flooder', async () => {
    // A drain commits 8 while the receiver reads up to 256 per wake-up: the queue of 64 stays full.
    const d = await startDaemon(e, ['--queue-limit', '64', '--batch-size', '8']);
    const nano = require('nanomsg');
    const flood = nano.socket('push');
    flood.on('error', () => undefined);
    flood.connect(e.pull);
    const frames = [0, 1, 2, 3].map((k) => v4('flood0', 'renew', { address: `192.0.2.${20 + k}` }));
    let flooding = true;
    let flooded = 0;
    const floodDone = (async () => {
      while (flooding) {
        while (flooding && flood.queue.length < 256) flood.send(frames[flooded++ % frames.length]);
        await new Promise((r) => setImmediate(r));
      }
      await waitFor('flood sent', () => (flood.queue.length === 0 ? true : undefined), 10000);
      await sleep(100);
      flood.close();
    })();
    try {
      await waitFor('the queue is full', async () => {
        const text = (await httpJson(e.port, '/metrics')).body as string;
        return (byLabel(text, 'dhcpmgr_overload_dropped_by_interface_total', 'ifname').flood0 ?? 0) > 0 ? true : undefined;
      }, 20000);
      // Meanwhile: a quiet interface, one plugin run per lease (connect, send, close), and an
      // acked sender, both one message at a time.
      const quiet = (async () => {
        for (let k = 0; k < 20; k++) await push(e, v4('quiet0', 'renew', { leaseTime: 4000 + k }));
      })();
      const answers: string[] = [];
      for (let k = 0; k < 10; k++) answers.push((await acked(e, v4('ack0', 'bound', { leaseTime: 5000 + k }))).status);
      await quiet;
      expect(answers).toEqual(Array(10).fill('applied'));
    } finally {
      flooding = false;
      await floodDone;
    }
    const history = await waitFor('the quiet interface committed', async () => {
      const events = (await httpJson(e.port, '/api/v1/history?if=quiet0')).body.events as Array<{ lease: { leaseTime: number } }>;
      return events.length >= 20 ? events : undefined;
    }, 20000);
    // Oldest first: every quiet lease once, in the order sent.
    expect(history.map((ev) => ev.lease.leaseTime)).toEqual(Array.from({ length: 20 }, (_, k) => 4000 + k));

    const text = (await httpJson(e.port, '/metrics')).body as string;
    const drops = byLabel(text, 'dhcpmgr_overload_dropped_by_interface_total', 'ifname');
    const legacyDrops = byLabel(text, 'dhcpmgr_overload_dropped_total', 'channel').legacy ?? 0;
    expect(Object.keys(drops)).toEqual(['flood0']);
    expect(drops.flood0).toBe(legacyDrops);
    expect(legacyDrops).toBeLessThan(flooded);
    const status = (await httpJson(e.port, '/api/v1/status')).body;
    expect(status.overloadByInterface).toEqual({ flood0: legacyDrops });
    expect(status.counters.overload).toBe(legacyDrops);
    const cli = spawnSync(process.execPath, [BIN, 'status', '--url', `http://127.0.0.1:${e.port}`], { encoding: 'utf8', timeout: 10000 });
    expect(cli.stdout).toMatch(new RegExp(`overload by interface\\s+flood0=${legacyDrops}\\s`));
    expect(d.logs.some((l) => l.reason === 'OVERLOAD' && l.ifname === 'flood0')).toBe(true);
    expect(await stop(d)).toEqual({ code: 0, signal: null });
  });
});
