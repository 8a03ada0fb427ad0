/**
 * `dhcp-manager lab` (root): a complete gateway on one machine, to see the system work. It
 * creates a server namespace (dnsmasq, dibbler-server) and a gateway namespace (`erouter0`),
 * starts the manager in the gateway namespace with the DHCP clients configured, makes its status
 * page reachable on the host's loopback, prints the URL and waits. SIGINT (Ctrl-C) or SIGTERM
 * stops every process it started (by PID), deletes both namespaces and removes its temp dir.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { get } from 'http';
import type { Server } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { outer } from '../lab/bridge';
import { startClientsUntilSupervisor } from '../lab/interim-clients';
import { createNet, deleteNet, inNs, LAB_NET, LabNet } from '../lab/netns';
import { Procs, sh, sleep } from '../lab/procs';
import { startDibblerServer, startDnsmasq } from '../lab/services';
import type { Io } from './index';

export interface LabOptions { host: string; port: number }

/** The manager's configuration in the lab: one DHCPv4 and one DHCPv6 client on the WAN side. */
export const LAB_CLIENTS_CONFIG = {
  clients: {
    dhcpv4: [{ interface: LAB_NET.wanIf, enable: true }],
    dhcpv6: [{ interface: LAB_NET.wanIf, enable: true, requestAddresses: true, requestPrefixes: true }],
  },
};

/**
 * Whether the manager runs the DHCP clients from LAB_CLIENTS_CONFIG. Until its client
 * supervisor exists, the lab starts them itself (lab/interim-clients.ts); then this is true,
 * the config goes in with --config and the interim file is deleted.
 */
const MANAGER_RUNS_CLIENTS = false;

/** Inside the gateway namespace; only the bridge reaches it. */
const INNER_HTTP_PORT = 50325;
const TOOLS = ['ip', 'dnsmasq', 'dibbler-server', 'dibbler-client', 'busybox', 'unshare', 'mount'];

function httpOk(host: string, port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    get({ host, port, path, agent: false, timeout: 1000 }, (res) => { res.resume(); resolve(res.statusCode === 200); })
      .on('error', () => resolve(false))
      .on('timeout', function (this: { destroy(): void }) { this.destroy(); resolve(false); });
  });
}

function stopSignal(): { promise: Promise<string>; stopped: () => string | undefined; dispose: () => void } {
  let got: string | undefined;
  let wake: (s: string) => void = () => undefined;
  const promise = new Promise<string>((resolve) => { wake = resolve; });
  const on = (sig: string) => () => { got ??= sig; wake(sig); };
  const int = on('SIGINT');
  const term = on('SIGTERM');
  process.on('SIGINT', int);
  process.on('SIGTERM', term);
  return { promise, stopped: () => got, dispose: () => { process.removeListener('SIGINT', int); process.removeListener('SIGTERM', term); } };
}

export async function runLab(opts: LabOptions, io: Io): Promise<number> {
  if (process.getuid?.() !== 0) {
    io.stderr('dhcp-manager lab: needs root (network namespaces, veth pairs, mounts): run it with sudo\n');
    return 1;
  }
  const missing = TOOLS.filter((t) => sh(['sh', '-c', 'command -v "$1"', 'sh', t], true) === '');
  if (missing.length) {
    io.stderr(`dhcp-manager lab: missing ${missing.join(', ')} (Debian: busybox dnsmasq dibbler-server dibbler-client iproute2; see test-e2e/install-deps.sh)\n`);
    return 1;
  }
  const signal = stopSignal();
  const procs = new Procs();
  const dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-lab-'));
  let net: LabNet | undefined;
  let bridge: Server | undefined;
  let code = 0;
  try {
    net = await createNet();
    io.stdout(`lab: namespaces ${net.srv} (dnsmasq, dibbler-server on ${LAB_NET.serverIf}) and ${net.gw} (gateway, ${LAB_NET.wanIf}); files in ${dir}\n`);
    startDnsmasq(procs, net, dir);
    startDibblerServer(procs, net, dir);
    const config = join(dir, 'manager.json');
    writeFileSync(config, `${JSON.stringify(LAB_CLIENTS_CONFIG, null, 2)}\n`);
    const spoolDir = join(dir, 'spool');
    procs.start('dhcp-manager', inNs(net.gw, [process.execPath, join(__dirname, '..', 'bin.js'), 'start',
      ...(MANAGER_RUNS_CLIENTS ? ['--config', config] : []),
      '--http', `127.0.0.1:${INNER_HTTP_PORT}`, '--state-dir', join(dir, 'state'), '--spool-dir', spoolDir,
      '--apply', 'iproute2', '--durability', 'normal']), join(dir, 'manager.log'));
    const sock = join(dir, 'http.sock');
    procs.start('bridge', inNs(net.gw, [process.execPath, join(__dirname, '..', 'lab', 'bridge.js'), sock, String(INNER_HTTP_PORT)]), join(dir, 'bridge.log'));
    bridge = await outer(opts.host, opts.port, sock);
    for (let i = 0; !(await httpOk(opts.host, opts.port, '/healthz')); i++) {
      if (signal.stopped()) break;
      if (i > 150) throw new Error(`the manager did not answer within 15 s; see ${join(dir, 'manager.log')}`);
      await sleep(100);
    }
    if (!signal.stopped()) {
      if (!MANAGER_RUNS_CLIENTS) startClientsUntilSupervisor(procs, net, dir, spoolDir);
      io.stdout(`lab: status page http://${opts.host}:${opts.port}/\nlab: leases appear within seconds; press Ctrl-C to stop and remove everything\n`);
      await signal.promise;
    }
  } catch (err) {
    io.stderr(`dhcp-manager lab: ${(err as Error).message}\n`);
    code = 1;
  } finally {
    io.stdout(`lab: stopping (${signal.stopped() ?? 'error'})\n`);
    // The inner bridge stops with the others, which ends every forwarded connection (an open
    // event stream too), so the outer listener can then close.
    await procs.stopAll();
    await new Promise<void>((resolve) => (bridge ? bridge.close(() => resolve()) : resolve()));
    if (net) deleteNet(net);
    rmSync(dir, { recursive: true, force: true });
    signal.dispose();
    io.stdout(`lab: removed ${net ? `${net.srv}, ${net.gw}, ` : ''}${dir}\n`);
  }
  return code;
}
