/**
 * The stored form of a lease record (schema 4): a JSON array of the record's values in the order
 * of the tables below, nested for the lease and the IAs, instead of a JSON object with every key.
 * One table per shape drives encoding and decoding, and the compiler checks that each table
 * names every field of its type. About half the object's size (a v6 record 797 -> 397 bytes, a v4
 * record 570 -> 257): at 1,000 interfaces a batch writes a lease row per message, and the smaller
 * rows dirty fewer pages and cost less to build (docs/performance.md). Schema 3 rows (JSON
 * objects) are still read, by their first character.
 */
import type { IaCommon, IaAddress, IaPrefix, LeaseRecord, V4Lease, V4Record, V6Record } from '../model/types';

/** The fields of T, each once (the type fails to compile when one is missing). */
type Fields<T> = readonly (keyof T)[];
type Covers<T, F extends Fields<T>> = Exclude<keyof T, F[number]> extends never ? F : never;
function fields<T>() {
  return <F extends Fields<T>>(f: F & Covers<T, F>): F => f;
}

// Orders as the handlers build the objects, so decoded records have the same shape.
const IA_COMMON = fields<IaCommon>()(['iaid', 'preferred', 'valid', 't1', 't2', 'boot', 'obtainedMono', 'preferredMono',
  'validMono', 'obtainedAt', 'preferredUntil', 'validUntil'] as const);
const IA_ADDRESS = fields<IaAddress>()(['address', ...IA_COMMON] as const);
const IA_PREFIX = fields<IaPrefix>()(['prefix', 'length', ...IA_COMMON] as const);
const V4_LEASE = fields<V4Lease>()(['address', 'netmask', 'prefixLength', 'broadcast', 'routers', 'dnsServers', 'dhcpServer',
  'leaseTime', 'renewalTime', 'rebindingTime', 'boot', 'obtainedMono', 'expiresMono', 'obtainedAt', 'expiresAt', 'timeOffset',
  'timeZone', 'mtu', 'sipServer', 'staticRoutes', 'upstreamRate', 'downstreamRate'] as const);
const V4_RECORD = fields<V4Record>()(['version', 'state', 'lease', 'updatedAt'] as const);
const V6_RECORD = fields<V6Record>()(['version', 'state', 'na', 'pd', 'dnsServers', 'domains', 'ntpServers', 'aftr', 'mapt',
  'vendor', 'timeOffset', 'updatedAt'] as const);

/** A table with, per field, the table of the object it holds (lease, na, pd), if any. */
interface Layout { keys: readonly PropertyKey[]; subs: ReadonlyArray<Layout | undefined> }
function layout(keys: readonly PropertyKey[], nested: Record<PropertyKey, Layout> = {}): Layout {
  return { keys, subs: keys.map((k) => nested[k]) };
}

function values(obj: object, l: Layout): unknown[] {
  const o = obj as Record<PropertyKey, unknown>;
  const out = new Array<unknown>(l.keys.length);
  for (let i = 0; i < out.length; i++) {
    const v = o[l.keys[i]!];
    const sub = l.subs[i];
    out[i] = sub && v !== null ? values(v as object, sub) : v;
  }
  return out;
}

function object(arr: unknown, l: Layout): Record<PropertyKey, unknown> {
  if (!Array.isArray(arr) || arr.length !== l.keys.length) {
    throw new Error(`stored lease record: expected ${l.keys.length} values, got ${String(JSON.stringify(arr)).slice(0, 80)}`);
  }
  const out: Record<PropertyKey, unknown> = {};
  for (let i = 0; i < arr.length; i++) {
    const sub = l.subs[i];
    out[l.keys[i]!] = sub && arr[i] !== null ? object(arr[i], sub) : arr[i];
  }
  return out;
}

const V4 = layout(V4_RECORD, { lease: layout(V4_LEASE) });
const V6 = layout(V6_RECORD, { na: layout(IA_ADDRESS), pd: layout(IA_PREFIX) });

export function encodeRecord(r: LeaseRecord): string {
  return JSON.stringify(values(r, r.version === 4 ? V4 : V6));
}

/** A stored record: the array of schema 4, or the JSON object of schemas 1-3. Throws on anything else. */
export function decodeRecord(text: string): LeaseRecord {
  const parsed = JSON.parse(text) as unknown;
  if (!Array.isArray(parsed)) return parsed as LeaseRecord;
  if (parsed[0] === 4) return object(parsed, V4) as unknown as V4Record;
  if (parsed[0] === 6) return object(parsed, V6) as unknown as V6Record;
  throw new Error(`stored lease record: unknown version ${JSON.stringify(parsed[0])}`);
}
