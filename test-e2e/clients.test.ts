/**
 * The manager runs udhcpc itself: dnsmasq in the server namespace; our manager (with
 * --apply iproute2) in the client namespace, driven only through its --config file and
 * `dhcp-manager set`. Asserted from outside: `get`/`watch` output, `ip addr`, dnsmasq's lease
 * file and /proc (which processes run, with which arguments, in which network namespace).
 */
import * as fs from 'fs';
import * as path from 'path';
import { asserted, param } from './src/check';
import { createLab, Lab, NET } from './src/lab';
import { addrsOn, eventOf, Manager, MANAGER_BIN, msgTypeOf, startManager, startWatch, UDHCPC_PLUGIN_BIN, Watch, requireBuilt } from './src/manager';
import { run, sleep, waitFor } from './src/proc';
import { startDnsmasq } from './src/servers';
import { clientPids, netnsInode, startClientManager, stopClientManager } from './src/clients';

jest.setTimeout(60000);
const C1 = 'Device.DHCPv4.Client.1.';
/** Shell metacharacters that must reach udhcpc as one argument and never run. */
const HOSTNAME = "cpe;touch${IFS}/tmp/dhcpmgr-pwned-$$`id`$(id)|&'\"";

let lab: Lab;
let mgr: Manager;
let watch: Watch;
let args: string[];
let tokenFile: string;
let leased = '';
let netns = '';

