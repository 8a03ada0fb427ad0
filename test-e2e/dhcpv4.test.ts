/**
 * DHCPv4 end to end: dnsmasq in the server namespace, busybox udhcpc running our plugin in the
 * client namespace, our manager (with --apply iproute2) in the client namespace too. Everything
 * is asserted from outside: `dhcp-manager get/status --json`, `ip addr`, `dhcp-manager watch`.
 */
import { asserted, param } from './src/check';
import { createLab, Lab, NET } from './src/lab';
import { addrsOn, eventOf, Manager, msgTypeOf, pluginScript, startManager, startWatch, UDHCPC_PLUGIN_BIN, Watch } from './src/manager';
import { signal, sleep, stop, Tracked, waitFor } from './src/proc';
import { startDnsmasq, startUdhcpc, V4_LEASE_S } from './src/servers';

jest.setTimeout(30000);
const V4 = 'Device.DHCPv4.Client.';

let lab: Lab;
let mgr: Manager;
let watch: Watch;
let udhcpc: Tracked;
let leased = '';

beforeAll(async () => {
  lab = await createLab('v4');
  startDnsmasq(lab);
  mgr = await startManager(lab);
  watch = startWatch(lab);
  await sleep(500); // let watch subscribe before the first event
}, 30000);

afterAll(async () => {
  await lab?.teardown();
});

function lease(): ReturnType<Manager['get']> {
  return mgr.get(V4);
}

function eventsOfType(type: string): Array<Record<string, unknown>> {
  return watch.events().filter((e) => msgTypeOf(e) === type);
}

it('binds a lease from dnsmasq and shows it in Device.DHCPv4.Client', async () => {
  const t0 = Date.now();
  udhcpc = startUdhcpc(lab, pluginScript(lab, UDHCPC_PLUGIN_BIN), { DHCPMGR_SPOOL_DIR: mgr.spoolDir });
  const p = await waitFor('a bound lease in the model', () => {
    const v = lease();
    const a = Object.entries(v).find(([k, x]) => k.endsWith('.IPAddress') && /^192\.168\.77\.\d+$/.test(String(x)));
    return a ? v : undefined;
  }, 10000);
  leased = String(param(p, V4, 'IPAddress'));
  asserted(`v4 bound in ${Date.now() - t0} ms: IPAddress ${leased} (dnsmasq range .100-.150)`);
  const host = Number(leased.split('.')[3]);
  expect(host).toBeGreaterThanOrEqual(100);
  expect(host).toBeLessThanOrEqual(150);
  expect(param(p, V4, 'SubnetMask')).toBe('255.255.255.0');
  asserted('v4 SubnetMask 255.255.255.0');
  expect(String(param(p, V4, 'IPRouters'))).toContain('192.168.77.1');
  asserted(`v4 IPRouters ${param(p, V4, 'IPRouters')}`);
  expect(String(param(p, V4, 'DNSServers'))).toMatch(/192\.168\.77\.53.*192\.168\.77\.54/);
  asserted(`v4 DNSServers ${param(p, V4, 'DNSServers')}`);
  expect(param(p, V4, 'DHCPServer')).toBe('192.168.77.1');
  asserted('v4 DHCPServer 192.168.77.1');
  expect(param(p, V4, 'DHCPStatus')).toBe('Bound');
  // Interface is a TR-181 reference (Device.IP.Interface.N); that object's Name is the ifname.
  const ref = String(param(p, V4, 'Interface'));
  expect(ref).toMatch(/^Device\.IP\.Interface\.\d+\.?$/);
  const name = mgr.get(`${ref.replace(/\.$/, '')}.Name`);
  expect(Object.values(name)).toEqual([NET.clientIf]);
  asserted(`v4 DHCPStatus Bound, Interface ${ref} whose Name is ${NET.clientIf}`);
  const left = Number(param(p, V4, 'LeaseTimeRemaining'));
  expect(left).toBeGreaterThan(V4_LEASE_S - 10);
  expect(left).toBeLessThanOrEqual(V4_LEASE_S);
  asserted(`v4 LeaseTimeRemaining ${left} of ${V4_LEASE_S} s`);
});

