/**
 * The acknowledged channel's envelope (ours, not the C manager's): a 48-byte header in front of
 * an unchanged PLUGIN_MSG, optionally followed by an HMAC-SHA256 tag; and the reply.
 * Layout and rules: docs/wire-format.md. Spool files hold exactly these request bytes.
 *
 * Ordering: events of one host are ordered by (bootId, monotonicNs) when both were made in the
 * same boot, since CLOCK_MONOTONIC never jumps; across boots by wall-clock microseconds.
 */
import type * as Crypto from 'crypto';
import { readFileSync } from 'fs';

// Loaded on first use: only keyed envelopes need it, and loading it is a noticeable part of a
// plugin's start-up, paid on every lease event (docs/performance.md, plugin start-up).
let cryptoModule: typeof Crypto | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const crypto = (): typeof Crypto => (cryptoModule ??= require('crypto') as typeof Crypto);

export const ENVELOPE_MAGIC = 0x52474d44; // 'DMGR' read as little-endian u32
export const ENVELOPE_VERSION = 1;
export const ENVELOPE_HEADER_SIZE = 48;
export const HMAC_SIZE = 32;
export const FLAG_HMAC = 0x01;

export interface EnvelopeMeta {
  /** 16 raw bytes of /proc/sys/kernel/random/boot_id (all zero when unknown). */
  bootId: Buffer;
  /** CLOCK_MONOTONIC at the event, nanoseconds. */
  monotonicNs: bigint;
  /** Wall clock at the event, microseconds since the epoch. */
  wallUs: bigint;
  senderPid: number;
}

export interface Envelope extends EnvelopeMeta {
  payload: Buffer;
  authenticated: boolean;
}

export type EnvelopeErrorCode = 'BAD_ENVELOPE' | 'BAD_HMAC' | 'NO_HMAC';

export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
  constructor(readonly code: EnvelopeErrorCode, detail: string) {
    super(`Cannot read acked envelope (${detail})`);
  }
}

let cachedBootId: Buffer | undefined;

/** This boot's id, read once per process. */
export function bootId(): Buffer {
  if (!cachedBootId) {
    try {
      // 'utf8' (the file is ASCII): node reads a utf8 file in one native call, where other
      // encodings go through its JS read loop, which a /proc file (size 0) makes the slow one.
      const hex = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().replace(/-/g, '');
      cachedBootId = /^[0-9a-f]{32}$/.test(hex) ? Buffer.from(hex, 'hex') : Buffer.alloc(16);
    } catch {
      cachedBootId = Buffer.alloc(16);
    }
  }
  return cachedBootId;
}

/** Metadata stamped now. */
export function stampNow(): EnvelopeMeta {
  return {
    bootId: bootId(),
    monotonicNs: process.hrtime.bigint(),
    wallUs: BigInt(Date.now()) * 1000n,
    senderPid: process.pid,
  };
}

/** `buf` viewed as a DataView (its own bytes, not the whole pool slab it may share). */
const view = (buf: Buffer): DataView => new DataView(buf.buffer, buf.byteOffset, buf.byteLength);

/**
 * Wrap a PLUGIN_MSG; with a key, append HMAC-SHA256 over header and payload. The header is
 * written through a DataView and TypedArray `set`, V8's own, rather than Buffer's write and copy
 * methods, which are node's JS compiled on first use: a plugin wraps one message per process
 * (docs/performance.md, plugin start-up).
 */
export function encodeEnvelope(payload: Buffer, meta: EnvelopeMeta, key?: Buffer): Buffer {
  if (payload.length > 0xffff) throw new RangeError(`a ${payload.length}-byte payload does not fit the envelope's 16-bit length`);
  if (meta.monotonicNs < 0n || meta.monotonicNs > 0xffffffffffffffffn || meta.wallUs < 0n || meta.wallUs > 0xffffffffffffffffn) {
    throw new RangeError('monotonicNs and wallUs must fit 64 unsigned bits');
  }
  const out = Buffer.alloc(ENVELOPE_HEADER_SIZE + payload.length + (key ? HMAC_SIZE : 0));
  const dv = view(out);
  dv.setUint32(0, ENVELOPE_MAGIC, true);
  out[4] = ENVELOPE_VERSION;
  out[5] = key ? FLAG_HMAC : 0;
  dv.setUint16(6, payload.length, true);
  out.set(meta.bootId.subarray(0, 16), 8);
  dv.setBigUint64(24, meta.monotonicNs, true);
  dv.setBigUint64(32, meta.wallUs, true);
  dv.setUint32(40, meta.senderPid >>> 0, true);
  out.set(payload, ENVELOPE_HEADER_SIZE);
  if (key) {
    const body = out.subarray(0, ENVELOPE_HEADER_SIZE + payload.length);
    crypto().createHmac('sha256', key).update(body).digest().copy(out, body.length);
  }
  return out;
}

