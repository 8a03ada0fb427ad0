/**
 * `dhcp-manager lab` (root): a complete gateway on one machine, to see the system work. It
 * creates a server namespace (dnsmasq, dibbler-server) and a gateway namespace (`erouter0`),
 * starts the manager in the gateway namespace with the DHCP clients in its --config (the manager
 * runs udhcpc and dibbler-client) and an API token so the page's buttons can write, makes its
 * status page reachable on the host's loopback, prints the URL and the token and waits. SIGINT
 * (Ctrl-C) or SIGTERM stops every process it started (by PID; the manager stops its clients with
 * --stop-clients-on-exit, and anything still left in the namespaces is killed by PID), deletes
 * both namespaces and removes its temp dir.
 */
import { mkdtempSync, rmSync } from 'fs';
import { get } from 'http';
import type { Server } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { outer } from '../lab/bridge';
import { INNER_HTTP_PORT, managerFlags, writeManagerFiles } from '../lab/manager';
import { createNet, deleteNet, inNs, LAB_NET, LabNet } from '../lab/netns';
import { killLeftovers, Proc, Procs, sh, sleep } from '../lab/procs';
import { startDibblerServer, startDnsmasq } from '../lab/services';
import type { Io } from './index';

export interface LabOptions { host: string; port: number }

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
  let manager: Proc | undefined;
  let innerBridge: Proc | undefined;
  let code = 0;
  try {
    net = await createNet();
    io.stdout(`lab: namespaces ${net.srv} (dnsmasq, dibbler-server on ${LAB_NET.serverIf}) and ${net.gw} (gateway, ${LAB_NET.wanIf}); files in ${dir}\n`);
    startDnsmasq(procs, net, dir);
    startDibblerServer(procs, net, dir);
    const files = writeManagerFiles(dir);
    manager = procs.start('dhcp-manager', inNs(net.gw, [process.execPath, join(__dirname, '..', 'bin.js'), 'start', ...managerFlags(dir, files)]),
      join(dir, 'manager.log'));
    const sock = join(dir, 'http.sock');
    innerBridge = procs.start('bridge', inNs(net.gw, [process.execPath, join(__dirname, '..', 'lab', 'bridge.js'), sock, String(INNER_HTTP_PORT)]), join(dir, 'bridge.log'));
    bridge = await outer(opts.host, opts.port, sock);
    for (let i = 0; !(await httpOk(opts.host, opts.port, '/healthz')); i++) {
      if (signal.stopped()) break;
      if (i > 150) throw new Error(`the manager did not answer within 15 s; see ${join(dir, 'manager.log')}`);
      await sleep(100);
    }
    if (!signal.stopped()) {
      io.stdout(`lab: status page http://${opts.host}:${opts.port}/\n`
        + `lab: API token ${files.token} (in ${files.tokenFile}): paste it when the page asks, for Enable/Disable/Renew\n`
        + 'lab: leases appear within seconds; press Ctrl-C to stop and remove everything\n');
      await signal.promise;
    }
  } catch (err) {
    io.stderr(`dhcp-manager lab: ${(err as Error).message}\n`);
    code = 1;
  } finally {
    io.stdout(`lab: stopping (${signal.stopped() ?? 'error'})\n`);
    // The inner bridge stops first, which ends every forwarded connection (an open event stream
    // too), so the outer listener can then close. The manager gets time to release and stop its
    // DHCP clients (--stop-clients-on-exit) before it is killed.
    if (innerBridge) await procs.stop(innerBridge);
    if (manager) await procs.stop(manager, 15000);
    await procs.stopAll();
    // Whatever still runs in our namespaces (a client the manager could not stop) is ours: by PID.
    const leftovers = net ? await killLeftovers([net.gw, net.srv]) : [];
    if (leftovers.length) io.stdout(`lab: killed leftover processes ${leftovers.join(' ')}\n`);
    await new Promise<void>((resolve) => (bridge ? bridge.close(() => resolve()) : resolve()));
    if (net) deleteNet(net);
    rmSync(dir, { recursive: true, force: true });
    signal.dispose();
    io.stdout(`lab: removed ${net ? `${net.srv}, ${net.gw}, ` : ''}${dir}\n`);
  }
  return code;
}
