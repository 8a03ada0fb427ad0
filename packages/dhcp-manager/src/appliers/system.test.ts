/**
 * The system applier against the real kernel, inside a network namespace this test creates:
 * what a lease adds shows in `ip`, what it added goes when the lease ends, the resolver file
 * follows the leases, and a restart reconciles from the ledger without touching what someone
 * else added. The namespace is deleted afterwards, whatever happened.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { LeaseChange, LeaseView, ModelView } from '../contract';
import type { ApplyResult } from './iproute2';
import { SystemApplier, SystemOptions } from './system';

jest.setTimeout(30000);
const NS = `dhcpmgr-sys-${process.pid}`;
const ip = (...args: string[]) => execFileSync('ip', ['-n', NS, ...args], { encoding: 'utf8' });
const HEADER = '# Written by dhcp-manager from the active DHCP leases; rewritten on every change.\n';

let dir: string;
let results: ApplyResult[];

function applier(extra: Partial<SystemOptions> = {}): SystemApplier {
  return new SystemApplier({
    stateDir: dir, netns: NS, routes: true, routeMetrics: { wan0: 20, '*': 50 },
    lans: [{ ifname: 'lan0', id: 0 }, { ifname: 'lan1', id: 1 }], lanDeprecateS: 1,
    dns: { mode: 'file', file: join(dir, 'resolv.conf'), priority: ['wan0'] }, onResult: (r) => results.push(r), ...extra,
  });
}

const v4set: LeaseChange = {
  version: 4, ifname: 'wan0', action: 'set', address: '192.0.2.10', prefixLength: 24, broadcast: '192.0.2.255', routers: ['192.0.2.1'],
  dnsServers: ['192.0.2.53', '192.0.2.54'], staticRoutes: '10.99.0.0/16 192.0.2.1 10.98.0.0/16 0.0.0.0',
};
const v6set: LeaseChange = {
  version: 6, ifname: 'wan0', action: 'set', prefix: { prefix: 'fd00:77:100::', length: 64, preferred: 300, valid: 600 },
  dnsServers: ['fd00:77::53'], domains: ['lab.test'],
};

beforeAll(() => {
  execFileSync('ip', ['netns', 'add', NS]);
  // DAD off: a tentative LAN address would not show as it is in the assertions.
  execFileSync('ip', ['netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
  ip('link', 'add', 'wan0', 'type', 'veth', 'peer', 'name', 'wan0peer');
  for (const l of ['lan0', 'lan1']) ip('link', 'add', l, 'type', 'veth', 'peer', 'name', `${l}p`);
  for (const l of ['lo', 'wan0', 'wan0peer', 'lan0', 'lan0p', 'lan1', 'lan1p']) ip('link', 'set', l, 'up');
  // What someone else added: never ours to touch.
  ip('addr', 'add', '198.51.100.7/24', 'dev', 'wan0');
  ip('route', 'add', '10.66.0.0/16', 'via', '198.51.100.1', 'dev', 'wan0');
  ip('route', 'add', '10.97.0.0/16', 'dev', 'wan0', 'proto', 'static', 'metric', '20');
});

afterAll(() => {
  try { execFileSync('ip', ['netns', 'del', NS]); } catch { /* already gone */ }
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-sys-'));
  results = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const routes = () => ip('-4', 'route', 'show', 'proto', 'dhcp');
const foreignIntact = () => {
  expect(ip('-4', 'addr', 'show', 'dev', 'wan0')).toContain('inet 198.51.100.7/24');
  expect(ip('-4', 'route', 'show')).toContain('10.66.0.0/16 via 198.51.100.1 dev wan0');
  expect(ip('-4', 'route', 'show')).toContain('10.97.0.0/16 dev wan0 proto static scope link metric 20');
};