/**
 * Parse an envelope. With `key`, a tag present is verified (BAD_HMAC when wrong); with
 * `requireAuth`, a missing tag is NO_HMAC. Throws only EnvelopeError.
 */
export function decodeEnvelope(buf: Buffer, key?: Buffer, requireAuth = false): Envelope {
  if (buf.length < ENVELOPE_HEADER_SIZE) throw new EnvelopeError('BAD_ENVELOPE', `${buf.length} bytes is shorter than the header`);
  if (buf.readUInt32LE(0) !== ENVELOPE_MAGIC) throw new EnvelopeError('BAD_ENVELOPE', 'bad magic');
  if (buf[4] !== ENVELOPE_VERSION) throw new EnvelopeError('BAD_ENVELOPE', `envelope version ${buf[4]}`);
  const flags = buf[5]!;
  if ((flags & ~FLAG_HMAC) !== 0 || buf.readUInt32LE(44) !== 0) throw new EnvelopeError('BAD_ENVELOPE', 'reserved bits set');
  const len = buf.readUInt16LE(6);
  const hasTag = (flags & FLAG_HMAC) !== 0;
  const expected = ENVELOPE_HEADER_SIZE + len + (hasTag ? HMAC_SIZE : 0);
  if (buf.length !== expected) throw new EnvelopeError('BAD_ENVELOPE', `${buf.length} bytes; the header says ${expected}`);
  let authenticated = false;
  if (hasTag && key) {
    const body = buf.subarray(0, ENVELOPE_HEADER_SIZE + len);
    const want = crypto().createHmac('sha256', key).update(body).digest();
    if (!crypto().timingSafeEqual(want, buf.subarray(ENVELOPE_HEADER_SIZE + len))) throw new EnvelopeError('BAD_HMAC', 'HMAC does not match');
    authenticated = true;
  }
  if (requireAuth && !authenticated) throw new EnvelopeError('NO_HMAC', hasTag ? 'no key to verify the HMAC' : 'unauthenticated message');
  return {
    bootId: Buffer.from(buf.subarray(8, 24)),
    monotonicNs: buf.readBigUInt64LE(24),
    wallUs: buf.readBigUInt64LE(32),
    senderPid: buf.readUInt32LE(40),
    payload: Buffer.from(buf.subarray(ENVELOPE_HEADER_SIZE, ENVELOPE_HEADER_SIZE + len)),
    authenticated,
  };
}

/** Negative when `a` happened before `b`, positive after, 0 when the same event. */
export function compareEvents(a: EnvelopeMeta, b: EnvelopeMeta): number {
  if (a.bootId.equals(b.bootId) && !isZero(a.bootId)) {
    return a.monotonicNs < b.monotonicNs ? -1 : a.monotonicNs > b.monotonicNs ? 1 : 0;
  }
  return a.wallUs < b.wallUs ? -1 : a.wallUs > b.wallUs ? 1 : 0;
}

/** True when every byte is 0: an all-zero boot id means "unknown" (no /proc). */
export function isZero(b: Buffer): boolean {
  for (const x of b) if (x !== 0) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Replies

export const ACK_STATUS = { applied: 0, duplicate: 1, stale: 2, rejected: 3, unavailable: 4 } as const;
export type AckStatus = keyof typeof ACK_STATUS;
const STATUS_NAMES = Object.keys(ACK_STATUS) as AckStatus[];

export interface Ack {
  status: AckStatus;
  /** Reject reason code (e.g. BAD_IFNAME) or a short note; empty when applied. */
  reason: string;
}

export function encodeAck(ack: Ack): Buffer {
  const reason = Buffer.from(ack.reason.slice(0, 200), 'utf8');
  const out = Buffer.alloc(8 + reason.length);
  out.writeUInt32LE(ENVELOPE_MAGIC, 0);
  out[4] = ENVELOPE_VERSION;
  out[5] = ACK_STATUS[ack.status];
  out.writeUInt16LE(reason.length, 6);
  reason.copy(out, 8);
  return out;
}

/** Read an ack (through a DataView, as encodeEnvelope writes: the plugin's one reply). */
export function decodeAck(buf: Buffer): Ack {
  if (buf.length < 8 || view(buf).getUint32(0, true) !== ENVELOPE_MAGIC || buf[4] !== ENVELOPE_VERSION) {
    throw new EnvelopeError('BAD_ENVELOPE', 'not an ack');
  }
  const status = STATUS_NAMES[buf[5]!];
  const len = view(buf).getUint16(6, true);
  if (!status || buf.length !== 8 + len) throw new EnvelopeError('BAD_ENVELOPE', 'malformed ack');
  return { status, reason: len === 0 ? '' : buf.toString('utf8', 8) };
}
