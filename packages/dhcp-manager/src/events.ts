/**
 * LeaseEvent payloads: what subscribers receive on the PUB socket and what history keeps.
 * Field names follow the TR-181 parameters they mirror (docs/tr181.md), in camelCase.
 */
import { LeaseEvent, MSG_TYPE, MsgTypeName } from './contract';
import type { IaAddress, IaPrefix, V4Lease, V6Record } from './model/types';

/**
 * The JSON text of an event, built once: history (store) and the PUB socket both need it, and
 * JSON.stringify of an event is one of the larger costs per message (docs/performance.md).
 */
const JSON_TEXT = new WeakMap<LeaseEvent, string>();
export function eventJson(event: LeaseEvent): string {
  let text = JSON_TEXT.get(event);
  if (text === undefined) {
    text = JSON.stringify(event);
    JSON_TEXT.set(event, text);
  }
  return text;
}

export function tr181EventName(version: 4 | 6, instance: number): string {
  return `Device.DHCPv${version}.Client.${instance}.Events`;
}

export function buildEvent(
  version: 4 | 6, instance: number, ifname: string, type: MsgTypeName, lease: Record<string, unknown>, cause: string, time: number,
): LeaseEvent {
  return {
    tr181Event: tr181EventName(version, instance), ifname, version,
    msgType: MSG_TYPE[type], msgTypeName: type, time, lease, cause,
  };
}

/* Times in payloads are ms since the epoch (null = infinite), like LeaseEvent.time: cheap to
   build on the hot path, and subscribers format them as they like. */

export function v4Payload(l: V4Lease): Record<string, unknown> {
  return {
    ipAddress: l.address, subnetMask: l.netmask, prefixLength: l.prefixLength, broadcast: l.broadcast,
    ipRouters: l.routers, dnsServers: l.dnsServers, dhcpServer: l.dhcpServer,
    leaseTime: l.leaseTime, renewalTime: l.renewalTime, rebindingTime: l.rebindingTime,
    obtainedAt: l.obtainedAt, expiresAt: l.expiresAt,
    timeOffset: l.timeOffset, timeZone: l.timeZone, mtu: l.mtu, sipServer: l.sipServer,
    staticRoutes: l.staticRoutes, upstreamRate: l.upstreamRate, downstreamRate: l.downstreamRate,
  };
}

function naPayload(ia: IaAddress): Record<string, unknown> {
  return {
    address: ia.address, iaid: ia.iaid, preferredLifetime: ia.preferred, validLifetime: ia.valid, t1: ia.t1, t2: ia.t2,
    preferredUntil: ia.preferredUntil, validUntil: ia.validUntil,
  };
}

function pdPayload(ia: IaPrefix): Record<string, unknown> {
  return {
    prefix: `${ia.prefix}/${ia.length}`, iaid: ia.iaid, preferredLifetime: ia.preferred, validLifetime: ia.valid, t1: ia.t1, t2: ia.t2,
    preferredUntil: ia.preferredUntil, validUntil: ia.validUntil,
  };
}

/** The v6 lease; `only` limits the IAs shown (a LEASE_DEL carries what was removed). */
export function v6Payload(r: V6Record, only?: { na: boolean; pd: boolean }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (r.na && (!only || only.na)) out.iaNa = naPayload(r.na);
  if (r.pd && (!only || only.pd)) out.iaPd = pdPayload(r.pd);
  out.dnsServers = r.dnsServers;
  out.domains = r.domains;
  out.ntpServers = r.ntpServers;
  out.aftr = r.aftr;
  out.mapt = r.mapt;
  out.vendor = r.vendor;
  return out;
}
