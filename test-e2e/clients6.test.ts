/**
 * The manager runs dibbler-client itself, one per DHCPv6 client, each in its own private mount
 * namespace: dibbler-server in the server namespace, our manager in the client namespace,
 * driven only through its --config file and `dhcp-manager set`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { asserted, instances } from './src/check';
import { clientPids, netnsInode, startClientManager, stopClientManager } from './src/clients';
import { snapshotHostFiles } from './src/fixtures';
import { createLab, Lab, NET } from './src/lab';
import { addrsOn, DIBBLER_PLUGIN_BIN, Manager, MANAGER_BIN, msgTypeOf, requireBuilt, startManager, startWatch, Watch } from './src/manager';
import { run, sleep, waitFor } from './src/proc';
import { startDibblerServer } from './src/servers';

jest.setTimeout(60000);
const C1 = 'Device.DHCPv6.Client.1.';

let lab: Lab;
let mgr: Manager;
let watch: Watch;
let args: string[];
let tokenFile: string;
let netns = '';
let addr = '';
let hostBefore: Record<string, string>;

function set(...pairs: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = run(lab.inNs(lab.cli, [process.execPath, MANAGER_BIN, 'set', ...pairs, '--token-file', tokenFile]), { allowFail: true });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dibblers = (): number[] => clientPids(netns, (argv) => argv[0] === 'dibbler-client' && argv[1] === 'run');
const typed = (type: string, code: number): number => watch.events().filter((e) => (msgTypeOf(e) === type || msgTypeOf(e) === String(code)) && JSON.stringify(e).includes('DHCPv6')).length;

function model(): { a: string[]; p: string[]; c: Record<string, unknown> } {
  const v = mgr.get('Device.IP.Interface.');
  return {
    a: instances(v, 'Device.IP.Interface.{i}.IPv6Address.').map((i) => String(i.p.IPAddress)).filter((x) => x.startsWith('fd00:77::')),
    p: instances(v, 'Device.IP.Interface.{i}.IPv6Prefix.').map((i) => String(i.p.Prefix)).filter((x) => x.startsWith('fd00:77:100:')),
    c: mgr.get(C1),
  };
}

beforeAll(async () => {
  requireBuilt(DIBBLER_PLUGIN_BIN);
  hostBefore = snapshotHostFiles();
  lab = await createLab('cl6');
  netns = netnsInode(lab.cli);
  startDibblerServer(lab);
  ({ mgr, watch, tokenFile, args } = await startClientManager(lab, { dhcpv6: [{ interface: NET.clientIf, enable: false, requestAddresses: true, requestPrefixes: true, rapidCommit: true, suggestedT1: 100, suggestedT2: 200, prefixLengthHint: 64, requestedOptions: '23,24,31' }] }));
}, 40000);

afterAll(() => stopClientManager(mgr, lab));

it('Enable=true starts one dibbler-client (CLIENT_STARTED): IA_NA and IA_PD in the model, the address on the interface', async () => {
  expect(dibblers()).toEqual([]);
  expect(set(`${C1}Enable=true`).status).toBe(0);
  const m = await waitFor('IA_NA and IA_PD in the model', () => { const x = model(); return x.a.length && x.p.length ? x : undefined; }, 20000);
  addr = m.a[0]!;
  expect(m.c[`${C1}Status`]).toBe('Enabled');
  expect(dibblers()).toHaveLength(1);
  await waitFor('CLIENT_STARTED from watch', () => (typed('CLIENT_STARTED', 0) >= 1 ? true : undefined), 3000).catch(() => { throw new Error(`watch saw: ${watch.events().map(msgTypeOf).join(',')}`); });
  await waitFor(`${addr} on ${NET.clientIf}`, () => addrsOn(lab, NET.clientIf).find((a) => a.local === addr), 5000);
  asserted(`DHCPv6 Enable=true -> CLIENT_STARTED, one dibbler-client, IA_NA ${addr}, IA_PD ${m.p[0]}, address on ${NET.clientIf}`);
});

it('keeps dibbler-client\'s /etc writes in its own mount namespace (the generated client.conf, resolv.conf)', async () => {
  const upper = path.join(mgr.stateDir, 'clients', 'dhcpv6.1', 'etc');
  const resolv = await waitFor('fd00:77::53 in the private resolv.conf', () => {
    const f = path.join(upper, 'resolv.conf');
    const t = fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
    return t.includes('fd00:77::53') ? t : undefined;
  }, 5000);
  expect(resolv).toContain('fd00:77::53');
  const conf = fs.readFileSync(path.join(upper, 'dibbler', 'client.conf'), 'utf8');
  expect(conf).toContain(`iface "${NET.clientIf}" {\n  ia {\n    t1 100\n    t2 200\n  }\n  pd {\n    t1 100\n    t2 200\n    prefix ::/64\n  }\n  rapid-commit yes\n`);
  expect(conf).toContain('  option dns-server\n  option domain\n  option ntp-server\n}');
  asserted('dibbler-client wrote its resolv.conf into the overlay of its private mount namespace; its client.conf is the one generated from the table (ia/pd with t1/t2, prefix hint, rapid-commit, options 23,24,31) and dibbler took it');
});

it('restarts a dibbler-client killed with SIGKILL (CLIENT_FAILED) and gets the lease back', async () => {
  const [old] = dibblers();
  const failed = typed('CLIENT_FAILED', 2);
  const updates = typed('LEASE_UPDATE', 3) + typed('LEASE_RENEW', 5);
  process.kill(old!, 'SIGKILL');
  await waitFor('CLIENT_FAILED', () => (typed('CLIENT_FAILED', 2) > failed ? true : undefined), 8000);
  const fresh = await waitFor('a new dibbler-client', () => { const p = dibblers(); return p.length === 1 && p[0] !== old ? p[0] : undefined; }, 10000);
  await waitFor('a lease event from the new client', () => (typed('LEASE_UPDATE', 3) + typed('LEASE_RENEW', 5) > updates ? true : undefined), 15000);
  expect(model().a.length).toBe(1);
  asserted(`kill -9 dibbler-client ${old} -> CLIENT_FAILED, restarted as ${fresh}, lease ${model().a[0]} in the model`);
});

it('Renew=true restarts dibbler-client without a release and the lease is confirmed again', async () => {
  const [old] = dibblers();
  const updates = typed('LEASE_UPDATE', 3) + typed('LEASE_RENEW', 5);
  const stopped = typed('CLIENT_STOPPED', 1);
  expect(set(`${C1}Renew=true`).status).toBe(0);
  await waitFor('a lease event after the renew', () => (typed('LEASE_UPDATE', 3) + typed('LEASE_RENEW', 5) > updates ? true : undefined), 15000);
  const now = dibblers();
  expect(now).toHaveLength(1);
  expect(now[0]).not.toBe(old);
  expect(typed('CLIENT_STOPPED', 1)).toBe(stopped + 1);
  expect(model().a.length).toBe(1);
  asserted(`Renew=true -> dibbler-client ${old} replaced by ${now[0]}, lease event seen, ${model().a[0]} still in the model`);
});

it('after kill -9 of the manager and a new start: exactly one dibbler-client and the model intact', async () => {
  const before = dibblers();
  const a = model().a;
  process.kill(mgr.proc.pid, 'SIGKILL');
  await mgr.proc.exited;
  mgr = await startManager(lab, args);
  await sleep(2500);
  expect(dibblers()).toHaveLength(1);
  expect(model().a).toEqual(a);
  asserted(`manager kill -9 + restart: one dibbler-client (${before} before, ${dibblers()} now), IA_NA ${a} still in the model`);
});

it('a configuration write (SuggestedT1) restarts dibbler-client with the regenerated client.conf', async () => {
  const [old] = dibblers();
  expect(set(`${C1}SuggestedT1=150`).status).toBe(0);
  const fresh = await waitFor('a new dibbler-client', () => { const p = dibblers(); return p.length === 1 && p[0] !== old ? p[0] : undefined; }, 10000);
  const conf = fs.readFileSync(path.join(mgr.stateDir, 'clients', 'dhcpv6.1', 'etc', 'dibbler', 'client.conf'), 'utf8');
  expect(conf).toContain('  ia {\n    t1 150\n    t2 200\n  }');
  expect(model().c[`${C1}SuggestedT1`]).toBe(150);
  await waitFor('the lease back', () => (model().a.length === 1 ? true : undefined), 15000);
  asserted(`SuggestedT1=150 -> dibbler-client ${old} replaced by ${fresh} with t1 150 in its client.conf`);
});

it('Enable=false stops dibbler-client (it sends RELEASE): CLIENT_STOPPED, LEASE_DEL, address gone', async () => {
  watch = startWatch(lab);
  await sleep(500);
  expect(set(`${C1}Enable=false`).status).toBe(0);
  await waitFor('CLIENT_STOPPED and LEASE_DEL', () => (typed('CLIENT_STOPPED', 1) > 0 && typed('LEASE_DEL', 4) > 0 ? true : undefined), 10000);
  expect(dibblers()).toEqual([]);
  const m = model();
  expect(m.a).toEqual([]);
  expect(m.p).toEqual([]);
  expect(m.c[`${C1}Status`]).toBe('Disabled');
  await waitFor(`${addr} gone from ${NET.clientIf}`, () => (addrsOn(lab, NET.clientIf).some((x) => x.local.startsWith('fd00:77::')) ? undefined : true), 5000);
  const srvLog = fs.readFileSync(path.join(lab.dir, 'dibbler-server.log'), 'utf8');
  expect(srvLog).toMatch(/RELEASE/);
  asserted('Enable=false -> CLIENT_STOPPED + LEASE_DEL, no dibbler-client, IA_NA/IA_PD gone, dibbler-server logged a RELEASE');
});

it("leaves the host's /etc/resolv.conf, ntp.conf, localtime and dibbler dirs unchanged", () => {
  expect(snapshotHostFiles()).toEqual(hostBefore);
  asserted('host files unchanged');
});
