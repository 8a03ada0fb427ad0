/**
 * The one layout table for PLUGIN_MSG, the struct the RDK-B DHCP Manager's plugins send.
 *
 * Every read and write in the codec goes through these tables; nothing else in the package
 * knows an offset. Offsets of the inner DHCPv4/DHCPv6 structs are relative to the start of the
 * struct, which is the same on both ABIs; only where the union starts (after the 4-byte
 * `version` enum, aligned to the pointer size) and the trailing `next` pointer differ.
 */

export type Abi = 'lp64' | 'ilp32';
export const ABIS: readonly Abi[] = ['lp64', 'ilp32'];

/**
 * How a char array may be filled, which decides what an unterminated value means:
 * - `id`: interface names, addresses, prefixes, the state name. No valid value fills the
 *   array, so a value with no NUL is malformed (decode error, encode error when too long).
 * - `text`: free text the C plugins copy with strncpy at full width; a value may fill the
 *   array with no NUL. Decoded at full width and reported as truncated.
 * - `term`: fields the C plugins always terminate (copied with size - 1); like `id`.
 */
export type StrPolicy = 'id' | 'text' | 'term';

export type FieldType = 'bool' | 'u32' | 'i32' | 'str';

export interface FieldSpec {
  /** Property path in the typed message object, dot-separated (`iaNa.address`). */
  readonly name: string;
  /** The C member name, for docs and error messages. */
  readonly cName: string;
  readonly type: FieldType;
  /** Byte offset inside the inner struct (identical on both ABIs). */
  readonly offset: number;
  /** Width in bytes. */
  readonly size: number;
  readonly policy?: StrPolicy;
}

const b = (name: string, cName: string, offset: number): FieldSpec => ({ name, cName, type: 'bool', offset, size: 1 });
const u = (name: string, cName: string, offset: number): FieldSpec => ({ name, cName, type: 'u32', offset, size: 4 });
const i = (name: string, cName: string, offset: number): FieldSpec => ({ name, cName, type: 'i32', offset, size: 4 });
const s = (name: string, cName: string, offset: number, size: number, policy: StrPolicy): FieldSpec =>
  ({ name, cName, type: 'str', offset, size, policy });

/** `DHCPv4_PLUGIN_MSG` (standard build, without the EROUTER_DHCP_OPTION_MTA block). */
export const V4_FIELDS: readonly FieldSpec[] = [
  b('addressAssigned', 'addressAssigned', 0),
  b('isExpired', 'isExpired', 1),
  s('address', 'address', 2, 32, 'id'),
  s('netmask', 'netmask', 34, 32, 'id'),
  s('gateway', 'gateway', 66, 32, 'text'),
  s('dnsServer', 'dnsServer', 98, 64, 'text'),
  s('dnsServer1', 'dnsServer1', 162, 64, 'text'),
  s('ifname', 'dhcpcInterface', 226, 32, 'id'),
  u('leaseTime', 'leaseTime', 260),
  u('rebindingTime', 'rebindingTime', 264),
  u('renewalTime', 'renewalTime', 268),
  i('timeOffset', 'timeOffset', 272),
  b('isTimeOffsetAssigned', 'isTimeOffsetAssigned', 276),
  s('timeZone', 'timeZone', 277, 64, 'text'),
  u('upstreamCurrRate', 'upstreamCurrRate', 344),
  u('downstreamCurrRate', 'downstreamCurrRate', 348),
  s('dhcpServerId', 'dhcpServerId', 352, 64, 'text'),
  s('dhcpState', 'dhcpState', 416, 64, 'id'),
  b('mtuAssigned', 'mtuAssigned', 480),
  u('mtuSize', 'mtuSize', 484),
  s('sipSrv', 'sipSrv', 488, 64, 'text'),
  s('staticRoutes', 'staticRoutes', 552, 64, 'text'),
];
/** Offset of the trailing `next` pointer inside the v4 struct. */
export const V4_NEXT_OFFSET = 616;

