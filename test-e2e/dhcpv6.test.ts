/**
 * DHCPv6 end to end: dibbler-server (IA_NA + IA_PD, lifetimes of seconds) in the server
 * namespace, dibbler-client running our plugin in the client namespace, our manager beside it.
 * Each dibbler daemon runs in its own mount namespace with an overlay over /etc; the last test
 * proves the host's files were not touched. dibbler never reports expiry to its script, so the
 * manager must expire the lease itself once the valid lifetime passes with no renew.
 */
import * as fs from 'fs';
import * as path from 'path';
import { asserted, endsAt, instances, secondsLeft } from './src/check';
import { snapshotHostFiles } from './src/fixtures';
import { createLab, Lab, NET } from './src/lab';
import { addrsOn, eventOf, DIBBLER_PLUGIN_BIN, Manager, msgTypeOf, pluginScript, startManager, startWatch, Watch } from './src/manager';
import { stop, Tracked, waitFor } from './src/proc';
import { startDibblerClient, startDibblerServer, V6_TIMES } from './src/servers';

jest.setTimeout(40000);
const ADDR_TABLE = 'Device.IP.Interface.{i}.IPv6Address.';
const PFX_TABLE = 'Device.IP.Interface.{i}.IPv6Prefix.';

let hostBefore: Record<string, string>;
let lab: Lab;
let mgr: Manager;
let watch: Watch;
let server: Tracked;
let client: Tracked;
let addr = '';
let prefix = '';
let wroteResolv = '';

beforeAll(async () => {
  hostBefore = snapshotHostFiles();
  lab = await createLab('v6');
  server = startDibblerServer(lab);
  mgr = await startManager(lab);
  watch = startWatch(lab);
}, 30000);

afterAll(async () => {
  await lab?.teardown();
});

function model(): { a: ReturnType<typeof instances>; p: ReturnType<typeof instances> } {
  const v = mgr.get('Device.IP.Interface.');
  return {
    a: instances(v, ADDR_TABLE).filter((i) => String(i.p.IPAddress).startsWith('fd00:77::')),
    p: instances(v, PFX_TABLE).filter((i) => String(i.p.Prefix).startsWith('fd00:77:100:')),
  };
}

const events = (type: string): number => watch.events().filter((e) => msgTypeOf(e) === type && JSON.stringify(e).includes('DHCPv6')).length;

it('shows the IA_NA address and the IA_PD prefix with their lifetimes', async () => {
  const t0 = Date.now();
  client = startDibblerClient(lab, pluginScript(lab, DIBBLER_PLUGIN_BIN), { DHCPMGR_SPOOL_DIR: mgr.spoolDir });
  const m = await waitFor('IPv6Address and IPv6Prefix from dibbler', () => {
    const x = model();
    return x.a.length && x.p.length ? x : undefined;
  }, 10000);
  const a = m.a[0]!.p;
  const p = m.p[0]!.p;
  addr = String(a.IPAddress);
  prefix = String(p.Prefix);
  asserted(`v6 lease in ${Date.now() - t0} ms: IPv6Address ${addr} (Origin ${a.Origin}), IPv6Prefix ${prefix} (Origin ${p.Origin})`);
  expect(addr).toMatch(/^fd00:77::1[0-9a-f]{2}$/);
  expect(prefix).toMatch(/^fd00:77:100:[0-9a-f]+::\/64$/);
  expect(a.Origin).toBe('DHCPv6');
  expect(p.Origin).toBe('PrefixDelegation');
  for (const [what, o] of [['address', a], ['prefix', p]] as const) {
    const pref = secondsLeft(o.PreferredLifetime);
    const valid = secondsLeft(o.ValidLifetime);
    expect(valid).toBeGreaterThan(0);
    expect(valid).toBeLessThanOrEqual(V6_TIMES.valid + 1);
    expect(pref).toBeLessThanOrEqual(valid);
    asserted(`v6 ${what} lifetimes: preferred ${pref.toFixed(1)} s, valid ${valid.toFixed(1)} s (server: ${V6_TIMES.preferred}/${V6_TIMES.valid})`);
  }
});

