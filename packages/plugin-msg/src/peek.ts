/**
 * A look at the few PLUGIN_MSG fields a receiver sorts frames by (interface name, version,
 * whether the lease ended), without decoding the frame: a handful of byte reads through the
 * layout table, cheap enough for every received frame before it is queued. It checks only what
 * it reads; a frame it accepts can still be refused by `decodeFrame` and the validator.
 */
import { Abi, FieldSpec, LAYOUTS, OUTER_IFNAME, OUTER_VERSION_OFFSET, V4_FIELDS, V6_FIELDS, WIRE_VERSION, abiForSize } from './layout';

export interface FramePeek {
  abi: Abi;
  version: 4 | 6;
  /** The outer `ifname` (what the manager routes on), up to its terminator. */
  ifname: string;
  /** The lease's `isExpired` byte is 1. */
  isExpired: boolean;
  /** DHCPv4: `dhcpState` (the udhcpc event); '' for DHCPv6 or when it has no terminator. */
  dhcpState: string;
}

function field(fields: readonly FieldSpec[], name: string): FieldSpec {
  const f = fields.find((x) => x.name === name);
  if (!f) throw new Error(`peek: no field ${name} in the layout table`);
  return f;
}

const V4_EXPIRED = field(V4_FIELDS, 'isExpired').offset;
const V4_STATE = field(V4_FIELDS, 'dhcpState');
const V6_EXPIRED = field(V6_FIELDS, 'isExpired').offset;

/** The string at `start` (at most `size` bytes), or undefined when it has no terminator. */
function cString(buf: Uint8Array, start: number, size: number): string | undefined {
  const end = start + size;
  let nul = start;
  while (nul < end && buf[nul] !== 0) nul++;
  if (nul === end) return undefined;
  let s = '';
  for (let p = start; p < nul; p++) s += String.fromCharCode(buf[p]!);
  return s;
}

/**
 * Interface name, version and lease-end markers of a whole received frame; undefined when its
 * size is not one PLUGIN_MSG of either ABI, its version is neither DHCPv4 nor DHCPv6, or its
 * interface name has no terminator.
 */
export function peekFrame(frame: Uint8Array): FramePeek | undefined {
  const abi = abiForSize(frame.byteLength);
  if (abi === undefined) return undefined;
  const wire = frame[OUTER_VERSION_OFFSET]! | (frame[OUTER_VERSION_OFFSET + 1]! << 8)
    | (frame[OUTER_VERSION_OFFSET + 2]! << 16) | (frame[OUTER_VERSION_OFFSET + 3]! << 24);
  if (wire !== WIRE_VERSION.v4 && wire !== WIRE_VERSION.v6) return undefined;
  const ifname = cString(frame, OUTER_IFNAME.offset, OUTER_IFNAME.size);
  if (ifname === undefined) return undefined;
  const base = LAYOUTS[abi].unionOffset;
  if (wire === WIRE_VERSION.v6) return { abi, version: 6, ifname, isExpired: frame[base + V6_EXPIRED] === 1, dhcpState: '' };
  const isExpired = frame[base + V4_EXPIRED] === 1;
  return { abi, version: 4, ifname, isExpired, dhcpState: cString(frame, base + V4_STATE.offset, V4_STATE.size) ?? '' };
}