it('installs classless routes with the metric (no router default route), writes DNS, and removes only its own on release', async () => {
  const a = applier();
  a.apply(v4set);
  await a.idle();
  expect(results).toEqual([{ change: v4set, ok: true }]);
  expect(ip('-4', 'addr', 'show', 'dev', 'wan0')).toContain('inet 192.0.2.10/24 brd 192.0.2.255');
  expect(routes()).toBe('10.98.0.0/16 dev wan0 scope link metric 20 \n10.99.0.0/16 via 192.0.2.1 dev wan0 metric 20 \n');
  expect(readFileSync(join(dir, 'resolv.conf'), 'utf8')).toBe(`${HEADER}nameserver 192.0.2.53\nnameserver 192.0.2.54\n`);
  a.apply(v4set); // a renewal: our routes exist, which is fine
  await a.idle();
  expect(results[1]).toEqual({ change: v4set, ok: true });

  a.apply({ version: 4, ifname: 'wan0', action: 'clear', address: '192.0.2.10', prefixLength: 24 });
  await a.idle();
  expect(results[2]!.ok).toBe(true);
  expect(routes()).toBe('');
  expect(ip('-4', 'addr', 'show', 'dev', 'wan0')).not.toContain('192.0.2.10');
  expect(readFileSync(join(dir, 'resolv.conf'), 'utf8')).toBe(HEADER);
  foreignIntact();
});

it('never takes over a foreign route with the same destination and metric: the conflict is reported', async () => {
  const a = applier();
  const change: LeaseChange = { ...v4set, staticRoutes: '10.97.0.0/16 192.0.2.1' } as LeaseChange;
  a.apply(change);
  await a.idle();
  expect(results[0]).toMatchObject({ ok: false, argv: ['ip', 'route', 'add', '10.97.0.0/16', 'via', '192.0.2.1', 'dev', 'wan0', 'proto', 'dhcp', 'metric', '20'] });
  expect(results[0]!.error).toMatch(/File exists/);
  a.apply({ version: 4, ifname: 'wan0', action: 'clear', address: '192.0.2.10', prefixLength: 24 });
  await a.idle();
  foreignIntact();
});

it('puts ::1 of a /64 on the LAN with the prefix lifetimes, reports the LAN it cannot serve, deprecates then removes it', async () => {
  const a = applier();
  a.apply(v6set);
  await a.idle();
  const lan = ip('-6', 'addr', 'show', 'dev', 'lan0');
  expect(lan).toContain('inet6 fd00:77:100::1/64');
  expect(lan).toMatch(/valid_lft (59\d|600)sec preferred_lft (29\d|300)sec/);
  expect(ip('-6', 'addr', 'show', 'dev', 'lan1')).not.toContain('fd00:77');
  expect(a.status().lanPrefixProblems).toEqual([{ ifname: 'lan1', id: 1, reason: 'delegated prefix fd00:77:100::/64 has 1 /64 subnets: subnet id 1 does not fit' }]);
  expect(readFileSync(join(dir, 'resolv.conf'), 'utf8')).toBe(`${HEADER}search lab.test\nnameserver fd00:77::53\n`);

  a.apply({ version: 6, ifname: 'wan0', action: 'clear', prefix: { prefix: 'fd00:77:100::', length: 64 } });
  await a.idle();
  expect(ip('-6', 'addr', 'show', 'dev', 'lan0')).toMatch(/fd00:77:100::1\/64 scope global deprecated/);
  expect(readFileSync(join(dir, 'resolv.conf'), 'utf8')).toBe(HEADER);
  for (let i = 0; i < 40 && ip('-6', 'addr', 'show', 'dev', 'lan0').includes('fd00:77:100'); i++) await new Promise((r) => setTimeout(r, 100));
  expect(ip('-6', 'addr', 'show', 'dev', 'lan0')).not.toContain('fd00:77:100');
});

