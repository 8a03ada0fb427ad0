/**
 * The state dir becoming read-only, disappearing, and disappearing with its parent while the
 * manager runs. The manager runs in a private mount namespace (held by an `unshare --mount`
 * process this test starts) so that the read-only bind mount over the state dir exists only
 * there. Same rules as a full disk: acked plugins are answered `unavailable` and spool, legacy
 * messages are counted as unavailable, and the manager recovers by itself once the directory is
 * usable again (the spool is replayed; a vanished store is opened again at its path with the
 * in-memory model written into it).
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { existsSync, mkdirSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { getJson, history, ManagerProc, metrics, removeDir, requireBuilt, runPlugin, sleep, spoolFiles, startManager, sum, tempDir, udhcpcEnv, UDHCPC_PLUGIN } from './harness';

jest.setTimeout(120_000);
const HTTP = '127.0.0.1:22420';
const LEGACY = 'tcp://127.0.0.1:22421';
let dir: string;
let holder: ChildProcess | undefined;
let mgr: ManagerProc | undefined;

function inNs(argv: string[]): string {
  const r = spawnSync('nsenter', ['-t', String(holder!.pid), '-m', '--', ...argv], { encoding: 'utf8', timeout: 60000 });
  if (r.status !== 0 || r.error) throw new Error(`${argv.join(' ')}: ${r.status} ${r.stderr}${r.error ?? ''}`);
  return r.stdout;
}

beforeAll(async () => {
  requireBuilt(UDHCPC_PLUGIN);
  dir = tempDir('statedir');
  writeFileSync(join(dir, 'plugin.json'), '{}');
  mkdirSync(join(dir, 'vol', 'state'), { recursive: true });
  holder = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sleep', '600'], { stdio: 'ignore' });
  await sleep(300);
  if (holder.exitCode !== null) throw new Error('unshare --mount failed (root and util-linux are required)');
});

afterAll(async () => {
  await mgr?.stop();
  if (holder && holder.exitCode === null) holder.kill('SIGKILL');
  removeDir(dir);
});

const state = (): string => join(dir, 'vol', 'state');
const env = (): NodeJS.ProcessEnv => ({ DHCPMGR_ACK_ADDR: `ipc://${dir}/ack.ipc`, DHCPMGR_SPOOL_DIR: join(dir, 'spool'), DHCPMGR_CONFIG: join(dir, 'plugin.json'), DHCPMGR_TIMEOUT_MS: '3000', DHCPMGR_LOG_LEVEL: 'debug' });
const args = (): string[] => ['--listen', LEGACY, '--ack-listen', `ipc://${dir}/ack.ipc`, '--events', 'off', '--state-dir', state(),
  '--spool-dir', join(dir, 'spool'), '--spool-scan-ms', '200', '--log-level', 'info'];
const start = (): Promise<ManagerProc> => startManager(args(), { http: HTTP, wrap: ['nsenter', '-t', String(holder!.pid), '-m', '--'] });

/** Open files of any process whose path is under `path` (`PID:FD -> target`), for a failure message. */
function openUnder(path: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let fds: string[];
    try { fds = readdirSync(`/proc/${pid}/fd`); } catch { continue; }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (target.startsWith(path)) out.push(`${pid}:${fd} -> ${target}`);
      } catch { /* closed meanwhile */ }
    }
  }
  return out;
}

/**
 * Remount a bind mount read-only. The kernel refuses (EBUSY) while a file on it is open for
 * writing: the manager's checkpoint worker opens the store by its path, and keeps that connection
 * until it has been idle for 10 s (checked every second, then the worker is shut down). Retried
 * for up to 40 s, which leaves room for a loaded machine; a failure names the open files.
 */
async function remountReadOnly(path: string): Promise<void> {
  const deadline = Date.now() + 40_000;
  for (;;) {
    try {
      inNs(['mount', '-o', 'remount,bind,ro', path]);
      return;
    } catch (err) {
      const message = (err as Error).message;
      if (!/busy/.test(message)) throw err;
      if (Date.now() > deadline) throw new Error(`${message}; open under ${path}: ${openUnder(path).join(', ') || 'none'}`);
      await sleep(100);
    }
  }
}

interface Status { engine: { storeHealthy: boolean; lastCommitError?: { message: string } } }

async function spoolDrained(): Promise<void> {
  for (let i = 0; i < 100 && spoolFiles(join(dir, 'spool')).length > 0; i++) await sleep(100);
  expect(spoolFiles(join(dir, 'spool'))).toEqual([]);
}

