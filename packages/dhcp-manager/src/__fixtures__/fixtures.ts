/**
 * Test helpers: typed messages as the C plugins would build them from the real captures in
 * env/ (udhcpc and dibbler environments recorded in the lab; see docs/tr181.md), following the
 * C plugins' mapping, plus small builders for hand-made cases.
 */
import { readdirSync } from 'fs';
import { join } from 'path';
import {
  DhcpV4Message, DhcpV6Message, EnvelopeMeta, PluginMsg, emptyV4Lease, emptyV6Lease, encode,
} from '@dhcpmgr/plugin-msg';
import { Capture, readCapture as readCaptureFile } from '@dhcpmgr/plugin-msg/testing';
import type { Ingest } from '../contract';

const DIR = join(__dirname, 'env');

export function readCapture(tool: 'udhcpc' | 'dibbler', name: string): Capture {
  return readCaptureFile(join(DIR, tool, `${name}.env`));
}

export function captures(tool: 'udhcpc' | 'dibbler'): string[] {
  return readdirSync(join(DIR, tool)).filter((f) => f.endsWith('.env')).map((f) => f.slice(0, -4)).sort();
}

const atoi = (v: string | undefined): number => (v === undefined ? 0 : (parseInt(v.trim(), 10) || 0) >>> 0);
const hex = (v: string | undefined): number => (v ? parseInt(v.replace(/[^0-9a-fA-F]/g, '').slice(-8) || '0', 16) >>> 0 : 0);

/** What the C udhcpc plugin sends for this capture (undefined: it sends nothing, e.g. nak). */
export function udhcpcMsg(name: string): DhcpV4Message | undefined {
  const { event, env } = readCapture('udhcpc', name);
  if (!['bound', 'renew', 'deconfig', 'leasefail'].includes(event)) return undefined;
  const l = emptyV4Lease();
  const ifname = env.interface ?? '';
  l.ifname = ifname;
  l.dhcpState = event;
  l.dhcpServerId = env.serverid ?? '';
  l.sipSrv = env.sipsrv ?? '';
  l.staticRoutes = env.staticroutes ?? '';
  if (event === 'bound' || event === 'renew') {
    l.addressAssigned = true;
    l.address = env.ip ?? '';
    l.netmask = env.subnet ?? '';
    l.gateway = env.router ?? '';
    const dns = (env.dns ?? '').slice(0, 255).split(' ').filter(Boolean);
    l.dnsServer = dns[0] ?? '';
    l.dnsServer1 = dns[1] ?? '';
    l.leaseTime = atoi(env.lease);
    l.renewalTime = env.renewaltime !== undefined ? atoi(env.renewaltime) : hex(env.opt58);
    l.rebindingTime = env.rebindingtime !== undefined ? atoi(env.rebindingtime) : hex(env.opt59);
    l.timeZone = env.timezone ?? '';
    if (env.timeoffset !== undefined) { l.timeOffset = atoi(env.timeoffset) | 0; l.isTimeOffsetAssigned = true; }
  } else {
    l.isExpired = true;
  }
  return { version: 4, ifname, dhcpv4: l };
}