function set(...pairs: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = run(lab.inNs(lab.cli, [process.execPath, MANAGER_BIN, 'set', ...pairs, '--token-file', tokenFile]), { allowFail: true });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function v4(): ReturnType<Manager['get']> {
  return mgr.get(C1);
}

function typed(type: string): Array<Record<string, unknown>> {
  return watch.events().filter((e) => msgTypeOf(e) === type || msgTypeOf(e) === String({ CLIENT_STARTED: 0, CLIENT_STOPPED: 1, CLIENT_FAILED: 2, LEASE_UPDATE: 3, LEASE_DEL: 4, LEASE_RENEW: 5 }[type]));
}

function udhcpcs(): number[] {
  return clientPids(netns, (argv) => argv.includes('udhcpc') && argv.includes(NET.clientIf));
}

beforeAll(async () => {
  requireBuilt(UDHCPC_PLUGIN_BIN);
  lab = await createLab('cl4');
  netns = netnsInode(lab.cli);
  startDnsmasq(lab);
  ({ mgr, watch, tokenFile, args } = await startClientManager(lab, { dhcpv4: [{ interface: NET.clientIf, enable: false, hostName: HOSTNAME, reqOptions: [42] }] }));
}, 40000);

afterAll(() => stopClientManager(mgr, lab));

it('starts no client while the configured one is disabled, and shows it Disabled', () => {
  const p = v4();
  expect(param(p, 'Device.DHCPv4.Client.', 'Enable')).toBe(false);
  expect(param(p, 'Device.DHCPv4.Client.', 'Status')).toBe('Disabled');
  expect(udhcpcs()).toEqual([]);
  asserted('configured, disabled client: Status Disabled, no udhcpc in the namespace');
});

it('refuses every bad write with its error and changes nothing', () => {
  const cases: Array<[string, RegExp]> = [
    [`${C1}Enable=maybe`, /Enable: wrong type: "maybe" is not a boolean/],
    [`${C1}ReqOption.1.Tag=300`, /ReqOption\.1\.Tag: out of range: 300/],
    [`${C1}Status=Enabled`, /Status: parameter is read-only/],
    [`${C1}Colour=red`, /Colour: unknown parameter/],
    ['Device.DHCPv4.Client.7.Enable=true', /Client\.7\.Enable: no such object/],
  ];
  for (const [pair, msg] of cases) {
    const r = set(`${C1}X_DHCPMGR_VendorClass=changed`, pair);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(msg);
    expect(r.stderr).toContain('nothing was changed');
  }
  const noToken = run(lab.inNs(lab.cli, [process.execPath, MANAGER_BIN, 'set', `${C1}Enable=true`]), { allowFail: true });
  expect(noToken.status).toBe(1);
  expect(noToken.stderr).toMatch(/Bearer/);
  expect(param(v4(), 'Device.DHCPv4.Client.', 'Enable')).toBe(false);
  expect(param(v4(), 'Device.DHCPv4.Client.', 'X_DHCPMGR_VendorClass')).toBe('');
  expect(udhcpcs()).toEqual([]);
  asserted(`${cases.length} bad writes (each with a good one beside it, + one without a token) refused with their path named; nothing changed, no udhcpc`);
});

it('Enable=true starts udhcpc (CLIENT_STARTED) and binds a lease into the model and onto the interface', async () => {
  const r = set(`${C1}Enable=true`);
  expect(r).toMatchObject({ status: 0, stdout: `${C1}Enable=true\n` });
  const p = await waitFor('a bound lease in the model', () => {
    const x = v4();
    return /^192\.168\.77\.\d+$/.test(String(x[`${C1}IPAddress`] ?? '')) ? x : undefined;
  }, 15000);
  leased = String(p[`${C1}IPAddress`]);
  expect(p[`${C1}Status`]).toBe('Enabled');
  expect(p[`${C1}DHCPStatus`]).toBe('Bound');
  await waitFor(`${leased}/24 on ${NET.clientIf}`, () => addrsOn(lab, NET.clientIf).find((a) => a.local === leased && a.prefixlen === 24), 5000);
  await waitFor('CLIENT_STARTED from watch', () => (typed('CLIENT_STARTED').length >= 1 ? true : undefined), 3000);
  expect(String(eventOf(typed('CLIENT_STARTED')[0]!).tr181Event)).toBe('Device.DHCPv4.Client.1.Events');
  expect(udhcpcs()).toHaveLength(1);
  asserted(`Enable=true -> CLIENT_STARTED, bound ${leased}, address on ${NET.clientIf}, one udhcpc`);
});

it('passes option values with shell metacharacters to udhcpc as single arguments', () => {
  const [pid] = udhcpcs();
  const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  expect(argv).toContain(`hostname:${HOSTNAME}`);
  expect(argv.slice(argv.indexOf('-s') + 1)[0]).toBe(UDHCPC_PLUGIN_BIN);
  expect(argv).toEqual(expect.arrayContaining(['-f', '-i', NET.clientIf, '-O', '42']));
  expect(fs.readdirSync('/tmp').filter((f) => f.startsWith('dhcpmgr-pwned-'))).toEqual([]);
  asserted(`udhcpc argv holds "hostname:${HOSTNAME}" as one element; nothing was executed`);
});

it('Renew=true makes udhcpc renew: LEASE_RENEW with the same address', async () => {
  const before = typed('LEASE_RENEW').length;
  expect(set(`${C1}Renew=true`).status).toBe(0);
  await waitFor('LEASE_RENEW', () => (typed('LEASE_RENEW').length > before ? true : undefined), 10000);
  expect(param(v4(), 'Device.DHCPv4.Client.', 'IPAddress')).toBe(leased);
  expect(param(v4(), 'Device.DHCPv4.Client.', 'Renew')).toBe(false);
  asserted(`Renew=true -> LEASE_RENEW, IPAddress still ${leased}; Renew reads false`);
});

it('restarts a udhcpc killed with SIGKILL (CLIENT_FAILED) and gets the lease back', async () => {
  const [old] = udhcpcs();
  const failed = typed('CLIENT_FAILED').length;
  const updates = typed('LEASE_UPDATE').length;
  process.kill(old!, 'SIGKILL');
  await waitFor('CLIENT_FAILED', () => (typed('CLIENT_FAILED').length > failed ? true : undefined), 8000);
  const fresh = await waitFor('a new udhcpc', () => { const p = udhcpcs(); return p.length === 1 && p[0] !== old ? p[0] : undefined; }, 10000);
  // The new udhcpc starts from scratch: its `bound` is a new LEASE_UPDATE (dnsmasq gives the same address back).
  await waitFor('the lease back (LEASE_UPDATE)', () => (typed('LEASE_UPDATE').length > updates && v4()[`${C1}IPAddress`] === leased ? true : undefined), 15000);
  expect(Number(v4()[`${C1}X_DHCPMGR_Pid`])).toBe(fresh);
  asserted(`kill -9 udhcpc ${old} -> CLIENT_FAILED, restarted as ${fresh}, lease ${leased} in the model`);
});

it('after kill -9 of the manager and a new start: exactly one udhcpc (re-adopted) and the model intact', async () => {
  const [before] = udhcpcs();
  process.kill(mgr.proc.pid, 'SIGKILL');
  await mgr.proc.exited;
  await sleep(300);
  mgr = await startManager(lab, args);
  await sleep(2500); // a supervisor that did not adopt would have started a second client by now
  expect(udhcpcs()).toEqual([before]);
  const p = v4();
  expect(p[`${C1}IPAddress`]).toBe(leased);
  expect(p[`${C1}Enable`]).toBe(true);
  expect(Number(p[`${C1}X_DHCPMGR_Pid`])).toBe(before);
  asserted(`manager kill -9 + restart: udhcpc ${before} re-adopted (one process), lease ${leased} still in the model`);
});

it('a clean stop without --stop-clients-on-exit leaves udhcpc running, and the next start adopts it', async () => {
  const [before] = udhcpcs();
  // The running manager has --stop-clients-on-exit: replace it (kill -9) by one without.
  process.kill(mgr.proc.pid, 'SIGKILL');
  await mgr.proc.exited;
  mgr = await startManager(lab, args.filter((a) => a !== '--stop-clients-on-exit'));
  await mgr.stop();
  expect(udhcpcs()).toEqual([before]);
  mgr = await startManager(lab, args);
  await sleep(1500);
  expect(udhcpcs()).toEqual([before]);
  const s = mgr.status() as { clients?: Array<{ client: string; status: string; pid: number }> };
  expect(s.clients).toEqual([expect.objectContaining({ client: 'dhcpv4.1', status: 'Enabled', pid: before })]);
  asserted(`SIGTERM stop (default) left udhcpc ${before} running; restarted manager adopted it (status --json clients)`);
});

it('Enable=false releases (dnsmasq lease file), removes the address, publishes CLIENT_STOPPED and LEASE_DEL', async () => {
  watch = startWatch(lab);
  await sleep(500);
  const leaseFile = path.join(lab.dir, 'dnsmasq', 'leases');
  expect(fs.readFileSync(leaseFile, 'utf8')).toContain(leased);
  expect(set(`${C1}Enable=false`).status).toBe(0);
  await waitFor('CLIENT_STOPPED and LEASE_DEL', () => (typed('CLIENT_STOPPED').length > 0 && typed('LEASE_DEL').length > 0 ? true : undefined), 8000);
  await waitFor('the release in dnsmasq\'s lease file', () => (fs.readFileSync(leaseFile, 'utf8').includes(leased) ? undefined : true), 8000);
  await waitFor(`${leased} gone from ${NET.clientIf}`, () => (addrsOn(lab, NET.clientIf).some((a) => a.local === leased) ? undefined : true), 5000);
  const p = v4();
  expect(p[`${C1}IPAddress`]).toBe('');
  expect(p[`${C1}Status`]).toBe('Disabled');
  expect(udhcpcs()).toEqual([]);
  asserted(`Enable=false -> CLIENT_STOPPED + LEASE_DEL, ${leased} gone from dnsmasq's lease file and ${NET.clientIf}, no udhcpc`);
});

it('--stop-clients-on-exit releases and stops the client when the manager stops', async () => {
  expect(set(`${C1}Enable=true`).status).toBe(0);
  const ip = await waitFor('a bound lease again', () => {
    const x = String(v4()[`${C1}IPAddress`] ?? '');
    return /^192\.168\.77\.\d+$/.test(x) ? x : undefined;
  }, 15000);
  const leaseFile = path.join(lab.dir, 'dnsmasq', 'leases');
  await waitFor('the lease in dnsmasq\'s lease file', () => (fs.readFileSync(leaseFile, 'utf8').includes(ip) ? true : undefined), 5000);
  expect(udhcpcs()).toHaveLength(1);
  await mgr.stop();
  expect(udhcpcs()).toEqual([]);
  await waitFor('the release in dnsmasq\'s lease file', () => (fs.readFileSync(leaseFile, 'utf8').includes(ip) ? undefined : true), 5000);
  asserted(`manager SIGTERM with --stop-clients-on-exit: udhcpc gone, ${ip} released in dnsmasq's lease file`);
});
