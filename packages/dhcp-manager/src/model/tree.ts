/**
 * The TR-181 view, rendered from the records when read, so countdowns (LeaseTimeRemaining,
 * lifetimes) are computed at that moment from the stored CLOCK_MONOTONIC deadlines; the dateTime
 * values (LeaseExpires, PreferredLifetime...) are the wall clock now plus the time left, so a
 * wall-clock step moves them with the clock and never changes what is left. Every parameter we expose
 * is written here, and docs/tr181.md lists the same ones with where each value comes from.
 *
 * Instance numbers: one number per interface name, shared by Device.DHCPv4.Client.{i}.,
 * Device.DHCPv6.Client.{i}. and Device.IP.Interface.{i}. DNS servers get
 * Device.DNS.Client.Server.{4(i-1)+s}. with s = 1, 2 (DHCPv4 first/second) and 3, 4 (DHCPv6),
 * so every number is stable without a table of its own. A client object exists once its
 * interface has seen a message of that version, or from the allow-list.
 */
import type { ParamValue } from '../contract';
import { wallOf } from './clock';
import { IaCommon, LeaseRecord, V4Record, V6Record, remaining } from './types';

/** The moment a view is rendered: wall for dateTimes, monotonic for countdowns. */
export interface Now { wall: number; mono: number }

/** TR-181 dateTime for "unknown" and for "infinite" (TR-106 conventions). */
export const UNKNOWN_TIME = '0001-01-01T00:00:00Z';
export const INFINITE_TIME = '9999-12-31T23:59:59Z';

const dt = (ms: number | null): string => (ms === null ? INFINITE_TIME : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));

export interface TreeSource {
  /** Interfaces by instance number, ascending. */
  interfaces(): Array<{ ifname: string; instance: number }>;
  record(ifname: string, version: 4 | 6): LeaseRecord | undefined;
  /** Show a client object for this interface and version even without a record (allow-list). */
  listed(ifname: string): boolean;
  /** The client table's view of this interface and version (clients/manager.ts), if it has a client. */
  client?(version: 4 | 6, ifname: string): ClientObject | undefined;
}

/** A configured client: its Enable and Status, and its own parameters (names relative to the client object). */
export interface ClientObject { enable: boolean; status: string; params: ParamValue[] }
export interface ClientTreeView { client(version: 4 | 6, ifname: string): ClientObject | undefined }

type Emit = (path: string, value: string | number | boolean, type: ParamValue['type']) => void;

/** Objects under `prefix` only; a prefix of '' renders everything. */
function wants(prefix: string, objPath: string): boolean {
  return objPath.startsWith(prefix) || prefix.startsWith(objPath);
}

function iaStatus(ia: IaCommon, now: Now): string {
  if (ia.validMono !== null && ia.validMono <= now.mono) return 'Invalid';
  if (ia.preferredMono !== null && ia.preferredMono <= now.mono) return 'Deprecated';
  return 'Preferred';
}

function emitIa(p: string, ia: IaCommon, now: Now, emit: Emit): void {
  emit(`${p}PreferredLifetime`, dt(wallOf(ia.preferredMono, now)), 'dateTime');
  emit(`${p}ValidLifetime`, dt(wallOf(ia.validMono, now)), 'dateTime');
  emit(`${p}X_DHCPMGR_PreferredLifetimeRemaining`, remaining(ia.preferredMono, now.mono), 'int');
  emit(`${p}X_DHCPMGR_ValidLifetimeRemaining`, remaining(ia.validMono, now.mono), 'int');
  emit(`${p}X_DHCPMGR_IAID`, ia.iaid, 'unsignedInt');
  emit(`${p}X_DHCPMGR_T1`, ia.t1, 'unsignedInt');
  emit(`${p}X_DHCPMGR_T2`, ia.t2, 'unsignedInt');
}

