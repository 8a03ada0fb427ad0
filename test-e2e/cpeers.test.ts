/**
 * Compatibility with C peers, both ways, over real nanomsg TCP inside the client namespace:
 * - a C sender (gcc + libnanomsg, our own header) and `nanocat --push` send PLUGIN_MSG frames to
 *   our manager's legacy PULL address; the model must show them;
 * - a C receiver (PULL, like the C manager) gets what our plugins send in legacy mode, from a
 *   captured environment and from a real udhcpc, and the bytes must equal what the plugin's own
 *   encoder writes (`--out`) for the same environment.
 */
import * as fs from 'fs';
import * as path from 'path';
import { decodeFrame, emptyV4Lease, encode, V4_FIELDS, V6_FIELDS } from '@dhcpmgr/plugin-msg';
import { asserted, instances, param } from './src/check';
import { buildCPeer, buildCTwin, differingFields } from './src/cpeers';
import { loadCapture } from './src/fixtures';
import { CLEAN_PATH, createLab, Lab, NET } from './src/lab';
import { DIBBLER_PLUGIN_BIN, Manager, startManager, UDHCPC_PLUGIN_BIN, requireBuilt } from './src/manager';
import { run, runBytes, start, stop, waitFor } from './src/proc';
import { startDnsmasq, startUdhcpc } from './src/servers';

jest.setTimeout(30000);
const LEGACY = 'tcp://127.0.0.1:50324';
const C_PULL = 'tcp://127.0.0.1:50424';

let lab: Lab;
let mgr: Manager;
let sender: string;
let receiver: string;

beforeAll(async () => {
  lab = await createLab('cpr');
  sender = buildCPeer('msg_sender', lab.dir);
  receiver = buildCPeer('msg_receiver', lab.dir);
}, 30000);

afterAll(async () => {
  await lab?.teardown();
});

function inCli(argv: string[], env: Record<string, string> = {}): ReturnType<typeof run> {
  return run(lab.inNs(lab.cli, ['env', '-i', `PATH=${CLEAN_PATH}`, ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv]));
}

