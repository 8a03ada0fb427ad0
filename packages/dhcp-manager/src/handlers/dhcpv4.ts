/**
 * DHCPv4 (udhcpc) messages -> the interface's V4Record. Pure: no I/O, no clock; `at` is the
 * event time (wall for display, monotonic base for the lifetime). Deciding UPDATE vs RENEW follows the C manager's "changed" fields (address, mask,
 * routers, DNS, and whether a lease existed), but is computed afresh per message (the C flag
 * was never reset within a batch).
 */
import type { DhcpV4Message } from '@dhcpmgr/plugin-msg';
import { v4Payload } from '../events';
import { EventTime, deadlineOf } from '../model/clock';
import { V4Lease, V4Record, expiryOf } from '../model/types';
import { V4_SET_STATES, netmaskLength } from '../validate';
import { HandlerOutput, keptList, keptText, sameList, tokens } from './types';

function broadcastOf(address: string, prefixLength: number): string {
  const a = address.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const host = prefixLength >= 32 ? 0 : 2 ** (32 - prefixLength) - 1;
  const b = (a - (a % (host + 1)) + host) >>> 0;
  return [b >>> 24, (b >>> 16) & 255, (b >>> 8) & 255, b & 255].join('.');
}

/** The lease of a message; what equals `prev` (the lease held) is taken from it (handlers/types.ts keptText). */
function leaseOf(m: DhcpV4Message, at: EventTime, truncated: ReadonlySet<string>, prev: V4Lease | null | undefined): V4Lease {
  const l = m.dhcpv4;
  const prefixLength = netmaskLength(l.netmask) as number; // validated before
  const t = (f: string) => truncated.has(`dhcpv4.${f}`);
  const address = keptText(l.address, prev?.address);
  return {
    address,
    netmask: keptText(l.netmask, prev?.netmask),
    prefixLength,
    broadcast: prev && prev.address === address && prev.prefixLength === prefixLength ? prev.broadcast : broadcastOf(address, prefixLength),
    routers: keptList(tokens(l.gateway, t('gateway')), prev?.routers),
    dnsServers: keptList([...tokens(l.dnsServer, t('dnsServer')), ...tokens(l.dnsServer1, t('dnsServer1'))], prev?.dnsServers),
    dhcpServer: keptText(tokens(l.dhcpServerId, t('dhcpServerId'))[0] ?? '', prev?.dhcpServer),
    leaseTime: l.leaseTime,
    renewalTime: l.renewalTime,
    rebindingTime: l.rebindingTime,
    boot: at.boot,
    obtainedMono: at.mono,
    expiresMono: deadlineOf(at.mono, l.leaseTime),
    obtainedAt: at.wall,
    expiresAt: expiryOf(at.wall, l.leaseTime),
    timeOffset: l.isTimeOffsetAssigned ? l.timeOffset : null,
    timeZone: keptText(l.timeZone, prev?.timeZone),
    mtu: l.mtuAssigned && l.mtuSize >= 68 && l.mtuSize <= 65535 ? l.mtuSize : null,
    sipServer: keptText(l.sipSrv, prev?.sipServer),
    staticRoutes: keptText(l.staticRoutes, prev?.staticRoutes),
    upstreamRate: l.upstreamCurrRate,
    downstreamRate: l.downstreamCurrRate,
  };
}

function changed(a: V4Lease, b: V4Lease): boolean {
  return a.address !== b.address || a.netmask !== b.netmask
    || !sameList(a.routers, b.routers) || !sameList(a.dnsServers, b.dnsServers);
}

/** Clear the lease (deconfig, leasefail, nak, isExpired, or expiry by the manager). */
export function clearV4(ifname: string, prev: V4Record | undefined, state: string, at: number): HandlerOutput<V4Record> {
  const record: V4Record = { version: 4, state, lease: null, updatedAt: at };
  const old = prev?.lease;
  if (old) {
    return {
      record, msgType: 'LEASE_DEL', lease: v4Payload(old), cause: state,
      change: { version: 4, ifname, action: 'clear', address: old.address, prefixLength: old.prefixLength },
    };
  }
  // Nothing to delete: say what the client reported instead of a LEASE_DEL of nothing.
  return { record, msgType: state === 'leasefail' ? 'CLIENT_FAILED' : 'CLIENT_STOPPED', lease: {}, cause: state };
}

export function handleV4(m: DhcpV4Message, prev: V4Record | undefined, at: EventTime, truncated: ReadonlySet<string>): HandlerOutput<V4Record> {
  const state = m.dhcpv4.dhcpState;
  if (m.dhcpv4.isExpired || !V4_SET_STATES.has(state)) return clearV4(m.ifname, prev, state, at.wall);
  const lease = leaseOf(m, at, truncated, prev?.lease);
  const record: V4Record = { version: 4, state, lease, updatedAt: at.wall };
  const isNew = !prev?.lease || changed(prev.lease, lease);
  return {
    record,
    msgType: isNew ? 'LEASE_UPDATE' : 'LEASE_RENEW',
    lease: v4Payload(lease),
    cause: state,
    change: isNew || prev?.lease?.staticRoutes !== lease.staticRoutes
      ? {
        version: 4, ifname: m.ifname, action: 'set', address: lease.address, prefixLength: lease.prefixLength,
        broadcast: lease.broadcast, routers: lease.routers, ...(lease.mtu !== null ? { mtu: lease.mtu } : {}),
        dnsServers: lease.dnsServers, staticRoutes: lease.staticRoutes,
      }
      : undefined,
  };
}
