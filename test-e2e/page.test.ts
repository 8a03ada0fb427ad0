/// <reference lib="dom" />
/**
 * The status page in a real headless Chromium, against the real built manager fed by the real
 * built plugins (run with captured udhcpc/dibbler environments, delivering over the acked ipc://
 * channel). No namespaces are needed: everything is on loopback and in a temp dir.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshotPath } from './src/browser';
import { asserted } from './src/check';
import { loadCapture } from './src/fixtures';
import { DIBBLER_PLUGIN_BIN, MANAGER_BIN, requireBuilt, ROOT, UDHCPC_PLUGIN_BIN } from './src/manager';
import { run, start, stop, Tracked, waitFor } from './src/proc';

jest.setTimeout(60000);

// This file's ports: 23000-23399 (one per run, by PID, so parallel runs on one machine differ).
const PORT = 23000 + (process.pid % 400);
const URL = `http://127.0.0.1:${PORT}/`;

let dir: string;
let mgr: Tracked | undefined;
let browser: Browser;
let page: Page;

async function startManager(): Promise<void> {
  // --accept-unconfigured: this manager runs no DHCP clients; the test's plugin runs feed it.
  mgr = start('dhcp-manager', [process.execPath, MANAGER_BIN, 'start', '--accept-unconfigured', '--listen', 'off', '--ack-listen', `ipc://${dir}/ack.ipc`,
    '--events', `ipc://${dir}/pub.ipc`, '--http', `127.0.0.1:${PORT}`, '--state-dir', path.join(dir, 'state'),
    '--spool-dir', path.join(dir, 'spool'), '--durability', 'normal', '--spool-scan-ms', '200',
    // The plugins are run by the test, not by a client the manager started.
    '--accept-unconfigured'], { logFile: path.join(dir, 'manager.log') });
  const m = mgr;
  await waitFor('the manager to answer /healthz', async () => {
    if (m.child.exitCode !== null) throw new Error(`manager exited ${m.child.exitCode}: ${m.err()}`);
    return (await fetch(`${URL}healthz`)).ok ? true : undefined;
  }, 15000, 100);
}

/** One plugin run, as the DHCP client would make it; the manager must have applied it. */
function plugin(bin: string, capture: string, overrides: Record<string, string>): void {
  const c = loadCapture(capture);
  const env = {
    ...c.env, ...overrides, DHCPMGR_ACK_ADDR: `ipc://${dir}/ack.ipc`, DHCPMGR_SPOOL_DIR: path.join(dir, 'spool'),
    DHCPMGR_CONFIG: path.join(dir, 'plugin.json'), DHCPMGR_LOG_LEVEL: 'debug',
  };
  const r = run([process.execPath, bin, c.event], { env });
  if (!r.stderr.includes('"outcome":"applied"')) throw new Error(`plugin ${capture} not applied: ${r.stderr}`);
}

const v4 = (ifname: string, ip: string) => plugin(UDHCPC_PLUGIN_BIN, 'udhcpc-bound.env', { interface: ifname, ip, lease: '600' });

beforeAll(async () => {
  requireBuilt(MANAGER_BIN, UDHCPC_PLUGIN_BIN, DIBBLER_PLUGIN_BIN, path.join(ROOT, 'packages/dhcp-manager/dist/http/page/app.js'));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dhcpmgr-page-'));
  fs.writeFileSync(path.join(dir, 'plugin.json'), '{}');
  await startManager();
  v4('erouter0', '192.168.77.130');
  plugin(DIBBLER_PLUGIN_BIN, 'dibbler-add.env', { IFACE: 'erouter0', ADDR1PREF: '1800', ADDR1VALID: '3600', PREFIX1PREF: '1800', PREFIX1VALID: '3600' });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(URL);
}, 60000);

