/**
 * Wall-clock steps seen by the real daemon. The manager runs under libfaketime (Debian package
 * `faketime`), which steps CLOCK_REALTIME for that process only, by the offset written in a file
 * it re-reads on every call; FAKETIME_DONT_FAKE_MONOTONIC=1 leaves CLOCK_MONOTONIC real. The
 * machine's clock is never touched. The daemon applies leases with `ip` (--apply iproute2) to
 * erouter0 in a namespace this test creates; the lease comes from the real udhcpc plugin.
 * A DHCPv4 lease (udhcpc plugin) and a DHCPv6 address + prefix (dibbler plugin) are checked.
 * Steps: +10 years and -10 years while running, then a restart with the clock 7 years ahead.
 */
import * as fs from 'fs';
import * as path from 'path';
import { asserted } from './src/check';
import { loadCapture } from './src/fixtures';
import { CLEAN_PATH, createLab, Lab, NET } from './src/lab';
import { addrsOn, DIBBLER_PLUGIN_BIN, Manager, MANAGER_BIN, startManager, UDHCPC_PLUGIN_BIN, requireBuilt } from './src/manager';
import { run, sleep, waitFor } from './src/proc';

jest.setTimeout(60000);

/** Debian's path (multiarch dir: x86_64-linux-gnu here, aarch64-linux-gnu on arm64...). */
const LIBFAKETIME = (() => {
  const dirs = fs.existsSync('/usr/lib') ? fs.readdirSync('/usr/lib').filter((d) => d.endsWith('-linux-gnu')) : [];
  const found = dirs.map((d) => `/usr/lib/${d}/faketime/libfaketime.so.1`).find((f) => fs.existsSync(f));
  return found ?? '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
})();
const V4 = 'Device.DHCPv4.Client.1.';
const LEASE_S = 3600;
const ADDRESS = '192.168.77.130';
/** The DHCPv6 address and prefix (dibbler plugin), valid for VALID6_S, preferred for half of it. */
const ADDRESS6 = 'fd00:77::10b';
const VALID6_S = 7200;
const IA = 'Device.IP.Interface.1.IPv6Address.1.';
const PD = 'Device.IP.Interface.1.IPv6Prefix.1.';

let lab: Lab;
let mgr: Manager;
let offsetFile: string;
let sentAt: bigint;

