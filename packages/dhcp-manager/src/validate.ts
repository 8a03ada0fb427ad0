/**
 * Validation: the first thing any received frame meets. Decoding (size, version, terminators,
 * bools, padding) is the codec's; everything after it is the RULES table below, read top to
 * bottom, first failure wins. Returns results; never throws on any input.
 */
import { isIPv4, isIPv6 } from 'net';
import {
  Abi, DhcpV4Message, DhcpV6Message, PluginMsg, PluginMsgDecodeError, decodeFrame,
} from '@dhcpmgr/plugin-msg';
import type { RejectReason } from './contract';
import { ifnameProblem } from './ifname';

export { ifnameProblem };

export type Validated =
  /** `truncated`: field paths decoded without a terminator (the set the rules saw; handlers take it too). */
  | { ok: true; msg: PluginMsg; truncated: ReadonlySet<string> }
  | { ok: false; reason: RejectReason; detail: string; ifname?: string; version?: 4 | 6 };

export interface ValidateContext {
  abi: Abi | 'auto';
  /** Allow-list of interface names; undefined or empty = any valid name. */
  allow?: ReadonlySet<string>;
}

/** The udhcpc events the v4 plugin names in dhcpState (nak: never sent by the C plugin, accepted). */
export const V4_STATES = new Set(['bound', 'renew', 'deconfig', 'leasefail', 'nak']);
export const V4_SET_STATES = new Set(['bound', 'renew']);
export const INFINITE = 0xffffffff;

// ---------------------------------------------------------------------------------------------
// Field checks: each returns undefined when fine, else a short detail.

/** Dotted-quad mask with contiguous one bits, length 1..32; returns the length or a problem. */
export function netmaskLength(mask: string): number | string {
  if (!isIPv4(mask)) return `netmask ${mask} is not an IPv4 address`;
  const n = mask.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const inv = (~n) >>> 0;
  if ((inv & (inv + 1)) !== 0) return `netmask ${mask} is not contiguous`;
  const len = 32 - Math.log2(inv + 1);
  if (len === 0) return `netmask ${mask} has length 0`;
  return len;
}

