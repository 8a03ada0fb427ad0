/**
 * Encode and decode PLUGIN_MSG byte-for-byte as the C RDK-B DHCP Manager lays it out.
 * All offsets come from layout.ts. Integers are little-endian (host order on every target
 * RDK-B ships on); strings are latin1 so that every byte round-trips.
 */
import {
  Abi, AbiLayout, FieldSpec, LAYOUTS, OUTER_IFNAME, OUTER_VERSION_OFFSET, V4_FIELDS,
  V6_FIELDS, WIRE_VERSION, abiForSize,
} from './layout';
import { PluginMsgDecodeError, PluginMsgEncodeError } from './errors';
import { DecodedMsg, DhcpV4Lease, DhcpV6Lease, PluginMsg, emptyV4Lease, emptyV6Lease } from './types';

type Obj = Record<string, unknown>;

/** A field with its path split once, so the hot path does no string work. */
interface Compiled extends FieldSpec {
  readonly parent: string | undefined;
  readonly leaf: string;
  /** Longest string the field can hold: full width for `text`, one less for a terminator. */
  readonly maxLen: number;
}

function compile(fields: readonly FieldSpec[]): readonly Compiled[] {
  return fields.map((f) => {
    const dot = f.name.indexOf('.');
    return {
      name: f.name, cName: f.cName, type: f.type, offset: f.offset, size: f.size, policy: f.policy,
      parent: dot < 0 ? undefined : f.name.slice(0, dot),
      leaf: dot < 0 ? f.name : f.name.slice(dot + 1),
      maxLen: f.policy === 'text' ? f.size : f.size - 1,
    };
  });
}

// Each table is compiled on its first use: a plugin encodes one version only, once, and every
// statement run at load is paid on each lease event (docs/performance.md, plugin start-up).
let v4Fields: readonly Compiled[] | undefined;
let v6Fields: readonly Compiled[] | undefined;
const V4 = (): readonly Compiled[] => (v4Fields ??= compile(V4_FIELDS));
const V6 = (): readonly Compiled[] => (v6Fields ??= compile(V6_FIELDS));
const OUTER = compile([OUTER_IFNAME])[0]!;

/** Byte ranges [start, end) of one message that no field covers and that must be zero. */
function gapsFor(layout: AbiLayout, fields: readonly FieldSpec[]): Array<[number, number]> {
  const covered = new Uint8Array(layout.size);
  covered.fill(1, 0, OUTER_VERSION_OFFSET + 4);
  for (const f of fields) covered.fill(1, layout.unionOffset + f.offset, layout.unionOffset + f.offset + f.size);
  const gaps: Array<[number, number]> = [];
  for (let p = 0; p < layout.size;) {
    if (covered[p]) { p++; continue; }
    const start = p;
    while (p < layout.size && !covered[p]) p++;
    gaps.push([start, p]);
  }
  return gaps;
}

/**
 * The gaps of each ABI and version, worked out on the first decode of that kind: only decoding
 * checks them, and a plugin, which only encodes, would otherwise walk all four layouts byte by
 * byte at load (docs/performance.md, plugin start-up).
 */
const GAPS: Record<Abi, { 4?: Array<[number, number]>; 6?: Array<[number, number]> }> = { lp64: {}, ilp32: {} };
function gaps(abi: Abi, version: 4 | 6): Array<[number, number]> {
  return (GAPS[abi][version] ??= gapsFor(LAYOUTS[abi], version === 4 ? V4_FIELDS : V6_FIELDS));
}

/** sizeof(PLUGIN_MSG) for an ABI. */
export function encodingLength(abi: Abi = 'lp64'): number {
  const layout = LAYOUTS[abi];
  if (!layout) throw new PluginMsgEncodeError('BAD_ABI', `unknown ABI: ${String(abi)}`);
  return layout.size;
}

// ---------------------------------------------------------------------------------------------
// Decoding

function asBuffer(buf: Uint8Array): Buffer {
  return Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
}

