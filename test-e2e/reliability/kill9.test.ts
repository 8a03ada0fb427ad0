/**
 * Crash safety: a stream of acknowledged plugin runs (4 interfaces, each one udhcpc waiting for
 * its script) while the manager is killed with SIGKILL at >= 20 random moments and restarted.
 * Afterwards every event a plugin saw acknowledged or spooled is in the history exactly once, no
 * event is applied twice, and the final model equals a fault-free run's (a second manager fed
 * the same events with no faults). Plugins started before the manager is up spool, and the
 * manager applies their events when it starts; clients keep renewing across a clean restart.
 */
import { writeFileSync } from 'fs';
import { join } from 'path';
import { getJson, history, ManagerProc, removeDir, requireBuilt, runPlugin, PluginRun, sleep, spoolFiles, startManager, tempDir, udhcpcEnv, UDHCPC_PLUGIN } from './harness';

jest.setTimeout(1_200_000);
const HTTP = '127.0.0.1:25503';
const HTTP_REF = '127.0.0.1:25504';
const SCALE = Math.min(1, Number(process.env.DHCPMGR_REL_SCALE ?? 1) || 1);
const KILLS = Math.max(3, Math.round(24 * SCALE));
const STREAMS = 4;
let dir: string;
const managers: ManagerProc[] = [];

beforeAll(() => { requireBuilt(UDHCPC_PLUGIN); dir = tempDir('kill9'); writeFileSync(join(dir, 'plugin.json'), '{}'); });
afterAll(async () => { for (const m of managers) await m.stop(); removeDir(dir); });

function managerArgs(tag: string): string[] {
  return ['--listen', 'off', '--ack-listen', `ipc://${dir}/${tag}.ipc`, '--events', 'off', '--state-dir', join(dir, tag, 'state'),
    '--spool-dir', join(dir, tag, 'spool'), '--durability', 'normal', '--spool-scan-ms', '100', '--history-per-interface', '100000', '--log-level', 'warn'];
}

async function start(tag: string, http: string): Promise<ManagerProc> {
  const m = await startManager(managerArgs(tag), { http });
  managers.push(m);
  return m;
}

function pluginEnv(tag: string, timeoutMs: number): NodeJS.ProcessEnv {
  return { DHCPMGR_ACK_ADDR: `ipc://${dir}/${tag}.ipc`, DHCPMGR_SPOOL_DIR: join(dir, tag, 'spool'), DHCPMGR_CONFIG: join(dir, 'plugin.json'), DHCPMGR_TIMEOUT_MS: String(timeoutMs), DHCPMGR_LOG_LEVEL: 'debug' };
}

/** The model without what depends on the clock or on arrival order (instance numbers). */
async function model(http: string): Promise<Record<string, unknown>> {
  const values = (await getJson<{ values: Array<{ path: string; value: unknown; type: string }> }>(http, '/api/v1/tr181?path=Device.')).values;
  const names = new Map<string, string>();
  for (const v of values) {
    const m = /^(Device\.DHCPv4\.Client\.\d+\.)X_DHCPMGR_IfName$/.exec(v.path) ?? /^(Device\.IP\.Interface\.\d+\.)Name$/.exec(v.path);
    if (m) names.set(m[1]!, String(v.value));
  }
  const out: Record<string, unknown> = {};
  for (const v of values) {
    if (v.type === 'dateTime' || /Remaining/.test(v.path) || /^Device\.DNS\./.test(v.path) || /\.Interface$/.test(v.path)) continue;
    let p = v.path;
    for (const [prefix, name] of names) if (p.startsWith(prefix)) p = p.replace(prefix, `${prefix.replace(/\d+\.$/, '')}[${name}].`);
    out[p] = v.value;
  }
  return out;
}

async function waitSpoolEmpty(tag: string): Promise<void> {
  for (let i = 0; i < 200 && spoolFiles(join(dir, tag, 'spool')).length > 0; i++) await sleep(100);
  expect(spoolFiles(join(dir, tag, 'spool'))).toEqual([]);
}

