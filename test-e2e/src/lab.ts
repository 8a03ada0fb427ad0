/**
 * A two-namespace DHCP lab per test file, modelled on the reference lab script: a server
 * namespace and a client namespace joined by one veth pair. Names carry a random suffix so that
 * test files (and leftover runs) never collide; addresses exist only inside the namespaces.
 * The client side is renamed `erouter0` (the RDK-B WAN name) inside its namespace.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onFinal, run, stopAll, trackDir, trackNetns, waitFor } from './proc';

export const NET = {
  v4Subnet: '192.168.77.0/24',
  v4Server: '192.168.77.1',
  v6Server: 'fd00:77::1',
  v6Prefix: 'fd00:77::/64',
  clientIf: 'erouter0',
  serverIf: 'veth-srv',
} as const;

export interface Lab {
  id: string;
  srv: string;
  cli: string;
  /** Temp dir for configs, logs, state; removed at teardown unless E2E_KEEP=1. */
  dir: string;
  /** `ip netns exec NS` + argv, for spawning. */
  inNs(ns: string, argv: string[]): string[];
  teardown(): Promise<void>;
}

/**
 * The PATH the DHCP clients and their scripts get: the system dirs plus this node's dir. Shared
 * with `dhcp-manager lab` (the built manager package's lab/services.js).
 */
export { CLEAN_PATH } from '@dhcpmgr/dhcp-manager/dist/lab/services';

export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('the e2e suite needs root (network namespaces, veth, mounts): run it with sudo or in CI');
  }
}

function ip(...args: string[]): void {
  run(['ip', ...args]);
}

function netnsList(): string[] {
  return run(['ip', 'netns', 'list']).stdout.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}

export function netnsExists(name: string): boolean {
  return netnsList().includes(name);
}

function linkLocalReady(ns: string, dev: string): boolean {
  const out = run(['ip', '-n', ns, '-6', 'addr', 'show', 'dev', dev]).stdout;
  return /inet6 fe80::/.test(out) && !/tentative/.test(out);
}

export async function createLab(tag: string): Promise<Lab> {
  requireRoot();
  const id = randomBytes(3).toString('hex');
  // Names stay within IFNAMSIZ - 1 = 15 characters (namespaces too, by house rule).
  const srv = `e2${tag.slice(0, 3)}s${id}`;
  const cli = `e2${tag.slice(0, 3)}c${id}`;
  const vs = `dv${id}s`;
  const vc = `dv${id}c`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dhcpmgr-e2e-${tag}-`));
  if (process.env.E2E_KEEP !== '1') trackDir(dir, true);
  const created: string[] = [];
  const delNs = (): void => {
    for (const ns of created.splice(0)) {
      run(['ip', 'netns', 'del', ns], { allowFail: true });
      trackNetns(ns, false);
    }
  };
  const unhook = onFinal(delNs);
  const lab: Lab = {
    id, srv, cli, dir,
    inNs: (ns, argv) => ['ip', 'netns', 'exec', ns, ...argv],
    teardown: async () => {
      await stopAll();
      delNs();
      unhook();
      run(['ip', 'link', 'del', vs], { allowFail: true });
      if (process.env.E2E_KEEP !== '1') fs.rmSync(dir, { recursive: true, force: true });
      trackDir(dir, false);
    },
  };
  try {
    for (const ns of [srv, cli]) {
      trackNetns(ns, true); // before creating it: a crash right after must still remove it
      ip('netns', 'add', ns);
      created.push(ns);
    }
    ip('link', 'add', vs, 'type', 'veth', 'peer', 'name', vc);
    ip('link', 'set', vs, 'netns', srv);
    ip('link', 'set', vc, 'netns', cli);
    ip('-n', srv, 'link', 'set', vs, 'name', NET.serverIf);
    ip('-n', cli, 'link', 'set', vc, 'name', NET.clientIf);
    for (const [ns, dev] of [[srv, NET.serverIf], [cli, NET.clientIf]] as const) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      // dibbler-client gives up on a tentative link-local address: DAD off before the link is up.
      run(lab.inNs(ns, ['sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0',
        `net.ipv6.conf.${dev}.accept_dad=0`]));
    }
    ip('-n', srv, 'addr', 'add', `${NET.v4Server}/24`, 'dev', NET.serverIf);
    ip('-n', srv, '-6', 'addr', 'add', `${NET.v6Server}/64`, 'dev', NET.serverIf, 'nodad');
    ip('-n', srv, 'link', 'set', NET.serverIf, 'up');
    ip('-n', cli, 'link', 'set', NET.clientIf, 'up');
    await waitFor('non-tentative link-local addresses', () =>
      (linkLocalReady(srv, NET.serverIf) && linkLocalReady(cli, NET.clientIf) ? true : undefined), 5000, 50);
  } catch (e) {
    await lab.teardown();
    throw e;
  }
  return lab;
}