describe('C and nanocat senders -> our manager', () => {
beforeAll(async () => {
  // Interfaces the C-made leases name, so the iproute2 applier has something real to act on
  // (veth pairs: this kernel may lack the dummy driver).
  for (const dev of ['cpeer0', 'cpeer1', 'cpeer2']) {
    run(['ip', '-n', lab.cli, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', `${dev}p`]);
    run(['ip', '-n', lab.cli, 'link', 'set', dev, 'up']);
  }
  mgr = await startManager(lab);
}, 30000);

it('shows a DHCPv4 lease pushed by the C sender on the legacy address', async () => {
  const out = inCli([sender, LEGACY, '4', 'cpeer0', 'addressAssigned=1', 'address=10.55.0.7', 'netmask=255.255.0.0',
    'gateway=10.55.0.1', 'dnsServer=10.55.0.53', 'dnsServer1=10.55.0.54', 'ifname=cpeer0', 'leaseTime=300',
    'dhcpServerId=10.55.0.1', 'dhcpState=bound']).stdout.trim();
  expect(out).toBe('1464');
  const p = await waitFor('the C-made v4 lease in the model', () => {
    const v = mgr.get('Device.DHCPv4.Client.');
    return Object.entries(v).some(([k, x]) => k.endsWith('.IPAddress') && x === '10.55.0.7') ? v : undefined;
  }, 8000);
  const inst = instances(p, 'Device.DHCPv4.Client.').find((i) => i.p.IPAddress === '10.55.0.7')!;
  expect(inst.p.SubnetMask).toBe('255.255.0.0');
  expect(String(inst.p.IPRouters)).toContain('10.55.0.1');
  expect(String(inst.p.DNSServers)).toMatch(/10\.55\.0\.53.*10\.55\.0\.54/);
  expect(inst.p.DHCPServer).toBe('10.55.0.1');
  asserted(`C sender v4 (1464 bytes, libnanomsg PUSH) -> ${inst.base} IPAddress 10.55.0.7 mask 255.255.0.0 routers ${inst.p.IPRouters} DNS ${inst.p.DNSServers}`);
});

it('shows a DHCPv6 lease (IA_NA + IA_PD) pushed by the C sender', async () => {
  inCli([sender, LEGACY, '6', 'cpeer1', 'ifname=cpeer1', 'iaNa.assigned=1', 'iaNa.address=fd00:55::10',
    'iaNa.preferredLifetime=300', 'iaNa.validLifetime=600', 'iaPd.assigned=1', 'iaPd.prefix=fd00:55:1::',
    'iaPd.prefixLength=56', 'iaPd.preferredLifetime=300', 'iaPd.validLifetime=600', 'dns.assigned=1',
    'dns.nameserver=fd00:55::53']);
  const p = await waitFor('the C-made v6 address in Device.IP.Interface', () => {
    const v = mgr.get('Device.IP.Interface.');
    return Object.values(v).some((x) => String(x).startsWith('fd00:55::10')) ? v : undefined;
  }, 8000);
  const addr = instances(p, 'Device.IP.Interface.{i}.IPv6Address.').find((i) => String(i.p.IPAddress).startsWith('fd00:55::10'));
  expect(addr?.p.IPAddress).toBe('fd00:55::10');
  const pfx = instances(p, 'Device.IP.Interface.{i}.IPv6Prefix.').find((i) => String(i.p.Prefix).startsWith('fd00:55:1::'));
  expect(pfx?.p.Prefix).toBe('fd00:55:1::/56');
  asserted(`C sender v6 -> ${addr!.base} IPAddress ${addr!.p.IPAddress}, ${pfx!.base} Prefix ${pfx!.p.Prefix}`);
});

/**
 * Push `file` with `nanocat --push` until a v4 client shows `address`; returns the sends it took.
 * nanocat closes right after its send and libnanomsg has no linger, so a frame can be lost
 * (about half the time over ipc here): send again, a bounded number of times, until it shows.
 */
async function nanocatUntilSeen(file: string, address: string, what: string): Promise<number> {
  let attempts = 0;
  const seen = (): boolean => Object.entries(mgr.get('Device.DHCPv4.Client.')).some(([k, x]) => k.endsWith('.IPAddress') && x === address);
  await waitFor(what, () => {
    if (seen()) return true;
    if (attempts >= 8) throw new Error(`not seen after ${attempts} nanocat sends`);
    attempts++;
    inCli(['timeout', '5', 'nanocat', '--push', '--connect', LEGACY, '-d', '0.1', '-F', file]);
    return seen() ? true : undefined;
  }, 20000, 300);
  return attempts;
}

it('shows a raw frame pushed by `nanocat --push`', async () => {
  const frame = encode({ version: 4, ifname: 'cpeer2', dhcpv4: { ...emptyV4Lease(), addressAssigned: true,
    address: '10.66.0.9', netmask: '255.255.255.0', gateway: '10.66.0.1', dnsServer: '10.66.0.53', ifname: 'cpeer2',
    leaseTime: 600, dhcpServerId: '10.66.0.1', dhcpState: 'bound' } }, { abi: 'lp64' });
  const file = path.join(lab.dir, 'frame.bin');
  fs.writeFileSync(file, frame);
  const attempts = await nanocatUntilSeen(file, '10.66.0.9', 'the nanocat frame in the model');
  asserted(`nanocat --push raw ${frame.length}-byte frame -> IPAddress 10.66.0.9 in the model (${attempts} send(s))`);
});


it('shows an ILP32 (1456-byte, 32-bit gateway) frame pushed by `nanocat --push`', async () => {
  const frame = encode({ version: 4, ifname: 'cpeer2', dhcpv4: { ...emptyV4Lease(), addressAssigned: true,
    address: '10.66.0.10', netmask: '255.255.255.0', gateway: '10.66.0.1', ifname: 'cpeer2', leaseTime: 600,
    dhcpServerId: '10.66.0.1', dhcpState: 'renew' } }, { abi: 'ilp32' });
  expect(frame.length).toBe(1456);
  const file = path.join(lab.dir, 'frame-ilp32.bin');
  fs.writeFileSync(file, frame);
  const attempts = await nanocatUntilSeen(file, '10.66.0.10', 'the ILP32 frame in the model');
  asserted(`nanocat --push 1456-byte ILP32 frame -> IPAddress 10.66.0.10 in the model (--abi auto; ${attempts} send(s))`);
});
});

describe('our plugins (legacy mode) -> C receiver', () => {
/** Run a plugin in legacy mode at the C receiver, and with --out; return both byte strings. */
async function legacyBytes(bin: string, event: string, env: Record<string, string>, tag: string): Promise<[Buffer, Buffer]> {
  const dir = path.join(lab.dir, `rx-${tag}`);
  fs.mkdirSync(dir);
  const rx = start(`msg_receiver ${tag}`, lab.inNs(lab.cli, [receiver, C_PULL, dir, '1', '8000']));
  await waitFor('the C receiver to bind', () => (rx.out().includes('ready') ? true : undefined), 3000, 20);
  const r = inCli([bin, event], { ...env, DHCPMGR_MODE: 'legacy', DHCPMGR_ADDR: C_PULL, DHCPMGR_SPOOL_DIR: path.join(lab.dir, 'spool') });
  expect(r.status).toBe(0);
  await waitFor('the C receiver to exit', () => (rx.child.exitCode !== null ? true : undefined), 8000, 50);
  expect(rx.child.exitCode).toBe(0);
  expect(rx.out()).toMatch(/^0 1464$/m);
  const out = path.join(dir, 'plugin-out.bin');
  inCli([bin, '--out', out, event], env);
  return [fs.readFileSync(path.join(dir, 'msg-0.bin')), fs.readFileSync(out)];
}

it('receives in C exactly the bytes the udhcpc plugin encodes (legacy mode, captured env)', async () => {
  requireBuilt(UDHCPC_PLUGIN_BIN);
  const cap = loadCapture('udhcpc-bound.env');
  const [got, want] = await legacyBytes(UDHCPC_PLUGIN_BIN, cap.event, cap.env, 'udhcpc');
  expect(got.equals(want)).toBe(true);
  const m = decodeFrame(got).msg;
  expect(m.version).toBe(4);
  if (m.version === 4) {
    expect(m.dhcpv4.address).toBe(cap.env.ip);
    expect(m.dhcpv4.netmask).toBe(cap.env.subnet);
    expect(m.dhcpv4.dhcpState).toBe('bound');
  }
  asserted(`C receiver got ${got.length} bytes from the udhcpc plugin (legacy), identical to its --out encoding; address ${cap.env.ip}`);
  const twin = runBytes([buildCTwin('udhcpc', lab.dir), cap.event], cap.env);
  const diff = differingFields(got, twin, V4_FIELDS, 4);
  // Documented differences: our plugin also fills mtu (the C plugin never reads it) and a numeric
  // time offset; everything else must be byte-identical to the C plugin's twin.
  expect(diff.filter((f) => !['dhcpv4.mtuAssigned', 'dhcpv4.mtuSize', 'dhcpv4.timeOffset', 'dhcpv4.isTimeOffsetAssigned'].includes(f))).toEqual([]);
  asserted(`udhcpc plugin bytes vs the C twin: identical except the documented extras [${diff.join(', ')}]`);
});

it('receives in C exactly the bytes the dibbler plugin encodes (legacy mode, captured env)', async () => {
  requireBuilt(DIBBLER_PLUGIN_BIN);
  const cap = loadCapture('dibbler-add.env');
  const [got, want] = await legacyBytes(DIBBLER_PLUGIN_BIN, cap.event, cap.env, 'dibbler');
  expect(got.equals(want)).toBe(true);
  const m = decodeFrame(got).msg;
  expect(m.version).toBe(6);
  if (m.version === 6) {
    expect(m.dhcpv6.iaNa.address).toBe(cap.env.ADDR1);
    expect(m.dhcpv6.iaPd.prefix).toBe(cap.env.PREFIX1);
  }
  asserted(`C receiver got ${got.length} bytes from the dibbler plugin (legacy), identical to its --out encoding; ADDR1 ${cap.env.ADDR1} PREFIX1 ${cap.env.PREFIX1}`);
  const twin = runBytes([buildCTwin('dibbler', lab.dir), cap.event], cap.env);
  const diff = differingFields(got, twin, V6_FIELDS, 6);
  // Documented difference: dibbler ends list values with a space; our plugin trims it, C does not.
  expect(diff.filter((f) => !['dhcpv6.domainName', 'dhcpv6.ntpServer'].includes(f))).toEqual([]);
  asserted(`dibbler plugin bytes vs the C twin: identical except the documented trimming [${diff.join(', ')}]`);
});

it('receives in C what the udhcpc plugin sends when a real udhcpc runs it', async () => {
  const dir = path.join(lab.dir, 'rx-real');
  fs.mkdirSync(dir);
  // A capturing wrapper: saves the environment udhcpc gave the script, then execs the plugin.
  const hook = path.join(lab.dir, 'capture-then-plugin.sh');
  fs.writeFileSync(hook, `#!/bin/sh\n[ "$1" = bound ] && env > ${dir}/bound.env\nexec ${UDHCPC_PLUGIN_BIN} "$@"\n`, { mode: 0o755 });
  const rx = start('msg_receiver real', lab.inNs(lab.cli, [receiver, C_PULL, dir, '2', '10000']));
  await waitFor('the C receiver to bind', () => (rx.out().includes('ready') ? true : undefined), 3000, 20);
  startDnsmasq(lab);
  const u = startUdhcpc(lab, hook, { DHCPMGR_MODE: 'legacy', DHCPMGR_ADDR: C_PULL, DHCPMGR_SPOOL_DIR: path.join(lab.dir, 'spool') });
  await waitFor('deconfig + bound at the C receiver', () => (rx.child.exitCode !== null ? true : undefined), 10000, 50);
  await stop(u);
  expect(rx.child.exitCode).toBe(0);
  const env: Record<string, string> = {};
  for (const l of fs.readFileSync(path.join(dir, 'bound.env'), 'utf8').split('\n')) {
    const eq = l.indexOf('=');
    if (eq > 0 && !l.startsWith('DHCPMGR_')) env[l.slice(0, eq)] = l.slice(eq + 1);
  }
  const out = path.join(dir, 'plugin-out.bin');
  inCli([UDHCPC_PLUGIN_BIN, '--out', out, 'bound'], env);
  const got = fs.readFileSync(path.join(dir, 'msg-1.bin'));
  expect(got.equals(fs.readFileSync(out))).toBe(true);
  const m = decodeFrame(got).msg;
  expect(m.version === 4 && m.dhcpv4.address).toBe(env.ip);
  expect(m.ifname).toBe(NET.clientIf);
  asserted(`real udhcpc -> our plugin (legacy) -> C receiver: bound for ${env.ip} on ${m.ifname}, bytes identical to --out for the same env`);
  void param;
});
});