afterAll(async () => {
  await browser?.close();
  if (mgr) await stop(mgr);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const text = (sel: string) => page.locator(sel).first().innerText();

it('shows the leases the plugins delivered: address, prefix, DNS, state', async () => {
  const cards = page.locator('#ifaces .iface');
  expect(await cards.count()).toBe(2);
  const v4card = await page.locator('.iface[data-path="Device.DHCPv4.Client.1."]').innerText();
  expect(v4card).toContain('erouter0');
  expect(v4card).toContain('192.168.77.130/24');
  expect(v4card).toContain('192.168.77.53');
  expect(v4card).toMatch(/bound/i);
  const v6card = await page.locator('.iface[data-path="Device.DHCPv6.Client.1."]').innerText();
  expect(v6card).toContain('fd00:77::10b');
  expect(v6card).toContain('fd00:77:100:26::/64');
  expect(v6card).toContain('fd00:77::53');
  asserted('page lists erouter0 v4 192.168.77.130/24 (DNS 192.168.77.53) and v6 fd00:77::10b + fd00:77:100:26::/64');
});

it('follows the event stream: a new lease appears without a reload', async () => {
  await page.waitForFunction(() => document.getElementById('live')?.textContent === 'live');
  await page.evaluate(() => { (window as unknown as { marker: number }).marker = 42; });
  v4('wan1', '192.168.77.141');
  await page.waitForFunction(() => document.getElementById('ifaces')!.textContent!.includes('192.168.77.141/24'), undefined, { timeout: 5000 });
  expect(await text('#events li')).toMatch(/wan1 v4 LEASE_UPDATE .*192\.168\.77\.141/);
  expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42);
  asserted('wan1 192.168.77.141 appeared on the page and in the feed with no navigation');
});

it('ticks the countdowns in the browser', async () => {
  const cd = page.locator('.iface[data-path="Device.DHCPv4.Client.1."] .cd').first();
  const before = await cd.innerText();
  expect(before).toMatch(/^\d+m \d\ds$/);
  await page.waitForFunction((b) => {
    const el = document.querySelector('.iface[data-path="Device.DHCPv4.Client.1."] .cd');
    return el !== null && el.textContent !== b;
  }, before, { timeout: 3000 });
  const after = await cd.innerText();
  const secs = (t: string) => { const m = /^(\d+)m (\d\d)s$/.exec(t)!; return Number(m[1]) * 60 + Number(m[2]); };
  expect(secs(after)).toBeLessThan(secs(before));
  expect(secs(before)).toBeLessThanOrEqual(300); // T1 of a 600 s lease (option 58 says 60 s)
  asserted(`T1 countdown moved ${before} -> ${after}`);
});

it('saves screenshots at desktop and phone sizes', async () => {
  const desktop = screenshotPath('status-desktop');
  await page.screenshot({ path: desktop, fullPage: true });
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  await phone.goto(URL);
  await phone.waitForFunction(() => document.getElementById('live')?.textContent === 'live');
  // Readable on a phone: nothing wider than the screen.
  expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  const mobile = screenshotPath('status-phone');
  await phone.screenshot({ path: mobile, fullPage: true });
  await phone.close();
  for (const f of [desktop, mobile]) expect(fs.statSync(f).size).toBeGreaterThan(10_000);
  asserted(`screenshots ${desktop} ${mobile}`);
});

it('reconnects the feed after the manager restarts, and catches up', async () => {
  await stop(mgr!);
  await page.waitForFunction(() => document.getElementById('live')?.textContent !== 'live', undefined, { timeout: 5000 });
  asserted(`feed shows "${await text('#live')}" while the manager is down`);
  await startManager();
  await page.waitForFunction(() => document.getElementById('live')?.textContent === 'live', undefined, { timeout: 10000 });
  v4('wan2', '192.168.77.142');
  await page.waitForFunction(() => document.getElementById('events')!.textContent!.includes('192.168.77.142'), undefined, { timeout: 5000 });
  await page.waitForFunction(() => document.getElementById('ifaces')!.textContent!.includes('192.168.77.142/24'), undefined, { timeout: 5000 });
  expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42);
  asserted('after the restart the same page (no reload) received wan2 192.168.77.142 over the reconnected stream');
});

