/**
 * The stored form of a lease record (schema 5): a BLOB of the record's values in the order of
 * the tables below, each value a tag byte and its bytes, nested for the lease and the IAs. One
 * table per shape drives encoding and decoding, and the compiler checks that each table names
 * every field of its type.
 *
 * Why binary: at 1,000 interfaces a batch writes a lease row per message, and building the
 * JSON text of schema 4 cost about 2.3 us per record, most of it turning the record's dozen
 * non-integer and 13-digit numbers (monotonic and wall-clock ms) into decimal text; here a
 * number is 8 bytes copied as they are (a small non-negative integer a varint) and an ASCII
 * string its bytes, written into one buffer reused across calls (docs/performance.md, "Session
 * 5"). A v6 record is about 260 bytes (397 as the JSON array, 797 as the JSON object).
 *
 * Value bytes: NULL (also undefined, as JSON.stringify in an array has it); UINT varint (an
 * integer 0..2^32-1); F64 (any other number, little-endian); STR varint byte length, UTF-8;
 * LIST varint count, then the values; SUB the values of the nested table (lease, na, pd);
 * JSON varint byte length, the JSON text of any other object (the v6 vendor option); TRUE, FALSE.
 * A record: its version byte (4 or 6, which table), then the values of every field of that table.
 *
 * Rows of schema 4 (a JSON array of the same values) and of schemas 1-3 (a JSON object) are still
 * read, by their type (text) and first character.
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
interface Layout { keys: readonly string[]; subs: ReadonlyArray<Layout | undefined> }
function layout(keys: readonly PropertyKey[], nested: Record<string, Layout> = {}): Layout {
  const names = keys.map(String);
  return { keys: names, subs: names.map((k) => nested[k]) };
}

const V4 = layout(V4_RECORD, { lease: layout(V4_LEASE) });
const V6 = layout(V6_RECORD, { na: layout(IA_ADDRESS), pd: layout(IA_PREFIX) });

const NULL = 0;
const UINT = 1;
const F64 = 2;
const STR = 3;
const LIST = 4;
const SUB = 5;
const JSON_TEXT = 6;
const TRUE = 7;
const FALSE = 8;

/**
 * The encoder's buffer, reused by every call (grown when a record does not fit): the record is
 * bound to its statement at once, and SQLite copies the bytes (better-sqlite3 binds with
 * SQLITE_TRANSIENT), so nothing is allocated per record but the view handed out.
 */
let buf = Buffer.allocUnsafe(4096);
let view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
let pos = 0;

function room(n: number): void {
  if (pos + n <= buf.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(2 * buf.length, pos + n));
  buf.copy(bigger, 0, 0, pos);
  buf = bigger;
  view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

function varint(n: number): void {
  while (n > 0x7f) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[pos++] = n;
}

/** Length prefix and bytes; ASCII (nearly every field) is copied char by char, anything else goes through Buffer.write. */
function text(s: string): void {
  const n = s.length;
  room(10 + 3 * n);
  const start = pos;
  varint(n);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) {
      pos = start;
      const bytes = Buffer.byteLength(s, 'utf8');
      varint(bytes);
      pos += buf.write(s, pos, bytes, 'utf8');
      return;
    }
    buf[pos + i] = c;
  }
  pos += n;
}

function value(v: unknown): void {
  room(10);
  if (v === null || v === undefined) {
    buf[pos++] = NULL;
  } else if (typeof v === 'number') {
    if (v >>> 0 === v) {
      buf[pos++] = UINT;
      varint(v);
    } else {
      buf[pos++] = F64;
      view.setFloat64(pos, v, true);
      pos += 8;
    }
  } else if (typeof v === 'string') {
    buf[pos++] = STR;
    text(v);
  } else if (Array.isArray(v)) {
    buf[pos++] = LIST;
    varint(v.length);
    for (let i = 0; i < v.length; i++) value(v[i]);
  } else if (typeof v === 'boolean') {
    buf[pos++] = v ? TRUE : FALSE;
  } else {
    buf[pos++] = JSON_TEXT;
    text(JSON.stringify(v));
  }
}

/** A field holding a nested table's object (or null). */
function nested(v: unknown, write: (o: unknown) => void): void {
  room(1);
  if (v === null || v === undefined) {
    buf[pos++] = NULL;
  } else {
    buf[pos++] = SUB;
    write(v);
  }
}

type Writer = (o: unknown) => void;

/**
 * A function writing the fields of a table's object, one named property read per field: reading
 * `o[key]` with the key from the table made every read a generic keyed lookup, about 40 % of the
 * encoder's time. Keys are the tables' own (JSON-quoted into the source).
 */
function makeWriter(l: Layout): Writer {
  const subs = l.subs.map((sub) => (sub ? makeWriter(sub) : undefined));
  const lines = l.keys.map((k, i) => (subs[i] ? `nested(o[${JSON.stringify(k)}], subs[${i}]);` : `value(o[${JSON.stringify(k)}]);`));
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function('value', 'nested', 'subs', `return function writeFields(o) {\n${lines.join('\n')}\n};`);
  return make(value, nested, subs) as Writer;
}

