/**
 * DHCPv6 (dibbler) messages -> the interface's V6Record. Pure, like dhcpv4.ts.
 * - The message does not say which dibbler event ran (add/update vs del/delete/expire), only
 *   isExpired; the cause is therefore 'update' or 'expire'.
 * - A live message that lacks IA_NA (or IA_PD) keeps the held one, as the C manager does; the
 *   options (DNS, domain, NTP, AFTR, MAP-T, vendor) are taken from the message as they are.
 * - An expiring message removes the IA it names when it matches what is held (an old prefix
 *   expiring after renumbering must not remove the new one), or everything when it names none.
 * - The applier is asked to set only what this message carries, on every live message with an
 *   IA, renewals included: the kernel counts lifetimes down and must be refreshed.
 */
import type { DhcpV6Message, IaNa, IaPd } from '@dhcpmgr/plugin-msg';
import type { LeaseChange } from '../contract';
import { v6Payload } from '../events';
import { EventTime, deadlineOf } from '../model/clock';
import { IaAddress, IaPrefix, V6Record, expiryOf } from '../model/types';
import { HandlerOutput, keptList, keptText, sameList, tokens } from './types';

function common(ia: IaNa | IaPd, at: EventTime) {
  return {
    iaid: ia.iaid, preferred: ia.preferredLifetime, valid: ia.validLifetime, t1: ia.t1, t2: ia.t2,
    boot: at.boot, obtainedMono: at.mono,
    preferredMono: deadlineOf(at.mono, ia.preferredLifetime), validMono: deadlineOf(at.mono, ia.validLifetime),
    obtainedAt: at.wall, preferredUntil: expiryOf(at.wall, ia.preferredLifetime), validUntil: expiryOf(at.wall, ia.validLifetime),
  };
}

function sameIa(a: IaAddress | IaPrefix | null, b: IaAddress | IaPrefix | null): boolean {
  if (a === null || b === null) return a === b;
  const ka = 'address' in a ? a.address : `${a.prefix}/${a.length}`;
  const kb = 'address' in b ? b.address : `${b.prefix}/${b.length}`;
  return ka === kb && a.iaid === b.iaid && a.preferred === b.preferred && a.valid === b.valid;
}

function sameOptions(a: V6Record, b: V6Record): boolean {
  return sameList(a.dnsServers, b.dnsServers) && sameList(a.domains, b.domains) && sameList(a.ntpServers, b.ntpServers)
    && a.aftr === b.aftr && a.mapt === b.mapt;
}

export function emptyV6(at: number, state = ''): V6Record {
  return {
    version: 6, state, na: null, pd: null, dnsServers: [], domains: [], ntpServers: [], aftr: '', mapt: '',
    vendor: null, timeOffset: 0, updatedAt: at,
  };
}

/** Remove IAs from `prev` (both when `which` is undefined); used for expire messages and expiry by the manager. */
export function removeV6(ifname: string, prev: V6Record | undefined, which: { na: boolean; pd: boolean }, cause: string, at: number): HandlerOutput<V6Record> {
  const base = prev ?? emptyV6(at);
  const na = which.na ? null : base.na;
  const pd = which.pd ? null : base.pd;
  const removed = { na: which.na && base.na !== null, pd: which.pd && base.pd !== null };
  // With no IA left the options describe nothing: clear them too, leaving no stale values.
  const record: V6Record = na === null && pd === null ? { ...emptyV6(at, cause) } : { ...base, na, pd, state: cause, updatedAt: at };
  if (!removed.na && !removed.pd) return { record, msgType: 'CLIENT_STOPPED', lease: {}, cause };
  const change: LeaseChange = {
    version: 6, ifname, action: 'clear',
    ...(removed.na ? { address: base.na!.address } : {}),
    ...(removed.pd ? { prefix: { prefix: base.pd!.prefix, length: base.pd!.length } } : {}),
  };
  return { record, msgType: 'LEASE_DEL', lease: v6Payload(base, removed), cause, change };
}

export function handleV6(m: DhcpV6Message, prev: V6Record | undefined, at: EventTime, truncated: ReadonlySet<string>): HandlerOutput<V6Record> {
  const l = m.dhcpv6;
  if (l.isExpired) {
    const namesNa = l.iaNa.assigned && prev?.na?.address === l.iaNa.address;
    const namesPd = l.iaPd.assigned && prev?.pd?.prefix === l.iaPd.prefix && prev.pd.length === l.iaPd.prefixLength;
    const namesNothing = !l.iaNa.assigned && !l.iaPd.assigned;
    return removeV6(m.ifname, prev, namesNothing ? { na: true, pd: true } : { na: namesNa, pd: namesPd }, 'expire', at.wall);
  }
  // What equals the record held is taken from it (handlers/types.ts keptText).
  const na: IaAddress | null = l.iaNa.assigned ? { address: keptText(l.iaNa.address, prev?.na?.address), ...common(l.iaNa, at) } : prev?.na ?? null;
  const pd: IaPrefix | null = l.iaPd.assigned
    ? { prefix: keptText(l.iaPd.prefix, prev?.pd?.prefix), length: l.iaPd.prefixLength, ...common(l.iaPd, at) } : prev?.pd ?? null;
  const t = (f: string) => truncated.has(`dhcpv6.${f}`);
  const vendor = prev?.vendor && l.vendor.assigned && prev.vendor.data === l.vendor.data && prev.vendor.length === l.vendor.length
    ? prev.vendor : l.vendor.assigned ? { data: l.vendor.data, length: l.vendor.length } : null;
  const record: V6Record = {
    version: 6, state: 'update', na, pd,
    dnsServers: keptList(l.dns.assigned ? [l.dns.nameserver.trim(), l.dns.nameserver1.trim()].filter(Boolean) : [], prev?.dnsServers),
    domains: keptList(tokens(l.domainName, t('domainName')), prev?.domains),
    ntpServers: keptList(tokens(l.ntpServer, t('ntpServer')), prev?.ntpServers),
    aftr: keptText(l.aftr.trim(), prev?.aftr),
    mapt: keptText(l.mapt.assigned ? l.mapt.container : '', prev?.mapt),
    vendor,
    timeOffset: l.timeOffset,
    updatedAt: at.wall,
  };
  const wasActive = !!prev && (prev.na !== null || prev.pd !== null);
  const changed = !wasActive || !sameIa(prev!.na, na) || !sameIa(prev!.pd, pd) || !sameOptions(prev!, record);
  let change: LeaseChange | undefined;
  if (l.iaNa.assigned || l.iaPd.assigned) {
    change = {
      version: 6, ifname: m.ifname, action: 'set',
      ...(l.iaNa.assigned ? { address: { address: na!.address, preferred: na!.preferred, valid: na!.valid } } : {}),
      ...(l.iaPd.assigned ? { prefix: { prefix: pd!.prefix, length: pd!.length, preferred: pd!.preferred, valid: pd!.valid } } : {}),
      dnsServers: record.dnsServers, domains: record.domains,
    };
  }
  return { record, msgType: changed ? 'LEASE_UPDATE' : 'LEASE_RENEW', lease: v6Payload(record), cause: 'update', change };
}