/** `DHCPv6_PLUGIN_MSG`. */
export const V6_FIELDS: readonly FieldSpec[] = [
  b('isExpired', 'isExpired', 0),
  s('ifname', 'ifname', 1, 32, 'id'),
  b('iaNa.assigned', 'ia_na.assigned', 36),
  s('iaNa.address', 'ia_na.address', 37, 48, 'id'),
  u('iaNa.iaid', 'ia_na.IA_ID', 88),
  u('iaNa.preferredLifetime', 'ia_na.PreferedLifeTime', 92),
  u('iaNa.validLifetime', 'ia_na.ValidLifeTime', 96),
  u('iaNa.t1', 'ia_na.T1', 100),
  u('iaNa.t2', 'ia_na.T2', 104),
  b('iaPd.assigned', 'ia_pd.assigned', 108),
  s('iaPd.prefix', 'ia_pd.Prefix', 109, 48, 'id'),
  u('iaPd.prefixLength', 'ia_pd.PrefixLength', 160),
  u('iaPd.iaid', 'ia_pd.IA_ID', 164),
  u('iaPd.preferredLifetime', 'ia_pd.PreferedLifeTime', 168),
  u('iaPd.validLifetime', 'ia_pd.ValidLifeTime', 172),
  u('iaPd.t1', 'ia_pd.T1', 176),
  u('iaPd.t2', 'ia_pd.T2', 180),
  b('dns.assigned', 'dns.assigned', 184),
  s('dns.nameserver', 'dns.nameserver', 185, 128, 'term'),
  s('dns.nameserver1', 'dns.nameserver1', 313, 128, 'term'),
  b('mapt.assigned', 'mapt.Assigned', 441),
  s('mapt.container', 'mapt.Container', 442, 256, 'text'),
  b('vendor.assigned', 'vendor.Assigned', 700),
  s('vendor.data', 'vendor.Data', 701, 256, 'term'),
  u('vendor.length', 'vendor.Length', 960),
  s('domainName', 'domainName', 964, 64, 'text'),
  s('ntpServer', 'ntpserver', 1028, 128, 'text'),
  s('aftr', 'aftr', 1156, 256, 'text'),
  u('timeOffset', 'ipv6_TimeOffset', 1412),
];
export const V6_NEXT_OFFSET = 1416;

/** Outer struct fields (absolute offsets, same on both ABIs). */
export const OUTER_IFNAME: FieldSpec = s('ifname', 'ifname', 0, 32, 'id');
export const OUTER_VERSION_OFFSET = 32;

/** `DHCP_SOURCE` enum values carried in `version`. */
export const WIRE_VERSION = { v4: 0, v6: 1 } as const;

export interface AbiLayout {
  readonly abi: Abi;
  /** sizeof(PLUGIN_MSG). */
  readonly size: number;
  /** Where the union starts on the wire. */
  readonly unionOffset: number;
  /** Width of the `next` pointer. */
  readonly pointerSize: number;
  /** sizeof(DHCPv4_PLUGIN_MSG) and sizeof(DHCPv6_PLUGIN_MSG). */
  readonly v4Size: number;
  readonly v6Size: number;
}

export const LAYOUTS: Readonly<Record<Abi, AbiLayout>> = {
  lp64: { abi: 'lp64', size: 1464, unionOffset: 40, pointerSize: 8, v4Size: 624, v6Size: 1424 },
  ilp32: { abi: 'ilp32', size: 1456, unionOffset: 36, pointerSize: 4, v4Size: 620, v6Size: 1420 },
};

/** The ABI whose PLUGIN_MSG has exactly this many bytes, or undefined. */
export function abiForSize(size: number): Abi | undefined {
  if (size === LAYOUTS.lp64.size) return 'lp64';
  if (size === LAYOUTS.ilp32.size) return 'ilp32';
  return undefined;
}

/** node's `process.arch` values of 32-bit targets; every other one is 64-bit. */
const ILP32_ARCHES: readonly string[] = ['arm', 'ia32', 'mips', 'mipsel', 'ppc', 's390'];

/** The ABI of the machine we run on (what a C plugin built here would send). */
export function hostAbi(arch: string = process.arch): Abi {
  return ILP32_ARCHES.includes(arch) ? 'ilp32' : 'lp64';
}
