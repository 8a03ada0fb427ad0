/**
 * Carving the delegated prefix (IA_PD) into one /64 per LAN interface. Each LAN interface has a
 * stable subnet id (its position in --lan-interfaces, or `IF=ID`), so a renumbered or restarted
 * gateway puts the same /64 on the same bridge. The router takes `::1` of its /64; an RA server
 * (dnsmasq `constructor:`) advertises the /64 from the interface. Pure.
 */

export interface LanInterface {
  ifname: string;
  /** Subnet id: the bits between the delegated length and /64. */
  id: number;
}

export interface Carved {
  ifname: string;
  /** `prefix::1/64`, the address put on the LAN interface. */
  cidr: string;
  /** `prefix::/64`. */
  subnet: string;
}

export interface CarveProblem {
  ifname: string;
  id: number;
  reason: string;
}

export function parseIpv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(text) || text.length > 39) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const part = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = part(halves[0]!);
  const tail = halves.length === 2 ? part(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  return v;
}

/** RFC 5952 text: lower case, the longest run of two or more zero groups as `::`. */
export function formatIpv6(v: bigint): string {
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((v >> BigInt(16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/**
 * One /64 per LAN interface out of `prefix/length`. A subnet id that does not fit in the
 * 64 - length bits (or a delegated prefix longer than /64) is a problem, never wrapped or
 * shared: that interface gets nothing and the problem is reported.
 */
export function carve(prefix: string, length: number, lans: readonly LanInterface[]): { carved: Carved[]; problems: CarveProblem[] } {
  const carved: Carved[] = [];
  const problems: CarveProblem[] = [];
  const base = parseIpv6(prefix);
  if (base === undefined || !Number.isInteger(length) || length < 0 || length > 128) {
    for (const l of lans) problems.push({ ifname: l.ifname, id: l.id, reason: `delegated prefix ${prefix}/${length} is not an IPv6 prefix` });
    return { carved, problems };
  }
  const bits = 64 - length;
  for (const l of lans) {
    if (bits < 0) {
      problems.push({ ifname: l.ifname, id: l.id, reason: `delegated prefix ${prefix}/${length} is longer than /64: no /64 for a LAN` });
      continue;
    }
    if (BigInt(l.id) >= 1n << BigInt(bits)) {
      problems.push({ ifname: l.ifname, id: l.id, reason: `delegated prefix ${prefix}/${length} has ${2 ** Math.min(bits, 52)} /64 subnets: subnet id ${l.id} does not fit` });
      continue;
    }
    const netMask = ((1n << BigInt(length)) - 1n) << BigInt(128 - length);
    const net = (base & netMask) | (BigInt(l.id) << 64n);
    carved.push({ ifname: l.ifname, subnet: `${formatIpv6(net)}/64`, cidr: `${formatIpv6(net | 1n)}/64` });
  }
  return { carved, problems };
}
