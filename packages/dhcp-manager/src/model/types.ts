/**
 * The in-memory model: one record per (ifname, version). The TR-181 tree (tree.ts) is rendered
 * from these when read; the store persists each record as one row, so a message rewrites one
 * small row, never the whole tree. Lifetimes count on CLOCK_MONOTONIC (model/clock.ts): `boot`
 * is the boot the lease was received in, `*Mono` are ms on that boot's CLOCK_MONOTONIC and drive
 * every countdown and expiry. `obtainedAt`/`expiresAt`/`*Until` are the wall clock (ms since the
 * epoch) as it read when the lease was received: display and event payloads only, never used to
 * compute time left. `null` deadline = infinite.
 */
import { INFINITE } from '@dhcpmgr/plugin-msg';

/** Where a lease or IA sits on the monotonic clock. */
export interface MonoStamp {
  /** Boot id (hex) of the boot the lease was received in. */
  boot: string;
  /** CLOCK_MONOTONIC ms when it was received. */
  obtainedMono: number;
}

export interface V4Lease extends MonoStamp {
  address: string;
  netmask: string;
  prefixLength: number;
  broadcast: string;
  routers: string[];
  dnsServers: string[];
  dhcpServer: string;
  /** Seconds, as received (0xFFFFFFFF = infinite). */
  leaseTime: number;
  renewalTime: number;
  rebindingTime: number;
  /** Wall clock when the lease was granted (event time), and obtained + leaseTime (null: infinite); display only. */
  obtainedAt: number;
  expiresAt: number | null;
  /** obtainedMono + leaseTime: when it runs out (null: infinite). */
  expiresMono: number | null;
  /** null when the server sent no time offset. */
  timeOffset: number | null;
  timeZone: string;
  /** null when no MTU was sent (or it was 0: the C manager failed halfway on MTU 0). */
  mtu: number | null;
  sipServer: string;
  staticRoutes: string;
  upstreamRate: number;
  downstreamRate: number;
}

export interface V4Record {
  version: 4;
  /** Last udhcpc event: bound, renew, deconfig, leasefail, nak, or expired-by-manager. */
  state: string;
  lease: V4Lease | null;
  updatedAt: number;
}

export interface IaCommon extends MonoStamp {
  iaid: number;
  /** Seconds as received (0xFFFFFFFF = infinite). */
  preferred: number;
  valid: number;
  t1: number;
  t2: number;
  /** Wall clock as received; display only. */
  obtainedAt: number;
  preferredUntil: number | null;
  validUntil: number | null;
  /** Monotonic deadlines (obtainedMono + lifetime; null: infinite). */
  preferredMono: number | null;
  validMono: number | null;
}

export interface IaAddress extends IaCommon { address: string }
export interface IaPrefix extends IaCommon { prefix: string; length: number }

export interface V6Record {
  version: 6;
  /** Last cause: add, update, expire, expired-by-manager... (dibbler events are not in the message; see handlers/dhcpv6.ts). */
  state: string;
  na: IaAddress | null;
  pd: IaPrefix | null;
  dnsServers: string[];
  domains: string[];
  ntpServers: string[];
  aftr: string;
  mapt: string;
  vendor: { data: string; length: number } | null;
  timeOffset: number;
  updatedAt: number;
}

export type LeaseRecord = V4Record | V6Record;

/** The key of a record in maps: `${version}\0${ifname}` (an ifname holds no NUL). */
export function recordKey(ifname: string, version: 4 | 6): string {
  return `${version}\0${ifname}`;
}

/** The ifname of a recordKey. */
export function ifnameOfKey(key: string): string {
  return key.slice(key.indexOf('\0') + 1);
}

export function isActive(r: LeaseRecord): boolean {
  return r.version === 4 ? r.lease !== null : r.na !== null || r.pd !== null;
}

/** Absolute expiry of a relative lifetime in seconds from `base` ms; null = infinite. */
export function expiryOf(base: number, seconds: number): number | null {
  return seconds === INFINITE ? null : base + seconds * 1000;
}

/** Seconds left until the monotonic deadline `until` (rounded down, never negative); -1 for infinite. */
export function remaining(until: number | null, now: number): number {
  if (until === null) return -1;
  return Math.max(0, Math.floor((until - now) / 1000));
}