function readString(buf: Buffer, start: number, f: Compiled, path: string, truncated: string[]): string {
  const end = start + f.size;
  let nul = start;
  while (nul < end && buf[nul] !== 0) nul++;
  if (nul === end) {
    if (f.policy !== 'text') {
      throw new PluginMsgDecodeError('UNTERMINATED_STRING', `${path} fills its ${f.size} bytes with no terminator`, path);
    }
    truncated.push(path);
  }
  // Most optional fields are empty: skip the native call for them.
  return nul === start ? '' : buf.toString('latin1', start, nul);
}

function badBool(path: string, v: number): PluginMsgDecodeError {
  return new PluginMsgDecodeError('BAD_BOOL', `${path} is ${v}, not 0 or 1`, path);
}

type LeaseReader = (buf: Buffer, base: number, truncated: string[]) => Obj;

/**
 * One reader per inner struct, generated from the layout table: it reads the fields in table
 * order (so the first bad field in table order is the one reported) into locals, then returns
 * one object literal shaped like `template` (the typed empty lease, same key order), so V8 sees
 * fixed shapes while the table stays the single source of offsets and names (the decoder's cost:
 * docs/performance.md). Only names and numbers from our own table enter the generated source.
 */
function makeReader(fields: readonly Compiled[], template: Obj, prefix: string): LeaseReader {
  const lines: string[] = [];
  const local = new Map<string, string>();
  const used = new Set<string>();
  fields.forEach((f, k) => {
    const v = `v${k}`;
    local.set(f.name, v);
    const path = JSON.stringify(prefix + f.name);
    switch (f.type) {
      case 'bool': lines.push(`const ${v} = buf[base + ${f.offset}]; if (${v} > 1) throw badBool(${path}, ${v});`); break;
      case 'u32': lines.push(`const ${v} = buf.readUInt32LE(base + ${f.offset});`); break;
      case 'i32': lines.push(`const ${v} = buf.readInt32LE(base + ${f.offset});`); break;
      case 'str': lines.push(`const ${v} = readString(buf, base + ${f.offset}, F[${k}], ${path}, truncated);`); break;
    }
  });
  const literal = (obj: Obj, parent: string | undefined): string => Object.keys(obj).map((key) => {
    const name = parent === undefined ? key : `${parent}.${key}`;
    const value = obj[key];
    if (value !== null && typeof value === 'object') return `${JSON.stringify(key)}: {${literal(value as Obj, name)}}`;
    const v = local.get(name);
    if (v === undefined) return `${JSON.stringify(key)}: ${JSON.stringify(value)}`;
    used.add(name);
    const f = fields.find((x) => x.name === name)!;
    return `${JSON.stringify(key)}: ${f.type === 'bool' ? `${v} === 1` : v}`;
  }).join(', ');
  const body = literal(template, undefined);
  const missing = fields.filter((f) => !used.has(f.name));
  if (missing.length > 0) throw new Error(`codec: ${prefix}${missing[0]!.name} is in the layout table but not in the typed lease`);
  lines.push(`return {${body}};`);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function('F', 'readString', 'badBool', `return function readLease(buf, base, truncated) {\n${lines.join('\n')}\n};`);
  return make(fields, readString, badBool) as LeaseReader;
}

/** Built on first decode: the plugins only encode and should not pay for it at start-up. */
let readers: { 4: LeaseReader; 6: LeaseReader } | undefined;
function leaseReaders(): { 4: LeaseReader; 6: LeaseReader } {
  readers ??= {
    4: makeReader(V4(), emptyV4Lease() as unknown as Obj, 'dhcpv4.'),
    6: makeReader(V6(), emptyV6Lease() as unknown as Obj, 'dhcpv6.'),
  };
  return readers;
}
/** Zeros to compare long gaps against (memcmp instead of a byte loop). */
const ZEROS = Buffer.alloc(1024);

function checkGaps(buf: Buffer, base: number, gaps: Array<[number, number]>): void {
  for (const [start, end] of gaps) {
    const len = end - start;
    if (len >= 16 && len <= ZEROS.length && buf.compare(ZEROS, 0, len, base + start, base + end) === 0) continue;
    for (let p = base + start; p < base + end; p++) {
      if (buf[p] !== 0) {
        throw new PluginMsgDecodeError('NONZERO_PADDING', `byte ${p - base} is 0x${buf[p]!.toString(16)}; padding, unused union bytes and next must be zero`);
      }
    }
  }
}