it('counts LeaseTimeRemaining down between two reads', async () => {
  const t0 = Date.now();
  const a = Number(param(lease(), V4, 'LeaseTimeRemaining'));
  await sleep(2200);
  const b = Number(param(lease(), V4, 'LeaseTimeRemaining'));
  const spanS = (Date.now() - t0) / 1000; // includes both CLI runs (~1 s each)
  expect(b).toBeLessThan(a);
  expect(a - b).toBeGreaterThanOrEqual(2);
  expect(a - b).toBeLessThanOrEqual(Math.ceil(spanS) + 1);
  asserted(`v4 LeaseTimeRemaining counts down: ${a} -> ${b} over ${spanS.toFixed(1)} s of reads`);
});

it('puts the leased address on the interface (--apply iproute2)', async () => {
  const a = await waitFor(`${leased}/24 on ${NET.clientIf}`, () =>
    addrsOn(lab, NET.clientIf).find((x) => x.family === 'inet' && x.local === leased && x.prefixlen === 24), 5000);
  expect(a.local).toBe(leased);
  asserted(`v4 address ${leased}/24 on ${NET.clientIf} (ip addr in the client namespace)`);
});

it('counts the active lease in status --json and lists it in leases --json', () => {
  const s = mgr.status() as { engine?: { activeLeases?: { v4?: number } } };
  expect(s.engine?.activeLeases?.v4).toBe(1);
  const l = JSON.stringify(mgr.json(['leases']));
  expect(l).toContain(NET.clientIf);
  expect(l).toContain(leased);
  asserted(`v4 status --json activeLeases.v4 = 1; leases --json lists ${NET.clientIf} ${leased}`);
});

it('gives LEASE_RENEW on a renew (SIGUSR1) that keeps the same lease', async () => {
  const before = eventsOfType('LEASE_RENEW').length;
  signal(udhcpc, 'SIGUSR1');
  await waitFor('a LEASE_RENEW event from watch', () => (eventsOfType('LEASE_RENEW').length > before ? true : undefined), 8000);
  expect(param(lease(), V4, 'IPAddress')).toBe(leased);
  asserted(`v4 SIGUSR1 renew -> LEASE_RENEW, IPAddress still ${leased}`);
});

it('gives LEASE_DEL and an empty lease on release (SIGUSR2), and removes the address', async () => {
  signal(udhcpc, 'SIGUSR2');
  await waitFor('a LEASE_DEL event from watch', () => (eventsOfType('LEASE_DEL').length > 0 ? true : undefined), 8000);
  const p = lease();
  expect(param(p, V4, 'IPAddress')).toBe('');
  expect(param(p, V4, 'DHCPStatus')).not.toBe('Bound');
  asserted(`v4 SIGUSR2 release -> LEASE_DEL, IPAddress empty, DHCPStatus ${param(p, V4, 'DHCPStatus')}`);
  await waitFor(`${leased} gone from ${NET.clientIf}`, () =>
    (addrsOn(lab, NET.clientIf).some((x) => x.local === leased) ? undefined : true), 5000);
  asserted(`v4 address ${leased} removed from ${NET.clientIf}`);
  await stop(udhcpc);
});

it('showed the whole story to `dhcp-manager watch --json` in order', () => {
  const seq = watch.events().filter((e) => JSON.stringify(e).includes(NET.clientIf)).map(msgTypeOf);
  const first = seq.indexOf('LEASE_UPDATE');
  const renew = seq.indexOf('LEASE_RENEW', first);
  const del = seq.indexOf('LEASE_DEL', renew);
  expect(first).toBeGreaterThanOrEqual(0);
  expect(renew).toBeGreaterThan(first);
  expect(del).toBeGreaterThan(renew);
  for (const e of watch.events()) {
    if (msgTypeOf(e) === 'LEASE_UPDATE') expect(String(eventOf(e).tr181Event)).toMatch(/^Device\.DHCPv4\.Client\.\d+\.Events$/);
  }
  asserted(`v4 watch saw ${seq.join(', ')}`);
});
