/**
 * The real DHCP servers and clients, started inside the lab's namespaces with argument arrays.
 * dibbler writes /etc/resolv.conf, /etc/ntp.conf, /etc/localtime, /var/lib/dibbler and
 * /var/log/dibbler wherever it runs; a network namespace isolates no files. So each dibbler
 * daemon runs in its own mount namespace (unshare -m, private propagation) with an overlay over
 * the whole /etc (upper dir in the lab's temp dir) and bind mounts over the two /var dirs: the
 * shell line `isolatedDibbler` of the manager's lab, fixed text built from our own temp paths,
 * never from DHCP data.
 */
import * as fs from 'fs';
import * as path from 'path';
import { dibblerServerConf, dnsmasqArgv, isolatedDibbler } from '@dhcpmgr/dhcp-manager/dist/lab/services';
import { CLEAN_PATH, Lab, NET } from './lab';
import { start, Tracked } from './proc';

export const V4_LEASE_S = 120; // dnsmasq's minimum lease time

export function startDnsmasq(lab: Lab, extra: string[] = []): Tracked {
  const d = path.join(lab.dir, 'dnsmasq');
  fs.mkdirSync(d, { recursive: true });
  return start('dnsmasq', lab.inNs(lab.srv, ['env', '-i', `PATH=${CLEAN_PATH}`, ...dnsmasqArgv(d, V4_LEASE_S, [
    '--dhcp-option=option:domain-search,lab.test,corp.test',
    '--dhcp-option=option:mtu,1400',
    '--dhcp-option=option:classless-static-route,10.99.0.0/16,192.168.77.1,0.0.0.0/0,192.168.77.1',
    ...extra])]), { logFile: `${d}/stdout.log` });
}

export interface ClientEnv {
  [k: string]: string;
}

export function startUdhcpc(lab: Lab, script: string, env: ClientEnv, extra: string[] = []): Tracked {
  return start('udhcpc', lab.inNs(lab.cli, ['env', '-i', `PATH=${CLEAN_PATH}`, ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    'busybox', 'udhcpc', '-f', '-i', NET.clientIf, '-s', script,
    '-O', 'staticroutes', '-O', 'routes', '-O', 'ntpsrv', '-O', 'search', '-O', 'mtu',
    '-x', 'hostname:e2eclient', ...extra]), { logFile: path.join(lab.dir, 'udhcpc.log') });
}

export const V6_TIMES = { t1: 4, t2: 6, preferred: 8, valid: 12 } as const;

export function startDibblerServer(lab: Lab): Tracked {
  fs.mkdirSync(path.join(lab.dir, 'dibbler-srv'), { recursive: true });
  fs.writeFileSync(path.join(lab.dir, 'dibbler-srv', 'server.conf'),
    dibblerServerConf(V6_TIMES, 8, 'lab.test,corp.test', ['option ntp-server fd00:77::1']));
  const sh = `${isolatedDibbler(lab.dir, 'srv')} && exec dibbler-server run`;
  return start('dibbler-server', lab.inNs(lab.srv, ['env', '-i', `PATH=${CLEAN_PATH}`, 'unshare', '-m', '--propagation', 'private',
    'sh', '-c', sh]), { logFile: path.join(lab.dir, 'dibbler-server.log') });
}

/** `globalConf`: extra top-level lines of client.conf (e.g. `downlink-prefix-ifaces "none"`). */
export function startDibblerClient(lab: Lab, script: string, env: ClientEnv, globalConf = ''): Tracked {
  fs.mkdirSync(path.join(lab.dir, 'dibbler-cli'), { recursive: true });
  fs.writeFileSync(path.join(lab.dir, 'dibbler-cli', 'client.conf'), `log-level 8
log-mode short
script "${script}"
${globalConf}
iface "${NET.clientIf}" {
  ia
  pd
  option dns-server
  option domain
  option ntp-server
}
`);
  const sh = `${isolatedDibbler(lab.dir, 'cli')} && exec dibbler-client run`;
  return start('dibbler-client', lab.inNs(lab.cli, ['env', '-i', `PATH=${CLEAN_PATH}`, ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    'unshare', '-m', '--propagation', 'private', 'sh', '-c', sh]), { logFile: path.join(lab.dir, 'dibbler-client.log') });
}
