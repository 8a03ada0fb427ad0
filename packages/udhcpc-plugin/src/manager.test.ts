/**
 * The built plugin against the real manager daemon (packages/dhcp-manager/dist/bin.js), both as
 * separate processes: 500 sequential runs all applied; manager stopped -> each run returns
 * within the bound and spools; manager started -> the spool is replayed in order, none twice.
 * The manager's HTTP history (TCP 24900, loopback) shows what it applied.
 */
import { ChildProcess, spawn } from 'child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { builtBin } from '@dhcpmgr/plugin-msg/testing';

jest.setTimeout(600_000); // 500 process starts: ~40 s idle, minutes on a loaded machine
const bin = builtBin(join(__dirname, '..'), 'dhcpmgr-udhcpc-plugin');
const manager = join(__dirname, '..', '..', 'dhcp-manager', 'dist', 'bin.js');
const HTTP = '127.0.0.1:24900';
let dir: string;
let mgr: ChildProcess | undefined;

beforeAll(() => {
  if (!existsSync(manager)) throw new Error(`${manager} is missing: run \`npm run build\` first`);
  dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-plugin-mgr-'));
  writeFileSync(join(dir, 'plugin.json'), '{}');
});
afterAll(async () => {
  await stopManager();
  rmSync(dir, { recursive: true, force: true });
});

async function startManager(): Promise<void> {
  mgr = spawn(process.execPath, [manager, 'start', '--accept-unconfigured', '--listen', 'off', '--ack-listen', `ipc://${dir}/ack.ipc`, '--events', 'off',
    '--http', HTTP, '--state-dir', join(dir, 'state'), '--spool-dir', join(dir, 'spool'), '--history-per-interface', '2000',
    '--durability', 'normal', '--spool-scan-ms', '200'], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://${HTTP}/healthz`)).ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('manager did not start');
}

async function stopManager(): Promise<void> {
  const m = mgr;
  mgr = undefined;
  if (!m || m.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => m.kill('SIGKILL'), 5000);
    m.on('exit', () => { clearTimeout(t); resolve(); });
    m.kill('SIGTERM');
  });
}

function plugin(lease: number, timeoutMs = 2000): Promise<{ code: number | null; stderr: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'renew'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin', interface: 'wan0', ip: '10.1.0.2', subnet: '255.255.0.0',
        lease: String(lease), DHCPMGR_ACK_ADDR: `ipc://${dir}/ack.ipc`, DHCPMGR_SPOOL_DIR: join(dir, 'spool'),
        DHCPMGR_CONFIG: join(dir, 'plugin.json'), DHCPMGR_TIMEOUT_MS: String(timeoutMs), DHCPMGR_LOG_LEVEL: 'debug',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr, ms: Date.now() - t0 }));
  });
}

async function leaseTimes(): Promise<number[]> {
  const r = await fetch(`http://${HTTP}/api/v1/history?if=wan0&limit=2000`);
  const body = (await r.json()) as { events: Array<{ lease?: { leaseTime: number } }> };
  return body.events.map((e) => e.lease?.leaseTime ?? -1);
}

const spoolFiles = (): string[] => { try { return readdirSync(join(dir, 'spool')).filter((f) => f.endsWith('.msg')); } catch { return []; } };

it('500 sequential plugin runs against the running manager are all applied', async () => {
  await startManager();
  for (let i = 0; i < 500; i++) {
    const r = await plugin(1000 + i);
    if (r.code !== 0 || !r.stderr.includes('"outcome":"applied"')) throw new Error(`run ${i}: exit ${r.code}: ${r.stderr}`);
  }
  expect(spoolFiles()).toEqual([]);
  const seen = await leaseTimes();
  expect(seen.slice(-500)).toEqual(Array.from({ length: 500 }, (_, i) => 1000 + i));
});

it('spools within the bound while the manager is stopped, and the restarted manager applies every spooled event once, in order', async () => {
  await stopManager();
  const before = (await (async () => { await startManager(); const s = await leaseTimes(); await stopManager(); return s; })()).length;
  for (let i = 0; i < 20; i++) {
    const r = await plugin(5000 + i, 300);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('event spooled');
    expect(r.ms).toBeLessThan(300 + 2500);
  }
  expect(spoolFiles()).toHaveLength(20);
  await startManager();
  for (let i = 0; i < 100 && spoolFiles().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  expect(spoolFiles()).toEqual([]);
  const after = await leaseTimes();
  expect(after.slice(before)).toEqual(Array.from({ length: 20 }, (_, i) => 5000 + i));
  // A live event after the replay is applied on top, not overwritten by the old ones.
  const r = await plugin(9999);
  expect(r.stderr).toContain('"outcome":"applied"');
  expect((await leaseTimes()).slice(before)).toEqual([...Array.from({ length: 20 }, (_, i) => 5000 + i), 9999]);
});