it('lets dibbler-client write /etc/resolv.conf only inside its private overlay', async () => {
  // This is what makes the host check below meaningful: dibbler really writes the file.
  const upper = path.join(lab.dir, 'dibbler-cli', 'etc', 'resolv.conf');
  wroteResolv = await waitFor('fd00:77::53 in the overlay resolv.conf', () => {
    const t = fs.existsSync(upper) ? fs.readFileSync(upper, 'utf8') : '';
    return t.includes('fd00:77::53') ? t : undefined;
  }, 5000);
  asserted('v6 dibbler-client wrote fd00:77::53 into its private /etc/resolv.conf (overlay upper dir), not the host one');
});

it('puts the address on the interface with the lease lifetimes (--apply iproute2)', async () => {
  const a = await waitFor(`${addr} on ${NET.clientIf}`, () =>
    addrsOn(lab, NET.clientIf).find((x) => x.family === 'inet6' && x.local === addr), 5000);
  expect(a.valid_life_time).toBeGreaterThan(0);
  expect(a.valid_life_time).toBeLessThanOrEqual(V6_TIMES.valid);
  asserted(`v6 ${addr} on ${NET.clientIf} with valid_lft ${a.valid_life_time} s`);
});

it('updates the lease on renew (dibbler `update` at T1) and moves the valid lifetime end later', async () => {
  const before = endsAt(model().a[0]!.p.ValidLifetime);
  const renews = events('LEASE_RENEW') + events('LEASE_UPDATE');
  await waitFor('a renew event for DHCPv6', () => (events('LEASE_RENEW') + events('LEASE_UPDATE') > renews ? true : undefined), V6_TIMES.t1 * 1000 + 5000);
  const after = await waitFor('a later valid-lifetime end', () => {
    const v = endsAt(model().a[0]!.p.ValidLifetime);
    return v > before + 1500 ? v : undefined;
  }, 5000);
  expect(String(model().a[0]!.p.IPAddress)).toBe(addr);
  asserted(`v6 renew: event seen, valid lifetime now ends ${((after - before) / 1000).toFixed(1)} s later, address still ${addr}`);
});

it('expires address and prefix by itself when the server is gone and the valid lifetime passes', async () => {
  await stop(server);
  const t0 = Date.now();
  await waitFor('the manager to expire the DHCPv6 lease (LEASE_DEL)', () => {
    const m = model();
    return m.a.length === 0 && m.p.length === 0 && events('LEASE_DEL') > 0 ? true : undefined;
  }, (V6_TIMES.valid + 12) * 1000, 500);
  const secs = (Date.now() - t0) / 1000;
  expect(secs).toBeLessThanOrEqual(V6_TIMES.valid + 12);
  const del = watch.events().find((e) => msgTypeOf(e) === 'LEASE_DEL' && JSON.stringify(e).includes('DHCPv6'))!;
  await waitFor(`${addr} gone from ${NET.clientIf}`, () =>
    (addrsOn(lab, NET.clientIf).some((x) => x.local === addr) ? undefined : true), 5000);
  asserted(`v6 server stopped -> manager expired IPv6Address and IPv6Prefix ${secs.toFixed(1)} s later (valid ${V6_TIMES.valid} s), LEASE_DEL cause ${String(eventOf(del).cause)}`);
});

it("leaves the host's /etc/resolv.conf, ntp.conf, localtime and dibbler dirs unchanged", async () => {
  await stop(client);
  expect(wroteResolv).toContain('fd00:77::53');
  const after = snapshotHostFiles();
  expect(after).toEqual(hostBefore);
  asserted(`host files unchanged: ${Object.keys(after).join(', ')}`);
});