/** What the C dibbler plugin sends for this capture. */
export function dibblerMsg(name: string): DhcpV6Message | undefined {
  const { event, env } = readCapture('dibbler', name);
  if (!['add', 'update', 'del', 'delete', 'expire'].includes(event)) return undefined;
  const l = emptyV6Lease();
  const ifname = env.IFACE ?? '';
  l.ifname = ifname;
  l.isExpired = !['add', 'update'].includes(event);
  if (env.ADDR1) { l.iaNa.assigned = true; l.iaNa.address = env.ADDR1; }
  l.iaNa.iaid = atoi(env.ADDR1IAID); l.iaNa.preferredLifetime = atoi(env.ADDR1PREF); l.iaNa.validLifetime = atoi(env.ADDR1VALID);
  l.iaNa.t1 = atoi(env.ADDR1T1); l.iaNa.t2 = atoi(env.ADDR1T2);
  if (env.PREFIX1) { l.iaPd.assigned = true; l.iaPd.prefix = env.PREFIX1; }
  l.iaPd.prefixLength = atoi(env.PREFIX1LEN); l.iaPd.iaid = atoi(env.PREFIX1IAID);
  l.iaPd.preferredLifetime = atoi(env.PREFIX1PREF); l.iaPd.validLifetime = atoi(env.PREFIX1VALID);
  l.iaPd.t1 = atoi(env.PREFIX1T1); l.iaPd.t2 = atoi(env.PREFIX1T2);
  if (env.SRV_OPTION23 !== undefined) {
    l.dns.assigned = true;
    const s = env.SRV_OPTION23.slice(0, 255).split(' ').filter(Boolean);
    l.dns.nameserver = (s[0] ?? '').slice(0, 127);
    l.dns.nameserver1 = (s[1] ?? '').slice(0, 127);
  }
  l.domainName = (env.SRV_OPTION24 ?? '').slice(0, 64);
  l.ntpServer = (env.SRV_OPTION31 ?? '').slice(0, 128);
  l.aftr = (env.SRV_OPTION64 ?? '').slice(0, 256);
  if (env.SRV_OPTION95 !== undefined) { l.mapt.assigned = true; l.mapt.container = env.SRV_OPTION95.slice(0, 256); }
  if (env.SRV_OPTION17 !== undefined) { l.vendor.assigned = true; l.vendor.data = env.SRV_OPTION17.slice(0, 255); l.vendor.length = env.SRV_OPTION17.length; }
  return { version: 6, ifname, dhcpv6: l };
}

/** A valid v4 bound message for `ifname`, with overrides. */
export function v4(ifname: string, over: Partial<DhcpV4Message['dhcpv4']> = {}): DhcpV4Message {
  return {
    version: 4, ifname,
    dhcpv4: {
      ...emptyV4Lease(), ifname, addressAssigned: true, dhcpState: 'bound', address: '192.168.77.130', netmask: '255.255.255.0',
      gateway: '192.168.77.1', dnsServer: '192.168.77.53', dnsServer1: '192.168.77.54', dhcpServerId: '192.168.77.1',
      leaseTime: 120, renewalTime: 60, rebindingTime: 105, ...over,
    },
  };
}

/** A v4 clearing message (deconfig, leasefail, nak). */
export function v4Clear(ifname: string, state: string): DhcpV4Message {
  return { version: 4, ifname, dhcpv4: { ...emptyV4Lease(), ifname, dhcpState: state, isExpired: true } };
}

type V6Over = { isExpired?: boolean; na?: Partial<DhcpV6Message['dhcpv6']['iaNa']> | null; pd?: Partial<DhcpV6Message['dhcpv6']['iaPd']> | null; dns?: [string, string] };

/** A v6 message: IA_NA and IA_PD by default; `na: null` / `pd: null` leaves one out. */
export function v6(ifname: string, o: V6Over = {}): DhcpV6Message {
  const l = emptyV6Lease();
  l.ifname = ifname;
  l.isExpired = o.isExpired ?? false;
  if (o.na !== null) l.iaNa = { ...l.iaNa, assigned: true, address: 'fd00:77::10b', preferredLifetime: 20, validLifetime: 30, ...o.na };
  if (o.pd !== null) l.iaPd = { ...l.iaPd, assigned: true, prefix: 'fd00:77:100:26::', prefixLength: 64, preferredLifetime: 20, validLifetime: 30, ...o.pd };
  l.dns = { assigned: true, nameserver: o.dns?.[0] ?? 'fd00:77::53', nameserver1: o.dns?.[1] ?? 'fd00:77::54' };
  l.domainName = 'lab.test corp.test ';
  l.ntpServer = 'fd00:77::1 ';
  return { version: 6, ifname, dhcpv6: l };
}

/** A legacy-channel ingest item of the message's C bytes. */
export function legacy(msg: PluginMsg | Buffer, receivedAt: number, abi: 'lp64' | 'ilp32' = 'lp64'): Ingest {
  return { frame: Buffer.isBuffer(msg) ? msg : encode(msg, { abi }), channel: 'legacy', receivedAt };
}

export function acked(msg: PluginMsg, receivedAt: number, order: EnvelopeMeta): Ingest {
  return { frame: encode(msg), channel: 'acked', receivedAt, order };
}

export function meta(bootByte: number, monotonicNs: bigint, wallUs: bigint): EnvelopeMeta {
  return { bootId: Buffer.alloc(16, bootByte), monotonicNs, wallUs, senderPid: 1 };
}
