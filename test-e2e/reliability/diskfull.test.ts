/**
 * Disk full and a read-only state dir. The manager runs in a private mount namespace (held by an
 * `unshare --mount` process this test starts) whose state dir is a 3 MiB tmpfs; only that
 * namespace sees the tmpfs, and it disappears with its last process. The spool dir is outside
 * it. Disk full, then read-only: the store fails with a clear error in status, reads are still
 * served, the plugins' events are answered `unavailable` and spooled; once space is back (or the
 * file system is writable again) the spooled events are applied, in order, none lost.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { getJson, history, ManagerProc, removeDir, requireBuilt, runPlugin, sleep, spoolFiles, startManager, tempDir, udhcpcEnv, UDHCPC_PLUGIN } from './harness';

jest.setTimeout(300_000);
const HTTP = '127.0.0.1:25507';
let dir: string;
let holder: ChildProcess | undefined;
let mgr: ManagerProc | undefined;

function inNs(argv: string[], allowFail = false): string {
  const r = spawnSync('nsenter', ['-t', String(holder!.pid), '-m', '--', ...argv], { encoding: 'utf8', timeout: 60000 });
  if (!allowFail && (r.status !== 0 || r.error)) throw new Error(`${argv.join(' ')}: ${r.status} ${r.stderr}${r.error ?? ''}`);
  return r.stdout;
}

beforeAll(async () => {
  requireBuilt(UDHCPC_PLUGIN);
  dir = tempDir('diskfull');
  writeFileSync(join(dir, 'plugin.json'), '{}');
  mkdirSync(join(dir, 'state'));
  holder = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sleep', '600'], { stdio: 'ignore' });
  await sleep(300);
  if (holder.exitCode !== null) throw new Error('unshare --mount failed (root and util-linux are required)');
  inNs(['mount', '-t', 'tmpfs', '-o', 'size=3m,mode=0700', 'tmpfs', join(dir, 'state')]);
});

afterAll(async () => {
  await mgr?.stop();
  if (holder && holder.exitCode === null) holder.kill('SIGKILL');
  removeDir(dir);
});

const env = (): NodeJS.ProcessEnv => ({ DHCPMGR_ACK_ADDR: `ipc://${dir}/ack.ipc`, DHCPMGR_SPOOL_DIR: join(dir, 'spool'), DHCPMGR_CONFIG: join(dir, 'plugin.json'), DHCPMGR_TIMEOUT_MS: '3000', DHCPMGR_LOG_LEVEL: 'debug' });

const mgrArgs = (): string[] => ['--listen', 'off', '--ack-listen', `ipc://${dir}/ack.ipc`, '--events', 'off', '--state-dir', join(dir, 'state'),
  '--spool-dir', join(dir, 'spool'), '--spool-scan-ms', '200', '--history-per-interface', '100000', '--log-level', 'info'];

it('disk full and read-only state dir: clear error, reads served, plugins spool, everything applied once the store works again', async () => {
  mgr = await startManager(mgrArgs(), { http: HTTP, wrap: ['nsenter', '-t', String(holder!.pid), '-m', '--'] });
  let lease = 1000;
  const sent: number[] = [];
  const plugin = async (): Promise<string | undefined> => {
    const r = await runPlugin(UDHCPC_PLUGIN, 'renew', { ...env(), ...udhcpcEnv('full0', lease) });
    expect(r.code).toBe(0);
    sent.push(lease++);
    return r.outcome;
  };
  expect(await plugin()).toBe('applied');

  // Fill the tmpfs, then keep sending until the store can no longer grow.
  inNs(['dd', 'if=/dev/zero', `of=${join(dir, 'state', 'filler')}`, 'bs=64k'], true);
  const outcomes: string[] = [];
  for (let i = 0; i < 60 && !outcomes.includes('spooled'); i++) outcomes.push(String(await plugin()));
  expect(outcomes).toContain('spooled');
  for (let i = 0; i < 3; i++) expect(await plugin()).toBe('spooled');
  const status = await getJson<{ engine: { storeHealthy: boolean; lastCommitError?: { message: string } } }>(HTTP, '/api/v1/status');
  expect(status.engine.storeHealthy).toBe(false);
  expect(status.engine.lastCommitError?.message).toMatch(/full|SQLITE_FULL|space/i);
  expect((await history(HTTP, 'full0')).length).toBeGreaterThan(0); // reads still served
  const fullError = status.engine.lastCommitError?.message;

  // Space back: the spooled events are applied, in order.
  inNs(['rm', '-f', join(dir, 'state', 'filler')]);
  for (let i = 0; i < 100 && spoolFiles(join(dir, 'spool')).length > 0; i++) await sleep(100);
  expect(spoolFiles(join(dir, 'spool'))).toEqual([]);
  expect(await plugin()).toBe('applied');

  // Read-only state dir (a writable mount cannot be remounted read-only while SQLite holds it
  // open, so the manager is restarted onto the read-only file system, as after a boot with a
  // failing flash): it starts, serves reads, answers unavailable, plugins spool.
  const startArgs = mgrArgs();
  expect(await mgr.stop()).toBe(0);
  inNs(['mount', '-o', 'remount,ro', join(dir, 'state')]);
  mgr = await startManager(startArgs, { http: HTTP, wrap: ['nsenter', '-t', String(holder!.pid), '-m', '--'] });
  expect(await plugin()).toBe('spooled');
  expect(await plugin()).toBe('spooled');
  const ro = await getJson<{ engine: { storeHealthy: boolean; lastCommitError?: { message: string } } }>(HTTP, '/api/v1/status');
  expect(ro.engine.storeHealthy).toBe(false);
  expect((await getJson<{ leases: unknown[] }>(HTTP, '/api/v1/leases')).leases).toHaveLength(1);
  expect((await history(HTTP, 'full0')).length).toBeGreaterThan(0);
  const roLog = mgr.stdout().split('\n').find((l) => /read-only|readonly/i.test(l));
  expect(roLog).toBeDefined();
  expect(await mgr.stop()).toBe(0);
  inNs(['mount', '-o', 'remount,rw', join(dir, 'state')]);
  mgr = await startManager(startArgs, { http: HTTP, wrap: ['nsenter', '-t', String(holder!.pid), '-m', '--'] });
  for (let i = 0; i < 100 && spoolFiles(join(dir, 'spool')).length > 0; i++) await sleep(100);
  expect(spoolFiles(join(dir, 'spool'))).toEqual([]);
  expect(await plugin()).toBe('applied');

  const times = (await history(HTTP, 'full0')).map((e) => e.lease.leaseTime);
  expect(times).toEqual(sent);
  expect(mgr.child.exitCode).toBeNull();
  console.log(`FIGURES diskfull ${JSON.stringify({ sent: sent.length, applied: times.length, lost: sent.length - times.length, fullError, readOnlyLog: JSON.parse(roLog!).msg })}`);
  expect(await mgr.stop()).toBe(0);
});