it(`every acknowledged or spooled event is applied exactly once across ${KILLS} kill -9s; the final model equals a fault-free run's`, async () => {
  let mgr = await start('crash', HTTP);
  let running = true;
  const runs: Array<{ ifname: string; lease: number; r: PluginRun }> = [];
  const streams = Array.from({ length: STREAMS }, async (_, s) => {
    const ifname = `crash${s}`;
    for (let k = 0; running || k < 5; k++) {
      const r = await runPlugin(UDHCPC_PLUGIN, k === 0 ? 'bound' : 'renew', { ...pluginEnv('crash', 1500), ...udhcpcEnv(ifname, 1000 + k, { ip: `10.2.${s}.${2 + (k % 200)}` }) });
      runs.push({ ifname, lease: 1000 + k, r });
    }
  });
  let kills = 0;
  try {
    for (; kills < KILLS; kills++) {
      await sleep(200 + Math.floor(Math.random() * 1200));
      await mgr.kill9();
      await sleep(Math.floor(Math.random() * 700));
      mgr = await start('crash', HTTP);
    }
  } finally {
    running = false; // the streams stop even when a restart failed
    await Promise.all(streams);
  }
  await waitSpoolEmpty('crash');

  const outcomes: Record<string, number> = {};
  for (const x of runs) { const o = x.r.code === 0 ? x.r.outcome ?? 'unknown' : `exit ${x.r.code}`; outcomes[o] = (outcomes[o] ?? 0) + 1; }
  expect(Object.keys(outcomes).filter((o) => !['applied', 'duplicate', 'spooled'].includes(o))).toEqual([]);

  let appliedOnce = 0;
  const missing: string[] = [];
  for (let s = 0; s < STREAMS; s++) {
    const ifname = `crash${s}`;
    const times = (await history(HTTP, ifname)).map((e) => e.lease.leaseTime as number);
    expect(new Set(times).size).toBe(times.length); // nothing applied twice
    expect(times).toEqual([...times].sort((a, b) => a - b)); // and in event order
    for (const x of runs.filter((y) => y.ifname === ifname)) {
      if (times.includes(x.lease)) appliedOnce++;
      else missing.push(`${ifname} ${x.lease} (${x.r.outcome})`);
    }
  }
  expect(missing).toEqual([]);

  // The same events, in the same per-interface order, to a manager that never fails.
  await start('ref', HTTP_REF);
  await Promise.all(Array.from({ length: STREAMS }, async (_, s) => {
    for (const x of runs.filter((y) => y.ifname === `crash${s}`)) {
      const k = x.lease - 1000;
      const r = await runPlugin(UDHCPC_PLUGIN, k === 0 ? 'bound' : 'renew', { ...pluginEnv('ref', 10000), ...udhcpcEnv(x.ifname, x.lease, { ip: `10.2.${s}.${2 + (k % 200)}` }) });
      expect(r.outcome).toBe('applied');
    }
  }));
  expect(await model(HTTP)).toEqual(await model(HTTP_REF));
  const figures = { kills, pluginRuns: runs.length, outcomes, appliedExactlyOnce: appliedOnce, lost: missing.length, duplicatesApplied: 0 };
  console.log(`FIGURES kill9 ${JSON.stringify(figures)}`);
});

it('plugins started before the manager is up spool their events; the manager applies them at start, in order', async () => {
  const tag = 'early';
  const runs = [];
  for (let k = 0; k < 5; k++) runs.push(await runPlugin(UDHCPC_PLUGIN, 'renew', { ...pluginEnv(tag, 200), ...udhcpcEnv('early0', 500 + k) }));
  expect(runs.map((r) => [r.code, r.outcome])).toEqual(Array(5).fill([0, 'spooled']));
  expect(spoolFiles(join(dir, tag, 'spool'))).toHaveLength(5);
  const m = await start(tag, '127.0.0.1:25505');
  await waitSpoolEmpty(tag);
  expect((await history(m.http, 'early0')).map((e) => e.lease.leaseTime)).toEqual([500, 501, 502, 503, 504]);
  expect(await m.stop()).toBe(0);
});

it('clients that keep renewing across a clean manager restart lose nothing', async () => {
  const tag = 'restart';
  let m = await start(tag, '127.0.0.1:25506');
  let going = true;
  const runs: Array<{ lease: number; r: PluginRun }> = [];
  const client = (async () => {
    for (let k = 0; going || k < 10; k++) runs.push({ lease: 2000 + k, r: await runPlugin(UDHCPC_PLUGIN, 'renew', { ...pluginEnv(tag, 1000), ...udhcpcEnv('renew0', 2000 + k) }) });
  })();
  try {
    for (let i = 0; i < 3; i++) {
      await sleep(800);
      expect(await m.stop()).toBe(0);
      await sleep(300);
      m = await start(tag, '127.0.0.1:25506');
    }
  } finally {
    going = false;
    await client;
  }
  await waitSpoolEmpty(tag);
  expect(runs.every((x) => x.r.code === 0)).toBe(true);
  const times = (await history(m.http, 'renew0')).map((e) => e.lease.leaseTime);
  expect(times).toEqual(runs.map((x) => x.lease));
  console.log(`FIGURES restart ${JSON.stringify({ restarts: 3, runs: runs.length, spooled: runs.filter((x) => x.r.outcome === 'spooled').length, applied: times.length })}`);
});