const WRITE_V4 = makeWriter(V4);
const WRITE_V6 = makeWriter(V6);

/**
 * The record's bytes in the shared buffer: valid until the next call, for binding to a
 * statement at once (store.ts putLease).
 */
export function encodeRecordShared(r: LeaseRecord): Buffer {
  pos = 0;
  room(1);
  buf[pos++] = r.version;
  (r.version === 4 ? WRITE_V4 : WRITE_V6)(r);
  return buf.subarray(0, pos);
}

/** The record's bytes, a copy of its own. */
export function encodeRecord(r: LeaseRecord): Buffer {
  return Buffer.from(encodeRecordShared(r));
}

class Reader {
  private at = 0;
  private readonly dv: DataView;
  constructor(private readonly b: Buffer) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  private need(n: number): void {
    if (this.at + n > this.b.length) throw new Error(`stored lease record: ${this.b.length} bytes end inside a value at byte ${this.at}`);
  }

  byte(): number {
    this.need(1);
    return this.b[this.at++]!;
  }

  varint(): number {
    let n = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const c = this.byte();
      n += (c & 0x7f) * 2 ** shift;
      if (c < 0x80) return n;
    }
    throw new Error(`stored lease record: bad length at byte ${this.at}`);
  }

  text(): string {
    const n = this.varint();
    this.need(n);
    const s = this.b.toString('utf8', this.at, this.at + n);
    this.at += n;
    return s;
  }

  value(sub: Layout | undefined): unknown {
    const tag = this.byte();
    switch (tag) {
      case NULL: return null;
      case UINT: return this.varint();
      case F64: { this.need(8); const v = this.dv.getFloat64(this.at, true); this.at += 8; return v; }
      case STR: return this.text();
      case LIST: { const n = this.varint(); const out: unknown[] = []; for (let i = 0; i < n; i++) out.push(this.value(undefined)); return out; }
      case SUB: if (sub) return this.object(sub); break;
      case JSON_TEXT: return JSON.parse(this.text()) as unknown;
      case TRUE: return true;
      case FALSE: return false;
    }
    throw new Error(`stored lease record: unexpected value tag ${tag} at byte ${this.at - 1}`);
  }

  object(l: Layout): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < l.keys.length; i++) out[l.keys[i]!] = this.value(l.subs[i]);
    return out;
  }

  get done(): boolean {
    return this.at === this.b.length;
  }
}

/** Schema 4's JSON array back to the object, by the same tables. */
function fromArray(arr: unknown, l: Layout): Record<string, unknown> {
  if (!Array.isArray(arr) || arr.length !== l.keys.length) {
    throw new Error(`stored lease record: expected ${l.keys.length} values, got ${String(JSON.stringify(arr)).slice(0, 80)}`);
  }
  const out: Record<string, unknown> = {};
  for (let i = 0; i < arr.length; i++) {
    const sub = l.subs[i];
    out[l.keys[i]!] = sub && arr[i] !== null ? fromArray(arr[i], sub) : arr[i];
  }
  return out;
}

/**
 * A stored record: the bytes of schema 5, the JSON array of schema 4 or the JSON object of
 * schemas 1-3. Throws on anything else.
 */
export function decodeRecord(stored: Buffer | string): LeaseRecord {
  if (typeof stored !== 'string') {
    const r = new Reader(stored);
    const version = r.byte();
    if (version !== 4 && version !== 6) throw new Error(`stored lease record: unknown version ${version}`);
    const out = r.object(version === 4 ? V4 : V6);
    if (out.version !== version) throw new Error(`stored lease record: version byte ${version}, version field ${String(out.version)}`);
    if (!r.done) throw new Error(`stored lease record: ${stored.length} bytes, more than one record`);
    return out as unknown as LeaseRecord;
  }
  const parsed = JSON.parse(stored) as unknown;
  if (!Array.isArray(parsed)) return parsed as LeaseRecord;
  if (parsed[0] === 4) return fromArray(parsed, V4) as unknown as V4Record;
  if (parsed[0] === 6) return fromArray(parsed, V6) as unknown as V6Record;
  throw new Error(`stored lease record: unknown version ${JSON.stringify(parsed[0])}`);
}

/** Schema 4's form of a record (a JSON array of its values), for tests of the upgrade. */
export function encodeRecordV4(r: LeaseRecord): string {
  const arr = (o: Record<string, unknown>, l: Layout): unknown[] =>
    l.keys.map((k, i) => { const v = o[k]; const sub = l.subs[i]; return sub && v !== null && v !== undefined ? arr(v as Record<string, unknown>, sub) : v; });
  return JSON.stringify(arr(r as unknown as Record<string, unknown>, r.version === 4 ? V4 : V6));
}
