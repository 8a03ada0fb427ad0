/// <reference lib="dom" />
/**
 * `dhcp-manager lab`, as a newcomer runs it: it builds the namespaces, real dnsmasq and
 * dibbler-server lease to the real udhcpc and dibbler-client the manager runs on the gateway side,
 * the page shows the leases in a real Chromium, its Renew button (with the token the lab printed,
 * typed into the page's prompt) makes udhcpc renew, and SIGINT (Ctrl-C) leaves nothing behind: no
 * namespace, no process, no veth, no mount, no temp dir, no changed host file.
 */
import * as fs from 'fs';
import { alive } from '@dhcpmgr/dhcp-manager/dist/lab/procs';
import { launchBrowser, screenshotPath } from './src/browser';
import { asserted } from './src/check';
import { snapshotHostFiles } from './src/fixtures';
import { requireRoot } from './src/lab';
import { MANAGER_BIN, requireBuilt } from './src/manager';
import { run, start, trackDir, trackNetns, waitFor } from './src/proc';

jest.setTimeout(90000);

// This file's ports: 23400-23449.
const PORT = 23400 + (process.pid % 50);


interface HistoryEvent { time: number; version: number; ifname: string; msgTypeName: string; cause: string }

async function v4History(base: string): Promise<HistoryEvent[]> {
  const r = await fetch(`${base}api/v1/history?if=erouter0&limit=500`);
  expect(r.status).toBe(200);
  return ((await r.json()) as { events: HistoryEvent[] }).events.filter((e) => e.version === 4);
}

/** Processes whose mount table still mentions `dir` (a pinned dibbler mount namespace, an overlay). */
function mountsUnder(dir: string): string[] {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { return fs.readFileSync(`/proc/${p}/mountinfo`, 'utf8').includes(dir); } catch { return false; }
  });
}

/** The lab under test, until it exited; a failed test still stops it the way a person would (SIGINT). */
let running: ReturnType<typeof start> | undefined;

afterAll(async () => {
  if (!running || running.child.exitCode !== null) return;
  process.kill(running.pid, 'SIGINT');
  await Promise.race([running.exited, new Promise((r) => setTimeout(r, 20000))]);
});

