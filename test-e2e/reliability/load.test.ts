/**
 * Under load, nothing lost: 16 plugin processes run at the same time, each like one udhcpc that
 * waits for its script, 200 events each (3,200 process starts), against one manager on the
 * acknowledged channel (ipc:// in a temp dir). Every run must be acknowledged `applied`, every
 * interface's history must hold its 200 events in order, and the final model must be what the
 * last event of each interface says. Figures are printed for docs/reliability.md.
 */
import { join } from 'path';
import { writeFileSync } from 'fs';
import { getJson, history, ManagerProc, metrics, removeDir, requireBuilt, rssMiB, runPlugin, spoolFiles, startManager, sum, tempDir, udhcpcEnv, UDHCPC_PLUGIN } from './harness';

// 3,200 process starts: about 2-3 minutes on an idle 2-core machine, much more when it is shared.
jest.setTimeout(1_200_000);
const HTTP = '127.0.0.1:25500';
/** The figures; DHCPMGR_REL_SCALE (0 < s <= 1) shrinks them for a quick local run only. */
const SCALE = Math.min(1, Number(process.env.DHCPMGR_REL_SCALE ?? 1) || 1);
const WORKERS = 16;
const EVENTS = Math.max(5, Math.round(200 * SCALE));
let dir: string;
let mgr: ManagerProc | undefined;

beforeAll(() => { requireBuilt(UDHCPC_PLUGIN); dir = tempDir('load'); writeFileSync(join(dir, 'plugin.json'), '{}'); });
afterAll(async () => { await mgr?.stop(); removeDir(dir); });

it(`${WORKERS} concurrent plugin processes x ${EVENTS} events: every event applied once, in order, final model as expected`, async () => {
  mgr = await startManager(['--listen', 'off', '--ack-listen', `ipc://${dir}/ack.ipc`, '--events', 'off', '--state-dir', join(dir, 'state'),
    '--spool-dir', join(dir, 'spool'), '--history-per-interface', String(EVENTS + 10), '--log-level', 'warn'], { http: HTTP });
  const env = { DHCPMGR_ACK_ADDR: `ipc://${dir}/ack.ipc`, DHCPMGR_SPOOL_DIR: join(dir, 'spool'), DHCPMGR_CONFIG: join(dir, 'plugin.json'), DHCPMGR_TIMEOUT_MS: '10000', DHCPMGR_LOG_LEVEL: 'debug' };
  const t0 = Date.now();
  let peak = 0;
  const sampler = setInterval(() => { try { peak = Math.max(peak, rssMiB(mgr!.pid).rss); } catch { /* exiting */ } }, 200);
  const outcomes: Record<string, number> = {};
  const failures: string[] = [];
  const latencies: number[] = [];
  // Stop every worker at the first failure (or if the manager is gone), so that a broken run
  // fails in seconds instead of spooling thousands of events until the test timeout.
  let abort = false;
  await Promise.all(Array.from({ length: WORKERS }, async (_, w) => {
    for (let k = 0; k < EVENTS && !abort; k++) {
      if (mgr!.child.exitCode !== null || mgr!.child.signalCode !== null) {
        abort = true;
        failures.push(`manager exited (${mgr!.child.exitCode ?? mgr!.child.signalCode}): ${mgr!.stderr().slice(-2000)}`);
        break;
      }
      const r = await runPlugin(UDHCPC_PLUGIN, k === 0 ? 'bound' : 'renew', { ...env, ...udhcpcEnv(`load${w}`, 1000 + k, { ip: `10.1.${w}.2` }) });
      latencies.push(r.ms);
      const o = r.code === 0 ? (r.outcome ?? 'unknown') : `exit ${r.code}`;
      outcomes[o] = (outcomes[o] ?? 0) + 1;
      if (o !== 'applied') {
        abort = true;
        if (failures.length < 5) failures.push(`load${w} #${k}: ${o}: ${r.stderr.slice(0, 400)}`);
      }
    }
  }));
  clearInterval(sampler);
  const wall = (Date.now() - t0) / 1000;
  expect(failures).toEqual([]);
  expect(outcomes).toEqual({ applied: WORKERS * EVENTS });
  expect(spoolFiles(join(dir, 'spool'))).toEqual([]);

  for (let w = 0; w < WORKERS; w++) {
    const times = (await history(HTTP, `load${w}`)).map((e) => e.lease.leaseTime as number);
    expect(times).toEqual(Array.from({ length: EVENTS }, (_, k) => 1000 + k));
  }
  const leases = (await getJson<{ leases: Array<{ ifname: string; status: string; addresses: Array<{ value: string }> }> }>(HTTP, '/api/v1/leases')).leases;
  expect(leases.map((l) => [l.ifname, l.status, l.addresses.map((a) => a.value)]).sort()).toEqual(
    Array.from({ length: WORKERS }, (_, w) => [`load${w}`, 'bound', [`10.1.${w}.2/16`]]).sort(),
  );
  const m = await metrics(HTTP);
  expect(sum(m, 'dhcpmgr_ingest_results_total', 'status="applied"')).toBe(WORKERS * EVENTS);
  expect(sum(m, 'dhcpmgr_rejected_total')).toBe(0);
  latencies.sort((a, b) => a - b);
  const figures = {
    sent: WORKERS * EVENTS, applied: sum(m, 'dhcpmgr_ingest_results_total', 'status="applied"'), lost: WORKERS * EVENTS - outcomes.applied!,
    wallSeconds: wall, runsPerSecond: Math.round((WORKERS * EVENTS) / wall),
    pluginMsP50: latencies[Math.floor(latencies.length / 2)], pluginMsP99: latencies[Math.floor(latencies.length * 0.99)],
    managerPeakRssMiB: Math.round(Math.max(peak, rssMiB(mgr.pid).peak)),
  };
  console.log(`FIGURES load ${JSON.stringify(figures)}`);
  expect(await mgr.stop()).toBe(0);
});
