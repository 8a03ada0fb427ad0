/**
 * The DHCP servers of the lab (dnsmasq for v4, dibbler-server for v6) in the server namespace.
 * The e2e suite's lab builds its servers from the same argv, config and shell line (it imports
 * this module from the built package), with its own lifetimes and a few more options.
 * dibbler writes /etc/resolv.conf, /etc/ntp.conf, /etc/localtime, /var/lib/dibbler and
 * /var/log/dibbler wherever it runs, and a network namespace isolates no files: each dibbler
 * daemon runs in its own mount namespace with an overlay over /etc and bind mounts over the two
 * /var dirs, all inside the lab's temp dir. The mount commands are fixed text built from our own
 * temp paths, never from DHCP data.
 */
import { mkdirSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';
import { inNs, LAB_NET, LabNet } from './netns';
import { Proc, Procs } from './procs';

/** The PATH the servers, clients and plugin scripts get: the system dirs plus this node's dir. */
export const CLEAN_PATH = [dirname(process.execPath), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']
  .filter((d, i, a) => a.indexOf(d) === i).join(':');

/** Short enough that renewals show on the page within a minute or two. */
export const LAB_TIMES = { v4LeaseS: 120, v6: { t1: 30, t2: 48, preferred: 60, valid: 90 } } as const;

/**
 * dnsmasq as the lab's DHCPv4 server on the server side's veth, in the foreground, its files in
 * `d`; `more`: further options (the e2e suite adds routes, MTU, search domains).
 */
export function dnsmasqArgv(d: string, leaseS: number, more: string[] = []): string[] {
  return ['dnsmasq', '--keep-in-foreground', '-C', '/dev/null', '--port=0', '--no-resolv', '--no-hosts',
    '--user=root', '--group=root', `--interface=${LAB_NET.serverIf}`, '--bind-interfaces', '--dhcp-authoritative',
    // --no-ping: no ICMP check before the offer, so `bound` comes ~0.1 s after start instead of ~3 s.
    '--no-ping',
    `--dhcp-range=192.168.77.100,192.168.77.150,255.255.255.0,${leaseS}s`,
    '--dhcp-option=option:router,192.168.77.1',
    '--dhcp-option=option:dns-server,192.168.77.53,192.168.77.54',
    '--dhcp-option=option:domain-name,lab.test',
    '--dhcp-option=option:ntp-server,192.168.77.1',
    `--dhcp-leasefile=${d}/leases`, `--pid-file=${d}/dnsmasq.pid`, '--log-dhcp', `--log-facility=${d}/dnsmasq.log`, ...more];
}

export function startDnsmasq(procs: Procs, net: LabNet, dir: string): Proc {
  const d = join(dir, 'dnsmasq');
  mkdirSync(d, { recursive: true });
  return procs.start('dnsmasq', inNs(net.srv, ['env', '-i', `PATH=${CLEAN_PATH}`, ...dnsmasqArgv(d, LAB_TIMES.v4LeaseS)]),
    join(d, 'stdout.log'));
}

/** A shell line for `unshare -m sh -c`: private /etc and dibbler dirs for one dibbler daemon. */
export function isolatedDibbler(dir: string, side: 'srv' | 'cli'): string {
  const b = join(dir, `dibbler-${side}`);
  for (const d of ['etc', 'etc-work', 'var', 'log']) mkdirSync(join(b, d), { recursive: true });
  return [
    `mount -t overlay overlay -o lowerdir=/etc,upperdir=${b}/etc,workdir=${b}/etc-work /etc`,
    // Plain files in the overlay: a symlink (resolvconf's resolv.conf, localtime -> zoneinfo)
    // would lead dibbler's writes back onto the host.
    'rm -f /etc/resolv.conf /etc/localtime /etc/ntp.conf', ': > /etc/resolv.conf',
    'cp /usr/share/zoneinfo/Etc/UTC /etc/localtime',
    'mkdir -p /etc/dibbler', `cp ${b}/${side === 'srv' ? 'server' : 'client'}.conf /etc/dibbler/`,
    `mount --bind ${b}/var /var/lib/dibbler`, `mount --bind ${b}/log /var/log/dibbler`,
  ].join(' && ');
}

export interface V6Times { t1: number; t2: number; preferred: number; valid: number }

/**
 * dibbler-server's server.conf: addresses from fd00:77::100-1ff and /64s delegated from
 * fd00:77:100::/56 on the server side's veth, with lifetimes `t`; `more`: further lines of the
 * interface block.
 */
export function dibblerServerConf(t: V6Times, logLevel: number, domains: string, more: string[] = []): string {
  return `log-level ${logLevel}
log-mode short
preference 255
iface "${LAB_NET.serverIf}" {
  t1 ${t.t1}
  t2 ${t.t2}
  prefered-lifetime ${t.preferred}
  valid-lifetime ${t.valid}
  class { pool fd00:77::100-fd00:77::1ff }
  pd-class {
    pd-pool fd00:77:100::/56
    pd-length 64
    t1 ${t.t1}
    t2 ${t.t2}
    prefered-lifetime ${t.preferred}
    valid-lifetime ${t.valid}
  }
  option dns-server fd00:77::53,fd00:77::54
  option domain ${domains}
${more.map((l) => `  ${l}\n`).join('')}}
`;
}

export function startDibblerServer(procs: Procs, net: LabNet, dir: string): Proc {
  mkdirSync(join(dir, 'dibbler-srv'), { recursive: true });
  writeFileSync(join(dir, 'dibbler-srv', 'server.conf'), dibblerServerConf(LAB_TIMES.v6, 7, 'lab.test'));
  return procs.start('dibbler-server', inNs(net.srv, ['env', '-i', `PATH=${CLEAN_PATH}`, 'unshare', '-m', '--propagation', 'private',
    'sh', '-c', `${isolatedDibbler(dir, 'srv')} && exec dibbler-server run`]), join(dir, 'dibbler-server.log'));
}