it('Renew asks for the token once, keeps it in sessionStorage and PATCHes /api/v1/tr181 (manager without writes: 403)', async () => {
  const prompts: string[] = [];
  page.on('dialog', (d) => { prompts.push(d.message()); void d.accept('tok-1'); });
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/tr181') && r.request().method() === 'PATCH'),
    page.locator('.iface[data-path="Device.DHCPv4.Client.1."] button[data-set="Renew"]').click(),
  ]);
  expect(resp.request().headers().authorization).toBe('Bearer tok-1');
  expect(JSON.parse(resp.request().postData()!)).toEqual({ 'Device.DHCPv4.Client.1.Renew': true });
  expect(resp.status()).toBe(403);
  await page.waitForFunction(() => document.getElementById('msg')!.textContent!.includes('--api-token-file'));
  expect(prompts).toHaveLength(1);
  asserted(`Renew sent PATCH {"Device.DHCPv4.Client.1.Renew":true} with the token; answer 403 "${await text('#msg')}"`);
});

it('Renew and Disable reach the write API of a server that has one', async () => {
  // The built HTTP server with the real manager's data and a recording writer.
  const { startHttp, stopHttp } = require(path.join(ROOT, 'packages/dhcp-manager/dist/http/server.js')) as typeof import('../packages/dhcp-manager/src/http/server');
  const get = async (p: string) => (await (await fetch(`${URL}${p}`)).json()) as Record<string, unknown>;
  const [leases, history, status] = [(await get('api/v1/leases')).leases as unknown[], (await get('api/v1/history')).events as unknown[], await get('api/v1/status')];
  const writes: Array<{ token: string | undefined; values: Record<string, unknown> }> = [];
  let token: string | undefined;
  const server = await startHttp({
    get: () => ({ ok: true, values: [] }), leases: () => leases, history: () => history, status: () => status,
    metrics: async () => ({ contentType: 'text/plain', body: '' }), subscribe: () => () => undefined,
    write: {
      authorize: (t) => { token = t; return t === 'tok-2' ? 'ok' : t === undefined ? 'missing' : 'bad'; },
      set: async (values) => { writes.push({ token, values }); return { ok: true, applied: Object.keys(values) }; },
    },
  }, '127.0.0.1', PORT + 400, () => undefined, { page: true });
  const p = await browser.newPage();
  try {
    const prompts: string[] = [];
    p.on('dialog', (d) => { prompts.push(d.message()); void d.accept('tok-2'); });
    await p.goto(`http://127.0.0.1:${PORT + 400}/`);
    await p.locator('.iface[data-path="Device.DHCPv6.Client.1."] button[data-set="Renew"]').click();
    await p.waitForFunction(() => document.getElementById('msg')!.textContent === 'applied Device.DHCPv6.Client.1.Renew');
    await p.locator('.iface[data-path="Device.DHCPv4.Client.1."] button:has-text("Disable")').click();
    await p.waitForFunction(() => document.getElementById('msg')!.textContent === 'applied Device.DHCPv4.Client.1.Enable');
    expect(writes).toEqual([
      { token: 'tok-2', values: { 'Device.DHCPv6.Client.1.Renew': true } },
      { token: 'tok-2', values: { 'Device.DHCPv4.Client.1.Enable': false } },
    ]);
    expect(prompts).toHaveLength(1); // the second write reused the session's token
    expect(await p.evaluate(() => sessionStorage.getItem('dhcpmgr.apiToken'))).toBe('tok-2');
    asserted(`writes reached the api: ${JSON.stringify(writes)}`);
  } finally {
    await p.close();
    await stopHttp(server);
  }
});
