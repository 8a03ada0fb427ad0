/**
 * The whole lease made true on the system (--apply iproute2 with routes, DNS and a LAN), end to
 * end: dnsmasq and dibbler-server in the server namespace; udhcpc, dibbler-client, our manager
 * and a second dnsmasq (router advertisements on the LAN) in the client namespace; a LAN host in
 * a third namespace behind the gateway's `br-lan`. Asserted from outside with `ip` and the files.
 */
import * as fs from 'fs';
import * as path from 'path';
import { asserted } from './src/check';
import { CLEAN_PATH, createLab, Lab, NET } from './src/lab';
import { DIBBLER_PLUGIN_BIN, Manager, pluginScript, startManager, UDHCPC_PLUGIN_BIN } from './src/manager';
import { onFinal, run, signal, start, stop, trackNetns, Tracked, waitFor } from './src/proc';
import { startDibblerClient, startDibblerServer, startDnsmasq, startUdhcpc } from './src/servers';

jest.setTimeout(60000);

const METRIC = 77;
let lab: Lab;
let mgr: Manager;
let lanNs = '';
let resolvFile = '';
let udhcpc: Tracked | undefined;
let leased = '';
let dibbler: Tracked | undefined;
let lanAddr = '';

const ipc = (...args: string[]): string => run(['ip', '-n', lab.cli, ...args]).stdout;
const dhcpRoutes = (): string => ipc('-4', 'route', 'show', 'proto', 'dhcp');
const resolv = (): string => (fs.existsSync(resolvFile) ? fs.readFileSync(resolvFile, 'utf8') : '');
const managerArgs = (): string[] => ['--apply-routes', '--route-metric', `${NET.clientIf}=${METRIC}`, '--lan-interfaces', 'br-lan',
  '--lan-deprecate-s', '2', '--resolv-file', resolvFile, '--dns-priority', NET.clientIf];