/**
 * Decode one PLUGIN_MSG starting at `offset`.
 * - `abi: 'auto'`: the bytes from `offset` to the end must be exactly one message; their count
 *   (1464 or 1456) picks the ABI.
 * - a named ABI: one message of that ABI's size at `offset`; bytes after it are not read.
 * Throws only PluginMsgDecodeError, whatever the input.
 */
export function decode(input: Uint8Array, offset = 0, abi: Abi | 'auto' = 'auto'): DecodedMsg {
  if (!(input instanceof Uint8Array)) throw new PluginMsgDecodeError('SHORT_BUFFER', 'input is not a byte buffer');
  const available = input.byteLength - offset;
  if (!Number.isInteger(offset) || offset < 0 || available < 0) {
    throw new PluginMsgDecodeError('SHORT_BUFFER', `offset ${offset} is outside a ${input.byteLength}-byte buffer`);
  }
  let which: Abi;
  if (abi === 'auto') {
    const found = abiForSize(available);
    if (!found) throw new PluginMsgDecodeError('BAD_SIZE', `${available} bytes; expected 1464 (LP64) or 1456 (ILP32)`);
    which = found;
  } else {
    const layout = LAYOUTS[abi];
    if (!layout) throw new PluginMsgDecodeError('BAD_SIZE', `unknown ABI: ${String(abi)}`);
    if (available < layout.size) throw new PluginMsgDecodeError('SHORT_BUFFER', `${available} bytes; ${abi} needs ${layout.size}`);
    which = abi;
  }
  return decodeAt(asBuffer(input), offset, which);
}

/**
 * Decode a whole received frame: its length must be exactly one message of an accepted ABI.
 * This is what a receiver uses, so that a frame with trailing bytes is never half-read.
 */
export function decodeFrame(frame: Uint8Array, accept: Abi | 'auto' = 'auto'): DecodedMsg {
  if (accept !== 'auto' && frame.byteLength !== LAYOUTS[accept]?.size) {
    throw new PluginMsgDecodeError('BAD_SIZE', `${frame.byteLength} bytes; ${accept} messages are ${LAYOUTS[accept]?.size}`);
  }
  return decode(frame, 0, accept);
}

function decodeAt(buf: Buffer, offset: number, abi: Abi): DecodedMsg {
  const layout = LAYOUTS[abi];
  const wire = buf.readUInt32LE(offset + OUTER_VERSION_OFFSET);
  if (wire !== WIRE_VERSION.v4 && wire !== WIRE_VERSION.v6) {
    throw new PluginMsgDecodeError('BAD_VERSION', `bad version: ${wire}`);
  }
  const version = wire === WIRE_VERSION.v4 ? 4 : 6;
  checkGaps(buf, offset, gaps(abi, version));
  const truncated: string[] = [];
  const ifname = readString(buf, offset + OUTER.offset, OUTER, 'ifname', truncated);
  const base = offset + layout.unionOffset;
  const read = leaseReaders();
  const msg: PluginMsg = version === 4
    ? { version: 4, ifname, dhcpv4: read[4](buf, base, truncated) as unknown as DhcpV4Lease }
    : { version: 6, ifname, dhcpv6: read[6](buf, base, truncated) as unknown as DhcpV6Lease };
  return { msg, abi, truncated };
}

// ---------------------------------------------------------------------------------------------
// Encoding

// Encoding writes bytes by index instead of through Buffer's write methods: those are node's
// JS, compiled on their first call, and a plugin encodes exactly one message per process
// (docs/performance.md, plugin start-up); indexed stores into a Uint8Array are V8's own.

/** `v` as 4 little-endian bytes (an i32 as its two's complement: the stores keep the low 8 bits). */
function put32(buf: Buffer, at: number, v: number): void {
  buf[at] = v;
  buf[at + 1] = v >>> 8;
  buf[at + 2] = v >>> 16;
  buf[at + 3] = v >>> 24;
}