/** Expanded 16 bytes of a valid IPv6 text address. */
export function ipv6Bytes(addr: string): Uint8Array {
  let text = addr;
  const out = new Uint8Array(16);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const o = v4[1]!.split('.').map(Number);
    text = text.slice(0, v4.index) + `${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, k) => {
    const v = parseInt(g, 16);
    out[2 * k] = v >> 8;
    out[2 * k + 1] = v & 0xff;
  });
  return out;
}

export function prefixProblem(prefix: string, length: number): { reason: RejectReason; detail: string } | undefined {
  if (!isIPv6(prefix) || prefix.includes('%')) return { reason: 'BAD_PREFIX', detail: `ia_pd.Prefix ${prefix} is not an IPv6 address` };
  if (length < 1 || length > 128) return { reason: 'BAD_PREFIX_LENGTH', detail: `ia_pd.PrefixLength ${length} is outside 1..128` };
  const bytes = ipv6Bytes(prefix);
  for (let bit = length; bit < 128; bit++) {
    if (bytes[bit >> 3]! & (0x80 >> (bit & 7))) {
      return { reason: 'BAD_PREFIX', detail: `ia_pd.Prefix ${prefix}/${length} has bits set beyond its length` };
    }
  }
  return undefined;
}

/** Space-separated IPv4 list (gateway may hold several routers). */
function ipv4ListProblem(field: string, value: string, truncated: boolean): string | undefined {
  const tokens = value.split(/\s+/).filter(Boolean);
  // A truncated list may end in a cut address: that token is dropped later, not judged here.
  if (truncated) tokens.pop();
  const bad = tokens.find((t) => !isIPv4(t));
  return bad === undefined ? undefined : `${field} ${bad} is not an IPv4 address`;
}

function lifetimeProblem(what: string, preferred: number, valid: number): string | undefined {
  if (valid === 0) return `${what} valid lifetime is 0`;
  if (preferred > valid) return `${what} preferred lifetime ${preferred} exceeds valid ${valid}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The policy table

interface Rule {
  /** What the rule checks, for docs and test names. */
  name: string;
  reason: RejectReason;
  applies: (m: PluginMsg) => boolean;
  check: (m: PluginMsg, ctx: ValidateContext, truncated: ReadonlySet<string>) => string | undefined;
}

const v4 = (m: PluginMsg): m is DhcpV4Message => m.version === 4;
const v6 = (m: PluginMsg): m is DhcpV6Message => m.version === 6;
const v4Set = (m: PluginMsg): boolean => v4(m) && V4_SET_STATES.has(m.dhcpv4.dhcpState) && !m.dhcpv4.isExpired;
const v6Live = (m: PluginMsg): boolean => v6(m) && !m.dhcpv6.isExpired;
const L4 = (m: PluginMsg) => (m as DhcpV4Message).dhcpv4;
const L6 = (m: PluginMsg) => (m as DhcpV6Message).dhcpv6;
const always = (): boolean => true;
/** Quote untrusted text for a detail; escapeText() makes it log-safe later. */
const q = (s: string): string => `"${s}"`;

export const RULES: readonly Rule[] = [
  { name: 'outer ifname follows Linux rules', reason: 'BAD_IFNAME', applies: always, check: (m) => ifnameProblem(m.ifname) },
  {
    name: 'outer ifname is on the allow-list', reason: 'IFNAME_NOT_ALLOWED', applies: always,
    check: (m, ctx) => (ctx.allow && ctx.allow.size > 0 && !ctx.allow.has(m.ifname) ? `${m.ifname} is not in --interfaces` : undefined),
  },
  {
    name: 'inner ifname equals the outer one', reason: 'IFNAME_MISMATCH', applies: always,
    check: (m) => {
      const inner = v4(m) ? m.dhcpv4.ifname : L6(m).ifname;
      return inner === m.ifname ? undefined : `inner ifname ${q(inner)} differs from outer ${q(m.ifname)}`;
    },
  },
  { name: 'v4 dhcpState is a udhcpc event', reason: 'BAD_STATE', applies: v4, check: (m) => (V4_STATES.has(L4(m).dhcpState) ? undefined : `unknown dhcpState ${q(L4(m).dhcpState)}`) },
  {
    name: 'v4 bound/renew carries addressAssigned', reason: 'BAD_STATE', applies: v4Set,
    check: (m) => (L4(m).addressAssigned ? undefined : `${L4(m).dhcpState} without addressAssigned`),
  },
  { name: 'v4 address is IPv4', reason: 'BAD_ADDRESS', applies: v4Set, check: (m) => (isIPv4(L4(m).address) ? undefined : `address ${q(L4(m).address)} is not an IPv4 address`) },
  {
    name: 'v4 netmask is a contiguous IPv4 mask', reason: 'BAD_NETMASK', applies: v4Set,
    check: (m) => { const r = netmaskLength(L4(m).netmask); return typeof r === 'string' ? r : undefined; },
  },
  { name: 'v4 routers are IPv4', reason: 'BAD_ADDRESS', applies: v4Set, check: (m, _c, t) => ipv4ListProblem('gateway', L4(m).gateway, t.has('dhcpv4.gateway')) },
  {
    name: 'v4 DNS servers are IPv4', reason: 'BAD_ADDRESS', applies: v4Set,
    check: (m, _c, t) => ipv4ListProblem('dnsServer', L4(m).dnsServer, t.has('dhcpv4.dnsServer')) ?? ipv4ListProblem('dnsServer1', L4(m).dnsServer1, t.has('dhcpv4.dnsServer1')),
  },
  { name: 'v4 server id is IPv4', reason: 'BAD_ADDRESS', applies: v4Set, check: (m, _c, t) => ipv4ListProblem('dhcpServerId', L4(m).dhcpServerId, t.has('dhcpv4.dhcpServerId')) },
  {
    name: 'v4 lease time is set and T1 <= T2 <= lease', reason: 'BAD_LIFETIME', applies: v4Set,
    check: (m) => {
      const l = L4(m);
      if (l.leaseTime === 0) return 'leaseTime is 0';
      if (l.renewalTime && l.rebindingTime && l.renewalTime > l.rebindingTime) return `renewalTime ${l.renewalTime} exceeds rebindingTime ${l.rebindingTime}`;
      if (l.leaseTime !== INFINITE && (l.rebindingTime > l.leaseTime || l.renewalTime > l.leaseTime)) return `T1/T2 ${l.renewalTime}/${l.rebindingTime} exceed leaseTime ${l.leaseTime}`;
      return undefined;
    },
  },
  {
    name: 'v6 IA_NA address is IPv6', reason: 'BAD_ADDRESS', applies: (m) => v6(m) && L6(m).iaNa.assigned,
    check: (m) => { const a = L6(m).iaNa.address; return isIPv6(a) && !a.includes('%') ? undefined : `ia_na.address ${q(a)} is not an IPv6 address`; },
  },
  {
    name: 'v6 IA_PD prefix length is 1..128', reason: 'BAD_PREFIX_LENGTH', applies: (m) => v6(m) && L6(m).iaPd.assigned,
    check: (m) => { const n = L6(m).iaPd.prefixLength; return n >= 1 && n <= 128 ? undefined : `ia_pd.PrefixLength ${n} is outside 1..128`; },
  },
  {
    name: 'v6 IA_PD prefix is IPv6 with no host bits', reason: 'BAD_PREFIX', applies: (m) => v6(m) && L6(m).iaPd.assigned,
    check: (m) => prefixProblem(L6(m).iaPd.prefix, L6(m).iaPd.prefixLength)?.detail,
  },
  {
    name: 'v6 DNS servers are IPv6', reason: 'BAD_ADDRESS', applies: v6Live,
    check: (m) => {
      for (const s of [L6(m).dns.nameserver, L6(m).dns.nameserver1]) {
        const t = s.trim();
        if (t && (!isIPv6(t) || t.includes('%'))) return `dns server ${q(t)} is not an IPv6 address`;
      }
      return undefined;
    },
  },
  {
    name: 'v6 IA lifetimes: valid > 0, preferred <= valid', reason: 'BAD_LIFETIME', applies: v6Live,
    check: (m) => {
      const l = L6(m);
      return (l.iaNa.assigned ? lifetimeProblem('ia_na', l.iaNa.preferredLifetime, l.iaNa.validLifetime) : undefined)
        ?? (l.iaPd.assigned ? lifetimeProblem('ia_pd', l.iaPd.preferredLifetime, l.iaPd.validLifetime) : undefined);
    },
  },
];

/** Best-effort printable outer ifname of a frame that did not decode, for the reject log. */
function sniffIfname(frame: Uint8Array): string | undefined {
  if (frame.byteLength < 1) return undefined;
  const end = Math.min(frame.byteLength, 32);
  let n = 0;
  while (n < end && frame[n] !== 0) n++;
  return n === 0 ? undefined : Buffer.from(frame.buffer, frame.byteOffset, n).toString('latin1');
}

const NONE_TRUNCATED: ReadonlySet<string> = new Set();

export function validate(frame: unknown, ctx: ValidateContext): Validated {
  if (!(frame instanceof Uint8Array)) return { ok: false, reason: 'BAD_SIZE', detail: 'frame is not a byte buffer' };
  let decoded;
  try {
    decoded = decodeFrame(frame, ctx.abi);
  } catch (err) {
    if (err instanceof PluginMsgDecodeError) {
      return { ok: false, reason: err.code, detail: err.message, ifname: sniffIfname(frame) };
    }
    throw err;
  }
  const { msg } = decoded;
  const truncated = decoded.truncated.length === 0 ? NONE_TRUNCATED : new Set(decoded.truncated);
  for (const rule of RULES) {
    if (!rule.applies(msg)) continue;
    const detail = rule.check(msg, ctx, truncated);
    if (detail !== undefined) return { ok: false, reason: rule.reason, detail, ifname: msg.ifname, version: msg.version };
  }
  return { ok: true, msg, truncated };
}

/**
 * Make untrusted text safe for one log line: control characters, DEL, C1 controls and
 * backslashes become \xNN escapes, so that a DHCP server cannot forge log lines. Capped.
 */
export function escapeText(s: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const out = s.replace(/[\x00-\x1f\x7f-\x9f\\]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return out.length > max ? `${out.slice(0, max)}...` : out;
}