it('read-only, vanished, and vanished-with-parent state dir: unavailable + spool while unusable, recovered by itself, nothing acknowledged lost', async () => {
  mgr = await start();
  let lease = 1000;
  const acked: number[] = [];
  const plugin = async (): Promise<string | undefined> => {
    const r = await runPlugin(UDHCPC_PLUGIN, 'renew', { ...env(), ...udhcpcEnv('sd0', lease) });
    expect(r.code).toBe(0);
    acked.push(lease++);
    return r.outcome;
  };
  expect(await plugin()).toBe('applied');

  // Read-only: a read-only bind mount over the state dir (SQLite's open files stay writable
  // underneath; only the path tells).
  inNs(['mount', '--bind', state(), state()]);
  await remountReadOnly(state());
  expect(await plugin()).toBe('spooled');
  expect(await plugin()).toBe('spooled');
  const ro = await getJson<Status>(HTTP, '/api/v1/status');
  expect(ro.engine.storeHealthy).toBe(false);
  expect(ro.engine.lastCommitError?.message).toMatch(/state dir .* is not writable/);
  expect((await history(HTTP, 'sd0')).length).toBe(1); // reads served
  // A legacy message has no answer and no spool: it is received, counted, and not applied.
  const legacyIn = async () => sum(await metrics(HTTP), 'dhcpmgr_messages_total', 'channel="legacy"');
  expect(await legacyIn()).toBe(0);
  const unavailableBefore = sum(await metrics(HTTP), 'dhcpmgr_ingest_results_total', 'status="unavailable"');
  const legacy = await runPlugin(UDHCPC_PLUGIN, 'renew', { ...env(), DHCPMGR_MODE: 'legacy', DHCPMGR_ADDR: LEGACY, ...udhcpcEnv('sd0', 999) });
  expect(legacy.code).toBe(0);
  for (let i = 0; i < 50 && (await legacyIn()) === 0; i++) await sleep(100);
  expect(await legacyIn()).toBe(1);
  const unavailableAfter = sum(await metrics(HTTP), 'dhcpmgr_ingest_results_total', 'status="unavailable"');
  expect(unavailableAfter).toBeGreaterThan(unavailableBefore);
  expect(sum(await metrics(HTTP), 'dhcpmgr_ingest_results_total', 'status="applied"')).toBe(1);
  // Lazy: the checkpointer's worker thread may have opened the store through the read-only
  // mount (it starts after the first commit, asynchronously), which would keep it busy.
  inNs(['umount', '-l', state()]);
  await spoolDrained();
  expect(await plugin()).toBe('applied');
  expect((await getJson<Status>(HTTP, '/api/v1/status')).engine.storeHealthy).toBe(true);

  // Vanished: the directory is created again and the model written into a new store at once.
  rmSync(state(), { recursive: true, force: true });
  expect(await plugin()).toBe('applied');
  expect(existsSync(join(state(), 'dhcpmgr.sqlite'))).toBe(true);
  expect(sum(await metrics(HTTP), 'dhcpmgr_store_reopened_total', 'reason="gone"')).toBe(1);
  expect(mgr.stdout()).toMatch(/store reopened at its path and the model written into it/);

  // Vanished with its parent (say, a file system not mounted): not created elsewhere; unavailable
  // and spooled until the parent is back.
  rmSync(join(dir, 'vol'), { recursive: true, force: true });
  expect(await plugin()).toBe('spooled');
  expect((await getJson<Status>(HTTP, '/api/v1/status')).engine.lastCommitError?.message).toMatch(/cannot create it again/);
  expect(existsSync(join(dir, 'vol'))).toBe(false);
  mkdirSync(join(dir, 'vol'));
  await spoolDrained();
  expect(await plugin()).toBe('applied');

  // Everything acknowledged is in the model and survives a restart on the recreated store.
  expect(await mgr.stop()).toBe(0);
  mgr = await start();
  const leases = await getJson<{ leases: Array<{ ifname: string }> }>(HTTP, '/api/v1/leases');
  expect(leases.leases.map((l) => l.ifname)).toEqual(['sd0']);
  const times = (await history(HTTP, 'sd0')).map((e) => e.lease.leaseTime);
  // History before the last recreation stayed in the vanished file; from there on it is whole.
  expect(times).toEqual(acked.slice(-2));
  const lastTime = await getJson<{ values: Array<{ value: unknown }> }>(HTTP, '/api/v1/tr181?path=Device.DHCPv4.Client.1.X_DHCPMGR_LeaseTime');
  expect(lastTime.values[0]!.value).toBe(acked.at(-1));
  console.log(`FIGURES statedir ${JSON.stringify({ acked: acked.length, unavailableResults: unavailableAfter - unavailableBefore })}`);
  expect(await mgr.stop()).toBe(0);
});