function emitV4(p: string, i: number, ifname: string, r: V4Record | undefined, now: Now, emit: Emit, c?: ClientObject): void {
  const l = r?.lease ?? null;
  emit(`${p}Enable`, c?.enable ?? true, 'boolean');
  emit(`${p}Status`, c?.status ?? 'Enabled', 'string');
  emit(`${p}Interface`, `Device.IP.Interface.${i}`, 'string');
  emit(`${p}DHCPStatus`, l ? 'Bound' : 'Init', 'string');
  emit(`${p}IPAddress`, l?.address ?? '', 'string');
  emit(`${p}SubnetMask`, l?.netmask ?? '', 'string');
  emit(`${p}IPRouters`, l ? l.routers.join(',') : '', 'string');
  emit(`${p}DNSServers`, l ? l.dnsServers.join(',') : '', 'string');
  emit(`${p}DHCPServer`, l?.dhcpServer ?? '', 'string');
  emit(`${p}LeaseTimeRemaining`, l ? remaining(l.expiresMono, now.mono) : 0, 'int');
  emit(`${p}X_DHCPMGR_IfName`, ifname, 'string');
  emit(`${p}X_DHCPMGR_LastEvent`, r?.state ?? '', 'string');
  emit(`${p}X_DHCPMGR_LeaseTime`, l?.leaseTime ?? 0, 'unsignedInt');
  emit(`${p}X_DHCPMGR_RenewalTime`, l?.renewalTime ?? 0, 'unsignedInt');
  emit(`${p}X_DHCPMGR_RebindingTime`, l?.rebindingTime ?? 0, 'unsignedInt');
  emit(`${p}X_DHCPMGR_LeaseObtained`, l ? dt(l.obtainedAt) : UNKNOWN_TIME, 'dateTime');
  emit(`${p}X_DHCPMGR_LeaseExpires`, l ? dt(wallOf(l.expiresMono, now)) : UNKNOWN_TIME, 'dateTime');
  emit(`${p}X_DHCPMGR_TimeOffsetAssigned`, l?.timeOffset != null, 'boolean');
  emit(`${p}X_DHCPMGR_TimeOffset`, l?.timeOffset ?? 0, 'int');
  emit(`${p}X_DHCPMGR_TimeZone`, l?.timeZone ?? '', 'string');
  emit(`${p}X_DHCPMGR_MTU`, l?.mtu ?? 0, 'unsignedInt');
  emit(`${p}X_DHCPMGR_StaticRoutes`, l?.staticRoutes ?? '', 'string');
  emit(`${p}X_DHCPMGR_SIPServer`, l?.sipServer ?? '', 'string');
  emit(`${p}X_DHCPMGR_UpstreamRate`, l?.upstreamRate ?? 0, 'unsignedInt');
  emit(`${p}X_DHCPMGR_DownstreamRate`, l?.downstreamRate ?? 0, 'unsignedInt');
}

function emitV6(p: string, i: number, ifname: string, r: V6Record | undefined, emit: Emit, c?: ClientObject): void {
  emit(`${p}Enable`, c?.enable ?? true, 'boolean');
  emit(`${p}Status`, c?.status ?? 'Enabled', 'string');
  emit(`${p}Interface`, `Device.IP.Interface.${i}`, 'string');
  emit(`${p}DNSServers`, r ? r.dnsServers.join(',') : '', 'string');
  emit(`${p}X_DHCPMGR_IfName`, ifname, 'string');
  emit(`${p}X_DHCPMGR_LastEvent`, r?.state ?? '', 'string');
  emit(`${p}X_DHCPMGR_DomainName`, r ? r.domains.join(',') : '', 'string');
  emit(`${p}X_DHCPMGR_NTPServers`, r ? r.ntpServers.join(',') : '', 'string');
  emit(`${p}X_DHCPMGR_AFTR`, r?.aftr ?? '', 'string');
  emit(`${p}X_DHCPMGR_MAPT`, r?.mapt ?? '', 'string');
  emit(`${p}X_DHCPMGR_VendorInfo`, r?.vendor?.data ?? '', 'string');
  emit(`${p}X_DHCPMGR_VendorInfoLength`, r?.vendor?.length ?? 0, 'unsignedInt');
  emit(`${p}X_DHCPMGR_TimeOffset`, r?.timeOffset ?? 0, 'unsignedInt');
}

function emitIp(p: string, ifname: string, r: V6Record | undefined, now: Now, prefix: string, emit: Emit): void {
  emit(`${p}Name`, ifname, 'string');
  emit(`${p}IPv6AddressNumberOfEntries`, r?.na ? 1 : 0, 'unsignedInt');
  emit(`${p}IPv6PrefixNumberOfEntries`, r?.pd ? 1 : 0, 'unsignedInt');
  if (r?.na && wants(prefix, `${p}IPv6Address.1.`)) {
    const a = `${p}IPv6Address.1.`;
    emit(`${a}Enable`, true, 'boolean');
    emit(`${a}Status`, 'Enabled', 'string');
    emit(`${a}IPAddressStatus`, iaStatus(r.na, now), 'string');
    emit(`${a}IPAddress`, r.na.address, 'string');
    emit(`${a}Origin`, 'DHCPv6', 'string');
    emitIa(a, r.na, now, emit);
  }
  if (r?.pd && wants(prefix, `${p}IPv6Prefix.1.`)) {
    const a = `${p}IPv6Prefix.1.`;
    emit(`${a}Enable`, true, 'boolean');
    emit(`${a}Status`, 'Enabled', 'string');
    emit(`${a}PrefixStatus`, iaStatus(r.pd, now), 'string');
    emit(`${a}Prefix`, `${r.pd.prefix}/${r.pd.length}`, 'string');
    emit(`${a}Origin`, 'PrefixDelegation', 'string');
    emit(`${a}StaticType`, 'Inapplicable', 'string');
    emitIa(a, r.pd, now, emit);
  }
}