function faketimeEnv(): NodeJS.ProcessEnv {
  if (!fs.existsSync(LIBFAKETIME)) throw new Error(`${LIBFAKETIME} is missing: install the Debian package faketime (test-e2e/install-deps.sh)`);
  return {
    ...process.env, LD_PRELOAD: LIBFAKETIME, FAKETIME_TIMESTAMP_FILE: offsetFile, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}

/** Step the daemon's wall clock: `+3650d`, `-3650d`, `+0`... (offset from the real time). */
function setOffset(offset: string): void {
  fs.writeFileSync(offsetFile, `${offset}\n`);
}

function remaining(): number {
  return Number(mgr.get(V4)[`${V4}LeaseTimeRemaining`]);
}

/** What is left of the lease on the real monotonic clock of this test process. */
function expectedLeft(): number {
  return LEASE_S - Number((process.hrtime.bigint() - sentAt) / 1_000_000_000n);
}

function expiresYear(): number {
  return new Date(String(mgr.get(V4)[`${V4}X_DHCPMGR_LeaseExpires`])).getUTCFullYear();
}

function checkV6(): string {
  const p = mgr.get('Device.IP.Interface.1.');
  const want = VALID6_S - Number((process.hrtime.bigint() - sentAt) / 1_000_000_000n);
  for (const obj of [IA, PD]) {
    const left = Number(p[`${obj}X_DHCPMGR_ValidLifetimeRemaining`]);
    expect(left).toBeGreaterThanOrEqual(want - 2);
    expect(left).toBeLessThanOrEqual(want + 1);
  }
  expect(p[`${IA}IPAddress`]).toBe(ADDRESS6);
  expect(p[`${IA}IPAddressStatus`]).toBe('Preferred');
  expect(p[`${PD}Prefix`]).toBe('fd00:77:100:26::/64');
  expect(addrsOn(lab, NET.clientIf).some((a) => a.family === 'inet6' && a.local === ADDRESS6)).toBe(true);
  return `IPv6 valid ${p[`${IA}X_DHCPMGR_ValidLifetimeRemaining`]} s (expected ${want}), ${ADDRESS6} still on ${NET.clientIf}`;
}

async function checkLease(label: string, yearOffset: number): Promise<void> {
  // The daemon sees the step: its rendering of the deadline (wall now + time left) moved.
  await waitFor(`the daemon's wall clock at ${yearOffset} years`, () => {
    const y = expiresYear();
    return Math.abs(y - (new Date().getUTCFullYear() + yearOffset)) <= 1 ? y : undefined;
  }, 5000, 200);
  const left = remaining();
  const want = expectedLeft();
  expect(left).toBeGreaterThanOrEqual(want - 2);
  expect(left).toBeLessThanOrEqual(want + 1);
  expect(mgr.get(V4)[`${V4}IPAddress`]).toBe(ADDRESS);
  expect(addrsOn(lab, NET.clientIf).some((a) => a.family === 'inet' && a.local === ADDRESS && a.prefixlen === 24)).toBe(true);
  const v6 = checkV6();
  const history = mgr.json(['history']) as Array<{ msgTypeName: string; cause: string }>;
  expect(history.map((e) => `${e.msgTypeName}:${e.cause}`)).toEqual(['LEASE_UPDATE:bound', 'LEASE_UPDATE:update']);
  asserted(`${label}: LeaseExpires in ${expiresYear()}, LeaseTimeRemaining ${left} s (expected ${want}), ${ADDRESS}/24 still on ${NET.clientIf}; ${v6}; no LEASE_DEL`);
}

beforeAll(async () => {
  requireBuilt(MANAGER_BIN, UDHCPC_PLUGIN_BIN, DIBBLER_PLUGIN_BIN);
  lab = await createLab('clk');
  offsetFile = path.join(lab.dir, 'faketime-offset');
  setOffset('+0');
  mgr = await startManager(lab, ['--interfaces', NET.clientIf], faketimeEnv());
}, 30000);

afterAll(async () => {
  await lab?.teardown();
});

it('runs the daemon under libfaketime: its wall clock steps, its monotonic clock does not', async () => {
  setOffset('+3650d');
  await waitFor('the daemon\'s uptime to jump by years', () => {
    const s = mgr.status();
    return typeof s.uptimeSeconds === 'number' && s.uptimeSeconds > 300 * 24 * 3600 ? s : undefined;
  }, 5000, 200);
  setOffset('+0');
  await waitFor('uptime back to seconds', () => {
    const s = mgr.status();
    return typeof s.uptimeSeconds === 'number' && s.uptimeSeconds < 600 ? s : undefined;
  }, 5000, 200);
  asserted('the daemon\'s Date.now followed FAKETIME (uptime jumped by ~10 years and back)');
});

it('keeps a lease, its remaining time and its address through wall-clock steps of +-10 years while running', async () => {
  const cap = loadCapture('udhcpc-bound.env');
  const env = { ...cap.env, PATH: CLEAN_PATH, interface: NET.clientIf, ip: ADDRESS, lease: String(LEASE_S), DHCPMGR_SPOOL_DIR: mgr.spoolDir };
  sentAt = process.hrtime.bigint();
  run(lab.inNs(lab.cli, [process.execPath, UDHCPC_PLUGIN_BIN, 'bound']), { env });
  const cap6 = loadCapture('dibbler-add.env');
  run(lab.inNs(lab.cli, [process.execPath, DIBBLER_PLUGIN_BIN, 'add']), {
    env: {
      ...cap6.env, PATH: CLEAN_PATH, IFACE: NET.clientIf, ADDR1VALID: String(VALID6_S), ADDR1PREF: String(VALID6_S / 2),
      PREFIX1VALID: String(VALID6_S), PREFIX1PREF: String(VALID6_S / 2), DHCPMGR_SPOOL_DIR: mgr.spoolDir,
    },
  });
  await waitFor('the addresses on erouter0', () => (addrsOn(lab, NET.clientIf).some((a) => a.local === ADDRESS)
    && addrsOn(lab, NET.clientIf).some((a) => a.local === ADDRESS6) ? true : undefined), 10000);
  await checkLease('no step', 0);
  setOffset('+3650d');
  await sleep(1500);
  await checkLease('+10 years while running', 10);
  setOffset('-3650d');
  await sleep(1500);
  await checkLease('-10 years while running', -10);
});

it('keeps them across a restart in the same boot with the wall clock stepped while stopped', async () => {
  await mgr.stop();
  expect(addrsOn(lab, NET.clientIf).some((a) => a.local === ADDRESS)).toBe(true);
  setOffset('+2557d');
  await sleep(2000);
  mgr = await startManager(lab, ['--interfaces', NET.clientIf], faketimeEnv());
  await checkLease('restart, +7 years', 7);
  setOffset('-3650d');
  await sleep(1500);
  await checkLease('restart, then -10 years', -10);
  const status = mgr.status() as { engine: { expired: number } };
  expect(status.engine.expired).toBe(0);
});