function writeString(buf: Buffer, at: number, f: Compiled, value: unknown, path: string): void {
  if (typeof value !== 'string') throw new PluginMsgEncodeError('BAD_STRING', `${path} is not a string`, path);
  if (value.length > f.maxLen) {
    throw new PluginMsgEncodeError('STRING_TOO_LONG', `${path} is ${value.length} bytes; ${f.cName} holds ${f.maxLen}`, path);
  }
  for (let k = 0; k < value.length; k++) {
    const c = value.charCodeAt(k);
    if (c === 0 || c > 0xff) {
      throw new PluginMsgEncodeError('BAD_STRING', `${path} has character U+${c.toString(16).padStart(4, '0')} at ${k}; only bytes 1-255 fit a C string`, path);
    }
    buf[at + k] = c; // latin1: the character code is the byte
  }
}

function writeFields(buf: Buffer, base: number, fields: readonly Compiled[], source: Obj, prefix: string): void {
  if (source === null || typeof source !== 'object') {
    throw new PluginMsgEncodeError('MISSING_FIELD', `${prefix.slice(0, -1)} is missing`, prefix.slice(0, -1));
  }
  for (const f of fields) {
    const path = prefix + f.name;
    const obj = f.parent === undefined ? source : (source[f.parent] as Obj | undefined);
    if (obj === undefined || obj === null || typeof obj !== 'object') {
      throw new PluginMsgEncodeError('MISSING_FIELD', `${prefix}${f.parent ?? f.name} is missing`, path);
    }
    const v = obj[f.leaf];
    const at = base + f.offset;
    switch (f.type) {
      case 'bool':
        if (typeof v !== 'boolean') throw new PluginMsgEncodeError('BAD_BOOL', `${path} is ${String(v)}; expected true or false`, path);
        buf[at] = v ? 1 : 0;
        break;
      case 'u32':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
          throw new PluginMsgEncodeError('BAD_INTEGER', `${path} is ${String(v)}; expected an integer 0..4294967295`, path);
        }
        put32(buf, at, v);
        break;
      case 'i32':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
          throw new PluginMsgEncodeError('BAD_INTEGER', `${path} is ${String(v)}; expected an integer -2147483648..2147483647`, path);
        }
        put32(buf, at, v);
        break;
      case 'str': writeString(buf, at, f, v, path); break;
    }
  }
}

export interface EncodeOptions {
  /** Layout to produce; default LP64 (x86_64/aarch64). */
  abi?: Abi;
  /** Write into this buffer instead of a new one. */
  buf?: Buffer;
  offset?: number;
}

/**
 * Encode a message. Every byte not covered by a field (padding, unused union bytes, `next`) is
 * written as zero. A value that does not fit is an error, never silently cut.
 */
export function encode(msg: PluginMsg, opts: EncodeOptions = {}): Buffer {
  const abi = opts.abi ?? 'lp64';
  const layout = LAYOUTS[abi];
  if (!layout) throw new PluginMsgEncodeError('BAD_ABI', `unknown ABI: ${String(abi)}`);
  const offset = opts.offset ?? 0;
  const buf = opts.buf ?? Buffer.alloc(layout.size);
  if (!Number.isInteger(offset) || offset < 0 || buf.length - offset < layout.size) {
    throw new PluginMsgEncodeError('SHORT_BUFFER', `${buf.length}-byte buffer at offset ${offset} cannot hold ${layout.size} bytes`);
  }
  if (msg === null || typeof msg !== 'object') throw new PluginMsgEncodeError('MISSING_FIELD', 'no message object');
  if (opts.buf) buf.fill(0, offset, offset + layout.size); // a new one is already zero
  if (msg.version !== 4 && msg.version !== 6) {
    throw new PluginMsgEncodeError('BAD_VERSION', `version ${String((msg as { version: unknown }).version)}; expected 4 or 6`);
  }
  writeString(buf, offset + OUTER.offset, OUTER, msg.ifname, 'ifname');
  put32(buf, offset + OUTER_VERSION_OFFSET, msg.version === 4 ? WIRE_VERSION.v4 : WIRE_VERSION.v6);
  const base = offset + layout.unionOffset;
  if (msg.version === 4) writeFields(buf, base, V4(), msg.dhcpv4 as unknown as Obj, 'dhcpv4.');
  else writeFields(buf, base, V6(), msg.dhcpv6 as unknown as Obj, 'dhcpv6.');
  return buf;
}