it('reconciles at start: removes what it added for a lease that ended, restores what a held lease needs, leaves the rest', async () => {
  const first = applier();
  first.apply(v4set);
  first.apply(v6set);
  await first.idle();
  // The manager dies. Meanwhile the v4 lease ended, and someone removed our LAN address.
  ip('addr', 'del', 'fd00:77:100::1/64', 'dev', 'lan0');
  const views: LeaseView[] = [
    { ifname: 'wan0', version: 4, instance: 1, status: 'none', state: 'deconfig', addresses: [], dnsServers: [], updatedAt: 0 },
    { ifname: 'wan0', version: 6, instance: 1, status: 'bound', state: 'update', updatedAt: 0, dnsServers: ['fd00:77::53'],
      addresses: [{ kind: 'ia_pd', value: 'fd00:77:100::/64', preferredRemaining: 250, validRemaining: 550 }] },
  ];
  const model: ModelView = { leases: () => views, get: () => ({ ok: true, values: [] }) };
  const second = applier();
  second.reconcile(model);
  await second.idle();
  expect(routes()).toBe('');
  expect(ip('-4', 'addr', 'show', 'dev', 'wan0')).not.toContain('192.0.2.10');
  expect(ip('-6', 'addr', 'show', 'dev', 'lan0')).toMatch(/fd00:77:100::1\/64 scope global dynamic \n\s+valid_lft (54\d|550)sec preferred_lft (24\d|250)sec/);
  expect(readFileSync(join(dir, 'resolv.conf'), 'utf8')).toBe(`${HEADER}search lab.test\nnameserver fd00:77::53\n`);
  expect(second.status().managed).toEqual([{ ifname: 'wan0', version: 6, items: ['addr lan0 fd00:77:100::1/64'] }]);
  foreignIntact();
  second.apply({ version: 6, ifname: 'wan0', action: 'clear', prefix: { prefix: 'fd00:77:100::', length: 64 } });
  await second.idle();
  second.close();
  first.close();
});

it('deletes a LAN address left deprecated by an earlier run within the hold time, whatever the wall clock did meanwhile', async () => {
  const first = applier();
  first.apply(v6set);
  first.apply({ version: 6, ifname: 'wan0', action: 'clear', prefix: { prefix: 'fd00:77:100::', length: 64 } });
  await first.idle();
  first.close(); // stops before its deletion timer fires: the ledger still lists the address
  expect(ip('-6', 'addr', 'show', 'dev', 'lan0')).toMatch(/fd00:77:100::1\/64 scope global deprecated/);
  // As if the wall clock had been stepped back an hour between the two runs.
  const file = join(dir, 'applied.json');
  const ledger = JSON.parse(readFileSync(file, 'utf8')) as { deprecated: Array<{ until: number }> };
  expect(ledger.deprecated).toHaveLength(1);
  ledger.deprecated[0]!.until += 3600 * 1000;
  writeFileSync(file, JSON.stringify(ledger));
  const second = applier();
  second.reconcile({ leases: () => [], get: () => ({ ok: true, values: [] }) });
  await second.idle();
  expect(second.status().deprecating).toHaveLength(1);
  // The kernel drops it by its own valid_lft; the ledger entry goes when the deletion runs.
  for (let i = 0; i < 40 && (second.status().deprecating as unknown[]).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  expect(second.status().deprecating).toEqual([]);
  expect(ip('-6', 'addr', 'show', 'dev', 'lan0')).not.toContain('fd00:77:100');
  second.close();
});

it('hands DNS to systemd-resolved per interface with resolvectl argument arrays, and reverts when the leases end', async () => {
  // A stand-in for resolvectl that records each call's arguments, one line per call.
  const fake = join(dir, 'resolvectl');
  writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$*" >> ${dir}/calls\n`, { mode: 0o755 });
  const a = applier({ lans: [], dns: { mode: 'resolved', file: '', priority: [], resolvectlPath: fake } });
  a.apply(v6set);
  a.apply({ ...v4set, ifname: 'wan0peer', staticRoutes: '', routers: [] } as LeaseChange);
  await a.idle();
  a.apply({ version: 6, ifname: 'wan0', action: 'clear', prefix: { prefix: 'fd00:77:100::', length: 64 } });
  await a.idle();
  a.apply({ version: 4, ifname: 'wan0peer', action: 'clear', address: '192.0.2.10', prefixLength: 24 });
  await a.idle();
  expect(readFileSync(join(dir, 'calls'), 'utf8').split('\n').filter(Boolean)).toEqual([
    'dns wan0 fd00:77::53', 'domain wan0 lab.test',
    'dns wan0peer 192.0.2.53 192.0.2.54', 'domain wan0peer',
    'revert wan0',
    'revert wan0peer',
  ]);
  expect(results.every((r) => r.ok)).toBe(true);
});
