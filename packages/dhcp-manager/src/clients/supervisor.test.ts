/** ClientRunner with real short-lived processes (coreutils `sleep`) standing in for a DHCP client. */
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import pino from 'pino';
import { ClientEventType, ClientRunner, Launcher, procCmdline, Timing } from './supervisor';

const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SLEEP = '/bin/sleep';

function runner(dir: string, seconds: string, timing: Partial<Timing>, link: () => string | undefined = () => undefined) {
  const events: Array<{ type: ClientEventType; at: number; detail: Record<string, unknown> }> = [];
  const launcher: Launcher = { launch: () => ({ argv: [SLEEP, seconds], env: {}, expect: [SLEEP, seconds] }), renew: 'SIGUSR1' };
  const t: Timing = { backoffMinMs: 50, backoffMaxMs: 200, stableMs: 10_000, pollMs: 50, stopTimeoutMs: 2000, releaseWaitMs: 10, ...timing };
  const r = new ClientRunner('test.1', { pid: join(dir, 'test.1.pid'), log: join(dir, 'test.1.log') }, launcher, link,
    { event: (type, detail) => events.push({ type, at: Date.now(), detail }), released: () => events.push({ type: 'CLIENT_STOPPED', at: Date.now(), detail: { released: true } }) }, log, t);
  return { r, events };
}

describe('client supervision', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-sup-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('restarts a client that keeps exiting with a doubling back-off bounded by backoffMaxMs', async () => {
    const { r, events } = runner(dir, '0', {});
    r.enable();
    await sleep(900);
    await r.disable(false);
    const delays = events.filter((e) => e.type === 'CLIENT_FAILED').map((e) => e.detail.restartInMs);
    expect(delays.slice(0, 5)).toEqual([50, 100, 200, 200, 200]);
    expect(r.status).toBe('Disabled');
  });

  it('resets the back-off after a run longer than stableMs', async () => {
    const { r, events } = runner(dir, '0.2', { stableMs: 100 });
    r.enable();
    await sleep(1000);
    await r.disable(false);
    const delays = events.filter((e) => e.type === 'CLIENT_FAILED').map((e) => e.detail.restartInMs);
    expect(delays.length).toBeGreaterThanOrEqual(2);
    expect(new Set(delays)).toEqual(new Set([50]));
  });

  it('waits for the link instead of spawning, then starts once it is ready', async () => {
    let ready = false;
    const { r, events } = runner(dir, '30', {}, () => (ready ? undefined : 'interface missing'));
    r.enable();
    await sleep(200);
    expect(events).toEqual([]);
    expect(r.problem).toBe('interface missing');
    ready = true;
    await sleep(200);
    expect(events.map((e) => e.type)).toEqual(['CLIENT_STARTED']);
    await r.disable(true);
    expect(events.map((e) => e.type)).toEqual(['CLIENT_STARTED', 'CLIENT_STOPPED', 'CLIENT_STOPPED']);
  });

  it('re-adopts its running client from the pid file after a restart, and replaces one whose command line changed', async () => {
    const a = runner(dir, '30', {});
    a.r.enable();
    await sleep(100);
    const pid = a.r.processId!;
    expect(procCmdline(pid)).toEqual([SLEEP, '30']);
    a.r.detach();
    expect(JSON.parse(readFileSync(join(dir, 'test.1.pid'), 'utf8'))).toMatchObject({ pid, expect: [SLEEP, '30'] });
    const b = runner(dir, '30', {});
    b.r.adopt(true);
    expect(b.r.processId).toBe(pid);
    expect(b.events).toEqual([]);
    b.r.detach();
    const c = runner(dir, '31', {});
    c.r.adopt(true);
    await sleep(150);
    expect(c.r.processId).not.toBe(pid);
    expect(procCmdline(pid)).toBeUndefined();
    expect(c.events.map((e) => e.type)).toEqual(['CLIENT_STARTED']);
    await c.r.disable(false);
  });
});
