/// <reference lib="dom" />
/**
 * `dhcp-manager lab`, as a newcomer runs it: it builds the namespaces, real dnsmasq and
 * dibbler-server lease to real udhcpc and dibbler-client on the gateway side, the page shows the
 * leases in a real Chromium, and SIGINT (Ctrl-C) leaves nothing behind: no namespace, no process,
 * no temp dir, no changed host file.
 */
import * as fs from 'fs';
import { launchBrowser, screenshotPath } from './src/browser';
import { asserted } from './src/check';
import { snapshotHostFiles } from './src/fixtures';
import { requireRoot } from './src/lab';
import { MANAGER_BIN, requireBuilt } from './src/manager';
import { run, start, trackDir, trackNetns, waitFor } from './src/proc';

jest.setTimeout(90000);

// This file's ports: 23400-23449.
const PORT = 23400 + (process.pid % 50);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it('runs the lab: leases show on the page, and SIGINT removes everything it made', async () => {
  requireRoot();
  requireBuilt(MANAGER_BIN);
  const hostBefore = snapshotHostFiles();
  const lab = start('dhcp-manager lab', [process.execPath, MANAGER_BIN, 'lab', '--port', String(PORT)]);
  const out = await waitFor('the lab to print its page URL', () => {
    if (lab.child.exitCode !== null) throw new Error(`lab exited ${lab.child.exitCode}: ${lab.out()}${lab.err()}`);
    return /status page (http:\S+)/.test(lab.out()) ? lab.out() : undefined;
  }, 30000, 100);
  const url = /status page (http:\S+)/.exec(out)![1]!;
  const [, srv, gw, dir] = /namespaces (\S+) .* and (\S+) .*files in (\S+)/.exec(out)!;
  for (const ns of [srv!, gw!]) trackNetns(ns, true); // removed by the suite's reaper if this test dies
  trackDir(dir!, true);
  expect(url).toBe(`http://127.0.0.1:${PORT}/`);
  expect(srv!.length).toBeLessThanOrEqual(15);

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
    await page.screenshot({ path: screenshotPath('lab-desktop'), fullPage: true });
  } finally {
    await browser.close();
  }

  const pids = [...new Set([srv!, gw!].flatMap((ns) => run(['ip', 'netns', 'pids', ns]).stdout.split('\n').filter(Boolean).map(Number)))];
  expect(pids.length).toBeGreaterThanOrEqual(6); // dnsmasq, dibbler-server, manager, bridge, udhcpc, dibbler-client
  process.kill(lab.pid, 'SIGINT');
  const code = await Promise.race([lab.exited, new Promise((r) => setTimeout(() => r('timeout'), 20000))]);
  expect(code).toBe(0);
  expect(lab.out()).toContain(`lab: removed ${srv}, ${gw}, ${dir}`);
  const netns = run(['ip', 'netns', 'list']).stdout;
  expect([netns.includes(srv!), netns.includes(gw!)]).toEqual([false, false]);
  expect(pids.filter(alive)).toEqual([]);
  expect(fs.existsSync(dir!)).toBe(false);
  expect(run(['ip', 'link']).stdout).not.toMatch(/dmv[0-9a-f]{6}[sg]/);
  expect(snapshotHostFiles()).toEqual(hostBefore);
  for (const ns of [srv!, gw!]) trackNetns(ns, false);
  trackDir(dir!, false);
  asserted(`SIGINT: lab exited 0; namespaces ${srv}, ${gw} deleted; ${pids.length} processes (${pids.join(' ')}) gone; ${dir} removed; host /etc files unchanged`);
});