/** Static object paths that exist even when empty (a partial path naming one is not an error). */
export const STATIC_OBJECTS = new Set([
  'Device.', 'Device.DHCPv4.', 'Device.DHCPv4.Client.', 'Device.DHCPv6.', 'Device.DHCPv6.Client.',
  'Device.IP.', 'Device.IP.Interface.', 'Device.DNS.', 'Device.DNS.Client.', 'Device.DNS.Client.Server.',
]);

/** Every parameter under `prefix` ('' = all), in a stable order. */
export function render(src: TreeSource, now: Now, prefix = ''): ParamValue[] {
  const out: ParamValue[] = [];
  const emit: Emit = (path, value, type) => { if (path.startsWith(prefix)) out.push({ path, value, type }); };
  const ifs = src.interfaces();
  const has = (ifname: string, v: 4 | 6) => src.record(ifname, v) !== undefined || src.listed(ifname) || src.client?.(v, ifname) !== undefined;
  for (const v of [4, 6] as const) {
    if (!wants(prefix, `Device.DHCPv${v}.`)) continue;
    emit(`Device.DHCPv${v}.ClientNumberOfEntries`, ifs.filter((x) => has(x.ifname, v)).length, 'unsignedInt');
    for (const { ifname, instance } of ifs) {
      const p = `Device.DHCPv${v}.Client.${instance}.`;
      if (!has(ifname, v) || !wants(prefix, p)) continue;
      const c = src.client?.(v, ifname);
      if (v === 4) emitV4(p, instance, ifname, src.record(ifname, 4) as V4Record | undefined, now, emit, c);
      else emitV6(p, instance, ifname, src.record(ifname, 6) as V6Record | undefined, emit, c);
      for (const x of c?.params ?? []) emit(`${p}${x.path}`, x.value, x.type);
    }
  }
  if (wants(prefix, 'Device.IP.')) {
    emit('Device.IP.InterfaceNumberOfEntries', ifs.length, 'unsignedInt');
    for (const { ifname, instance } of ifs) {
      const p = `Device.IP.Interface.${instance}.`;
      if (wants(prefix, p)) emitIp(p, ifname, src.record(ifname, 6) as V6Record | undefined, now, prefix, emit);
    }
  }
  if (wants(prefix, 'Device.DNS.')) {
    const servers: Array<{ k: number; server: string; type: string; instance: number }> = [];
    for (const { ifname, instance } of ifs) {
      const r4 = src.record(ifname, 4) as V4Record | undefined;
      const r6 = src.record(ifname, 6) as V6Record | undefined;
      (r4?.lease?.dnsServers ?? []).slice(0, 2).forEach((server, s) => servers.push({ k: 4 * (instance - 1) + 1 + s, server, type: 'DHCPv4', instance }));
      (r6?.dnsServers ?? []).slice(0, 2).forEach((server, s) => servers.push({ k: 4 * (instance - 1) + 3 + s, server, type: 'DHCPv6', instance }));
    }
    emit('Device.DNS.Client.ServerNumberOfEntries', servers.length, 'unsignedInt');
    for (const s of servers) {
      const p = `Device.DNS.Client.Server.${s.k}.`;
      if (!wants(prefix, p)) continue;
      emit(`${p}Enable`, true, 'boolean');
      emit(`${p}Status`, 'Enabled', 'string');
      emit(`${p}DNSServer`, s.server, 'string');
      emit(`${p}Type`, s.type, 'string');
      emit(`${p}Interface`, `Device.IP.Interface.${s.instance}`, 'string');
    }
  }
  return out;
}

/** `get` semantics: full paths must exist; partial paths (ending in '.') must name something. */
export function getParams(src: TreeSource, now: Now, paths: string[]): { ok: true; values: ParamValue[] } | { ok: false; error: string } {
  const values: ParamValue[] = [];
  for (const path of paths) {
    if (typeof path !== 'string' || !path.startsWith('Device.')) return { ok: false, error: `unknown path: ${String(path)}` };
    if (path.endsWith('.')) {
      const found = render(src, now, path);
      if (found.length === 0 && !STATIC_OBJECTS.has(path)) return { ok: false, error: `unknown object: ${path}` };
      values.push(...found);
    } else {
      const found = render(src, now, path).find((p) => p.path === path);
      if (!found) return { ok: false, error: `unknown parameter: ${path}` };
      values.push(found);
    }
  }
  return { ok: true, values };
}
