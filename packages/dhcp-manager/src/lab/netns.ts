/**
 * The lab's network: a server namespace and a gateway namespace joined by one veth pair
 * (the same layout as the e2e suite's lab). Names carry a random suffix and stay within 15
 * characters; addresses exist only inside the namespaces; the gateway side is `erouter0`, the
 * RDK-B WAN name. Deleting the namespaces removes the veth pair with them.
 */
import { randomBytes } from 'crypto';
import { sh, sleep } from './procs';

export const LAB_NET = {
  v4Server: '192.168.77.1',
  v6Server: 'fd00:77::1',
  wanIf: 'erouter0',
  serverIf: 'veth-srv',
} as const;

export interface LabNet { id: string; srv: string; gw: string }

export function inNs(ns: string, argv: string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...argv];
}

export function netnsList(): string[] {
  return sh(['ip', 'netns', 'list']).split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}

function linkLocalReady(ns: string, dev: string): boolean {
  const out = sh(['ip', '-n', ns, '-6', 'addr', 'show', 'dev', dev]);
  return /inet6 fe80::/.test(out) && !/tentative/.test(out);
}

/** Creates both namespaces; on any failure removes what it created and rethrows. */
export async function createNet(): Promise<LabNet> {
  const id = randomBytes(3).toString('hex');
  const net: LabNet = { id, srv: `dmlabs${id}`, gw: `dmlabg${id}` };
  const vs = `dmv${id}s`;
  const vg = `dmv${id}g`;
  try {
    for (const ns of [net.srv, net.gw]) sh(['ip', 'netns', 'add', ns]);
    sh(['ip', 'link', 'add', vs, 'type', 'veth', 'peer', 'name', vg]);
    sh(['ip', 'link', 'set', vs, 'netns', net.srv]);
    sh(['ip', 'link', 'set', vg, 'netns', net.gw]);
    sh(['ip', '-n', net.srv, 'link', 'set', vs, 'name', LAB_NET.serverIf]);
    sh(['ip', '-n', net.gw, 'link', 'set', vg, 'name', LAB_NET.wanIf]);
    for (const [ns, dev] of [[net.srv, LAB_NET.serverIf], [net.gw, LAB_NET.wanIf]] as const) {
      sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      // dibbler-client gives up on a tentative link-local address: DAD off before the link is up.
      sh(inNs(ns, ['sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0', `net.ipv6.conf.${dev}.accept_dad=0`]));
    }
    sh(['ip', '-n', net.srv, 'addr', 'add', `${LAB_NET.v4Server}/24`, 'dev', LAB_NET.serverIf]);
    sh(['ip', '-n', net.srv, '-6', 'addr', 'add', `${LAB_NET.v6Server}/64`, 'dev', LAB_NET.serverIf, 'nodad']);
    sh(['ip', '-n', net.srv, 'link', 'set', LAB_NET.serverIf, 'up']);
    sh(['ip', '-n', net.gw, 'link', 'set', LAB_NET.wanIf, 'up']);
    for (let i = 0; !(linkLocalReady(net.srv, LAB_NET.serverIf) && linkLocalReady(net.gw, LAB_NET.wanIf)); i++) {
      if (i > 100) throw new Error('link-local addresses stayed tentative for 5 s');
      await sleep(50);
    }
  } catch (err) {
    deleteNet(net);
    throw err;
  }
  return net;
}

export function deleteNet(net: LabNet): void {
  for (const ns of [net.srv, net.gw]) sh(['ip', 'netns', 'del', ns], true);
  sh(['ip', 'link', 'del', `dmv${net.id}s`], true);
}