beforeAll(async () => {
  lab = await createLab('sys');
  resolvFile = path.join(lab.dir, 'resolv.conf');
  // The LAN: br-lan on the gateway (client namespace), its peer in a namespace of its own.
  lanNs = `e2sysl${lab.id}`;
  trackNetns(lanNs, true);
  run(['ip', 'netns', 'add', lanNs]);
  // Removed by afterAll, or by the harness's final hook if the run is cut short.
  onFinal(() => run(['ip', 'netns', 'del', lanNs], { allowFail: true }));
  run(['ip', '-n', lab.cli, 'link', 'add', 'br-lan', 'type', 'veth', 'peer', 'name', 'lanhost', 'netns', lanNs]);
  run(['ip', '-n', lab.cli, 'link', 'set', 'br-lan', 'up']);
  run(['ip', 'netns', 'exec', lanNs, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.lanhost.accept_dad=0']);
  run(['ip', '-n', lanNs, 'link', 'set', 'lo', 'up']);
  run(['ip', '-n', lanNs, 'link', 'set', 'lanhost', 'up']);
  startDnsmasq(lab);
  mgr = await startManager(lab, managerArgs());
}, 60000);

afterAll(async () => {
  await lab?.teardown();
  if (lanNs) {
    run(['ip', 'netns', 'del', lanNs], { allowFail: true });
    trackNetns(lanNs, false);
  }
});

/** An IPv6 address as 32 hex digits, to compare /64s whatever the text form. */
function expand(a: string): string {
  const [head, tail = ''] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = a.includes('::') && tail ? tail.split(':') : [];
  const groups = a.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.map((g) => g.padStart(4, '0')).join('');
}

async function bindV4(): Promise<void> {
  udhcpc = startUdhcpc(lab, pluginScript(lab, UDHCPC_PLUGIN_BIN), { DHCPMGR_SPOOL_DIR: mgr.spoolDir });
  leased = await waitFor('a leased address on erouter0', () => /inet (192\.168\.77\.\d+)\/24/.exec(ipc('-4', 'addr', 'show', 'dev', NET.clientIf))?.[1], 15000);
  await waitFor('the classless routes', () => (dhcpRoutes().includes('10.99.0.0/16') ? true : undefined), 10000);
}

it('writes the lease resolvers to --resolv-file and installs the option 121 routes with the interface metric', async () => {
  await bindV4();
  await waitFor('nameservers in the resolver file', () => (resolv().includes('nameserver 192.168.77.53') ? true : undefined), 10000);
  expect(resolv().split('\n').filter((l) => l.startsWith('nameserver'))).toEqual(['nameserver 192.168.77.53', 'nameserver 192.168.77.54']);
  asserted(`resolver file ${resolvFile}: nameserver 192.168.77.53, 192.168.77.54 after bound`);
  const tr181 = Object.entries(mgr.get('Device.DNS.Client.Server.')).filter(([k]) => k.endsWith('.DNSServer')).map(([, v]) => String(v));
  expect(tr181).toEqual(['192.168.77.53', '192.168.77.54']);
  asserted(`Device.DNS.Client.Server.{i}.DNSServer lists the same servers: ${tr181.join(', ')}`);
  // dnsmasq sends 10.99.0.0/16 and 0.0.0.0/0 via .1 as option 121: both with metric 77 and proto dhcp.
  expect(dhcpRoutes()).toBe(`default via 192.168.77.1 dev ${NET.clientIf} metric ${METRIC} \n10.99.0.0/16 via 192.168.77.1 dev ${NET.clientIf} metric ${METRIC} \n`);
  // RFC 3442: with option 121 present no default route is taken from the router option (metric 0).
  expect(ipc('-4', 'route', 'show', 'default')).toBe(`default via 192.168.77.1 dev ${NET.clientIf} proto dhcp metric ${METRIC} \n`);
  asserted(`routes: ${dhcpRoutes().trim().replace(/\n/g, '; ')}`);
});

it('after kill -9 with the lease still held, a restart puts back what the lease needs and someone removed', async () => {
  signal(mgr.proc, 'SIGKILL');
  await waitFor('the manager gone', () => (mgr.proc.child.exitCode !== null || mgr.proc.child.signalCode !== null ? true : undefined), 5000);
  ipc('route', 'del', '10.99.0.0/16', 'via', '192.168.77.1', 'dev', NET.clientIf, 'proto', 'dhcp', 'metric', String(METRIC));
  fs.writeFileSync(resolvFile, '# emptied by hand\n');
  expect(dhcpRoutes()).not.toContain('10.99.0.0/16');
  mgr = await startManager(lab, managerArgs());
  await waitFor('the route restored by reconcile', () => (dhcpRoutes().includes('10.99.0.0/16') ? true : undefined), 10000);
  await waitFor('the resolver file rewritten', () => (resolv().includes('nameserver 192.168.77.53') ? true : undefined), 10000);
  expect(dhcpRoutes()).toBe(`default via 192.168.77.1 dev ${NET.clientIf} metric ${METRIC} \n10.99.0.0/16 via 192.168.77.1 dev ${NET.clientIf} metric ${METRIC} \n`);
  expect(ipc('-4', 'addr', 'show', 'dev', NET.clientIf)).toContain(`inet ${leased}/24`);
  asserted('restart after kill -9 (lease held): the removed 10.99.0.0/16 route and the resolver file are back, nothing doubled');
});

it('cleans the resolver file and the routes after release (SIGUSR2)', async () => {
  signal(udhcpc!, 'SIGUSR2');
  await waitFor('the leased address gone', () => (ipc('-4', 'addr', 'show', 'dev', NET.clientIf).includes(leased) ? undefined : true), 10000);
  await waitFor('routes gone', () => (dhcpRoutes() === '' ? true : undefined), 10000);
  await waitFor('resolver file cleaned', () => (resolv().includes('nameserver') ? undefined : true), 10000);
  expect(resolv()).toBe('# Written by dhcp-manager from the active DHCP leases; rewritten on every change.\n');
  asserted('after release: no proto dhcp route, no nameserver line, address removed');
  await stop(udhcpc!);
});

it('after kill -9 and a release meanwhile, a restart removes what it added for that lease and nothing else', async () => {
  await bindV4();
  // Someone else's address and routes on the same interface, one with the same destination as ours.
  ipc('addr', 'add', '10.55.0.1/24', 'dev', NET.clientIf);
  ipc('route', 'add', '10.66.0.0/16', 'via', '192.168.77.1', 'dev', NET.clientIf);
  ipc('route', 'add', '10.99.0.0/16', 'via', '192.168.77.1', 'dev', NET.clientIf, 'proto', 'static', 'metric', '5');
  signal(mgr.proc, 'SIGKILL');
  await waitFor('the manager gone', () => (mgr.proc.child.exitCode !== null || mgr.proc.child.signalCode !== null ? true : undefined), 5000);
  signal(udhcpc!, 'SIGUSR2');
  await waitFor('the release spooled by the plugin', () => (fs.readdirSync(mgr.spoolDir).some((f) => f.endsWith('.msg')) ? true : undefined), 15000);
  // Nothing changed yet: the manager was down.
  expect(dhcpRoutes()).toContain('10.99.0.0/16');
  expect(ipc('-4', 'addr', 'show', 'dev', NET.clientIf)).toContain(leased);
  await stop(udhcpc!);
  mgr = await startManager(lab, managerArgs());
  await waitFor('our routes gone', () => (dhcpRoutes() === '' ? true : undefined), 10000);
  await waitFor('our address gone', () => (ipc('-4', 'addr', 'show', 'dev', NET.clientIf).includes(leased) ? undefined : true), 10000);
  await waitFor('resolver file cleaned', () => (resolv().includes('nameserver') ? undefined : true), 10000);
  expect(ipc('-4', 'addr', 'show', 'dev', NET.clientIf)).toContain('inet 10.55.0.1/24');
  const all = ipc('-4', 'route', 'show');
  expect(all).toContain(`10.66.0.0/16 via 192.168.77.1 dev ${NET.clientIf}`);
  expect(all).toContain(`10.99.0.0/16 via 192.168.77.1 dev ${NET.clientIf} proto static metric 5`);
  const st = mgr.status() as { applier?: { managed?: unknown[] } };
  expect(st.applier?.managed).toEqual([]);
  asserted(`restart after kill -9: ${leased}, its routes and resolvers gone; 10.55.0.1/24, 10.66.0.0/16 and the static 10.99.0.0/16 kept`);
});

it('puts a /64 of the delegated prefix on br-lan, and a LAN host gets a SLAAC address in it from dnsmasq RAs', async () => {
  startDibblerServer(lab);
  // dibbler-client must not put the prefix on other interfaces itself: the manager does.
  dibbler = startDibblerClient(lab, pluginScript(lab, DIBBLER_PLUGIN_BIN), { DHCPMGR_SPOOL_DIR: mgr.spoolDir }, 'downlink-prefix-ifaces "none"');
  lanAddr = await waitFor('a delegated /64 on br-lan', () => /inet6 (fd00:77:1[0-9a-f:]*)\/64 scope global/.exec(ipc('-6', 'addr', 'show', 'dev', 'br-lan'))?.[1], 30000);
  expect(expand(lanAddr).slice(16)).toBe('0000000000000001');
  asserted(`br-lan got ${lanAddr}/64 (subnet id 0 of the delegated prefix)`);
  const d = path.join(lab.dir, 'dnsmasq-ra');
  fs.mkdirSync(d, { recursive: true });
  start('dnsmasq-ra', lab.inNs(lab.cli, ['env', '-i', `PATH=${CLEAN_PATH}`, 'dnsmasq', '--keep-in-foreground', '-C', '/dev/null',
    '--port=0', '--no-resolv', '--no-hosts', '--user=root', '--group=root', '--interface=br-lan', '--bind-interfaces',
    '--enable-ra', '--dhcp-range=::,constructor:br-lan,ra-only', `--dhcp-leasefile=${d}/leases`, `--pid-file=${d}/dnsmasq.pid`,
    `--log-facility=${d}/dnsmasq.log`]), { logFile: `${d}/stdout.log` });
  const slaac = await waitFor('a SLAAC address in the delegated /64 on the LAN host', () => {
    const out = run(['ip', '-n', lanNs, '-6', 'addr', 'show', 'dev', 'lanhost']).stdout;
    return [...out.matchAll(/inet6 ([0-9a-f:]+)\/64 scope global/g)].map((m) => m[1]!).find((x) => expand(x).slice(0, 16) === expand(lanAddr).slice(0, 16));
  }, 30000, 500);
  expect(expand(slaac).slice(0, 16)).toBe(expand(lanAddr).slice(0, 16));
  expect(slaac).not.toBe(lanAddr);
  asserted(`LAN host got ${slaac}/64 by SLAAC from dnsmasq's RA (constructor:br-lan)`);
  await waitFor('DHCPv6 resolvers in the resolver file', () => (resolv().includes('fd00:77::53') ? true : undefined), 10000);
  expect(resolv()).toBe('# Written by dhcp-manager from the active DHCP leases; rewritten on every change.\n'
    + 'search lab.test corp.test\nnameserver fd00:77::53\nnameserver fd00:77::54\n');
  asserted('resolver file: search lab.test corp.test, nameserver fd00:77::53, fd00:77::54 (DHCPv6 options 23/24)');
});

it('deprecates the LAN /64 (preferred 0) when the delegation is released, then removes it', async () => {
  await stop(dibbler!); // dibbler-client releases on SIGTERM and runs its script
  const deprecated = await waitFor('the LAN /64 deprecated', () => {
    const out = ipc('-6', 'addr', 'show', 'dev', 'br-lan');
    return out.includes(`${lanAddr}/64`) && /deprecated/.test(out) ? out : undefined;
  }, 10000, 100);
  expect(deprecated).toMatch(/preferred_lft 0sec/);
  await waitFor('the LAN /64 removed', () => (ipc('-6', 'addr', 'show', 'dev', 'br-lan').includes(lanAddr) ? undefined : true), 10000);
  await waitFor('DHCPv6 resolvers gone', () => (resolv().includes('nameserver') ? undefined : true), 10000);
  asserted(`release: ${lanAddr}/64 deprecated (preferred_lft 0), then removed after --lan-deprecate-s 2; resolver file emptied`);
});