it('runs the lab: leases show on the page, Renew makes a LEASE_RENEW, and SIGINT removes everything it made', async () => {
  requireRoot();
  requireBuilt(MANAGER_BIN);
  const hostBefore = snapshotHostFiles();
  const lab = start('dhcp-manager lab', [process.execPath, MANAGER_BIN, 'lab', '--port', String(PORT)]);
  running = lab;
  const out = await waitFor('the lab to print its page URL', () => {
    if (lab.child.exitCode !== null) throw new Error(`lab exited ${lab.child.exitCode}: ${lab.out()}${lab.err()}`);
    return /status page (http:\S+)/.test(lab.out()) ? lab.out() : undefined;
  }, 30000, 100);
  const url = /status page (http:\S+)/.exec(out)![1]!;
  const [, token, tokenFile] = /API token (\S+) \(in (\S+)\)/.exec(out) ?? [];
  const [, srv, gw, dir] = /namespaces (\S+) .* and (\S+) .*files in (\S+)/.exec(out)!;
  for (const ns of [srv!, gw!]) trackNetns(ns, true); // removed by the suite's reaper if this test dies
  trackDir(dir!, true);
  expect(url).toBe(`http://127.0.0.1:${PORT}/`);
  expect(srv!.length).toBeLessThanOrEqual(15);
  // The token file follows --api-token-file's rules: root's, 0600, in the lab's own temp dir.
  expect(tokenFile).toBe(`${dir}/api-token`);
  const st = fs.statSync(tokenFile!);
  expect([st.uid, (st.mode & 0o777).toString(8)]).toEqual([0, '600']);
  expect(fs.readFileSync(tokenFile!, 'utf8').trim()).toBe(token);
  expect(token!.length).toBeGreaterThanOrEqual(16);

  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(url);
    await page.waitForFunction(() => {
      const t = document.getElementById('ifaces')?.textContent ?? '';
      return /192\.168\.77\.1[0-5]\d\/24/.test(t) && /fd00:77::1[0-9a-f]{2}\/128/.test(t);
    }, undefined, { timeout: 30000, polling: 250 });
    const cards = await page.locator('#ifaces').innerText();
    asserted(`lab page shows the v4 lease ${/192\.168\.77\.\d+\/24/.exec(cards)![0]} and the v6 address ${/fd00:77::[0-9a-f]+\/128/.exec(cards)![0]} from the real servers`);

    // Renew on the DHCPv4 card: the page asks for the token, PATCHes Renew, the manager signals
    // udhcpc (SIGUSR1), dnsmasq answers and the plugin's LEASE_RENEW comes back over the stream.
    const before = await v4History(url);
    const bound = [...before].reverse().find((e) => e.msgTypeName === 'LEASE_UPDATE');
    expect(bound?.cause).toBe('bound');
    expect(before.filter((e) => e.msgTypeName === 'LEASE_RENEW')).toEqual([]);
    expect(await page.locator('#events li.LEASE_RENEW').count()).toBe(0);
    const prompts: string[] = [];
    page.on('dialog', (d) => { prompts.push(d.message()); void d.accept(token); });
    const clicked = Date.now();
    await page.locator('.iface[data-path="Device.DHCPv4.Client.1."] button[data-set="Renew"]').click();
    await page.waitForFunction(() => document.getElementById('msg')!.textContent === 'applied Device.DHCPv4.Client.1.Renew',
      undefined, { timeout: 10000, polling: 100 });
    expect(prompts).toEqual(["API token for writes (kept only in this tab's session)"]);
    const pushed = page.locator('#events li.new.LEASE_RENEW', { hasText: 'erouter0' });
    await pushed.first().waitFor({ timeout: 15000 });
    const item = await pushed.first().innerText();
    expect(item).toMatch(/erouter0 v4 LEASE_RENEW renew 192\.168\.77\.1[0-5]\d/);
    const renews = (await v4History(url)).filter((e) => e.msgTypeName === 'LEASE_RENEW');
    expect(renews).toHaveLength(1);
    expect(renews[0]!.time).toBeGreaterThanOrEqual(clicked - 1000);
    // udhcpc would renew by itself only at T1, half of dnsmasq's 120 s lease: this one is the click's.
    expect(renews[0]!.time).toBeLessThan(bound!.time + 60000);
    asserted(`Renew (token from the page's prompt) made LEASE_RENEW ${renews[0]!.time - clicked} ms after the click, ${Math.round((bound!.time + 60000 - renews[0]!.time) / 1000)} s before T1; feed shows "${item}"`);
    await page.screenshot({ path: screenshotPath('lab-desktop'), fullPage: true });
  } finally {
    await browser.close();
  }

  const pids = [...new Set([srv!, gw!].flatMap((ns) => run(['ip', 'netns', 'pids', ns]).stdout.split('\n').filter(Boolean).map(Number)))];
  expect(pids.length).toBeGreaterThanOrEqual(6); // dnsmasq, dibbler-server, manager, bridge, udhcpc, dibbler-client
  const mounted = mountsUnder(dir!);
  expect(mounted.length).toBeGreaterThanOrEqual(1); // dibbler-client's private /etc overlay lives in the temp dir
  process.kill(lab.pid, 'SIGINT');
  const code = await Promise.race([lab.exited, new Promise((r) => setTimeout(() => r('timeout'), 20000))]);
  expect(code).toBe(0);
  expect(lab.out()).toContain(`lab: removed ${srv}, ${gw}, ${dir}`);
  expect(lab.out()).not.toContain('leftover'); // the manager stopped its clients itself
  expect(mountsUnder(dir!)).toEqual([]);
  const netns = run(['ip', 'netns', 'list']).stdout;
  expect([netns.includes(srv!), netns.includes(gw!)]).toEqual([false, false]);
  expect(pids.filter(alive)).toEqual([]);
  expect(fs.existsSync(dir!)).toBe(false);
  expect(run(['ip', 'link']).stdout).not.toMatch(/dmv[0-9a-f]{6}[sg]/);
  expect(snapshotHostFiles()).toEqual(hostBefore);
  for (const ns of [srv!, gw!]) trackNetns(ns, false);
  trackDir(dir!, false);
  asserted(`SIGINT: lab exited 0; namespaces ${srv}, ${gw} deleted; ${pids.length} processes (${pids.join(' ')}) gone; no mount under ${dir}; ${dir} removed; host /etc files unchanged`);
});
