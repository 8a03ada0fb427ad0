/**
 * Resolvers and search domains of the active leases, merged across interfaces in the configured
 * priority, and the two ways of handing them on: a resolver file written atomically (write a
 * temporary file in the same directory, fsync, rename: a reader never sees half a file) or
 * systemd-resolved through `resolvectl` (argument arrays, one interface at a time).
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'fs';
import { basename, dirname, join } from 'path';

export interface DnsEntry {
  ifname: string;
  version: 4 | 6;
  servers: readonly string[];
  domains: readonly string[];
}

export interface MergedDns {
  servers: string[];
  domains: string[];
}

/**
 * Interfaces named in `priority` first, in that order; the others after, by name. Within an
 * interface DHCPv4 comes before DHCPv6. Duplicates keep their first place.
 */
export function orderEntries(entries: readonly DnsEntry[], priority: readonly string[]): DnsEntry[] {
  const rank = (ifname: string): number => {
    const i = priority.indexOf(ifname);
    return i < 0 ? priority.length : i;
  };
  return [...entries].sort((a, b) => rank(a.ifname) - rank(b.ifname)
    || (a.ifname < b.ifname ? -1 : a.ifname > b.ifname ? 1 : 0) || a.version - b.version);
}

export function mergeDns(entries: readonly DnsEntry[], priority: readonly string[]): MergedDns {
  const servers: string[] = [];
  const domains: string[] = [];
  for (const e of orderEntries(entries, priority)) {
    for (const s of e.servers) if (!servers.includes(s)) servers.push(s);
    for (const d of e.domains) if (!domains.includes(d)) domains.push(d);
  }
  return { servers, domains };
}

/** A value a resolver file line may hold: no whitespace, control characters or comment signs. */
const SAFE = /^[A-Za-z0-9_.:%-]{1,253}$/;

export function renderResolv(dns: MergedDns): string {
  const lines = ['# Written by dhcp-manager from the active DHCP leases; rewritten on every change.'];
  if (dns.domains.length) lines.push(`search ${dns.domains.filter((d) => SAFE.test(d)).join(' ')}`);
  for (const s of dns.servers) if (SAFE.test(s)) lines.push(`nameserver ${s}`);
  return `${lines.join('\n')}\n`;
}

/** Replace `file` with `text` atomically (same-directory temp file, fsync, rename). */
export function writeAtomic(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/**
 * `resolvectl` argument lists that make interface `ifname` hold exactly these servers and
 * domains; with none left, `revert` hands the link back to its own configuration.
 */
export function resolvectlArgs(ifname: string, servers: readonly string[], domains: readonly string[]): string[][] {
  if (servers.length === 0 && domains.length === 0) return [['revert', ifname]];
  return [['dns', ifname, ...servers.filter((s) => SAFE.test(s))], ['domain', ifname, ...domains.filter((d) => SAFE.test(d))]];
}

/** Per interface: the servers and domains of its leases (v4 then v6). */
export function perInterface(entries: readonly DnsEntry[]): Map<string, MergedDns> {
  const out = new Map<string, MergedDns>();
  for (const e of orderEntries(entries, [])) {
    const m = out.get(e.ifname) ?? { servers: [], domains: [] };
    for (const s of e.servers) if (!m.servers.includes(s)) m.servers.push(s);
    for (const d of e.domains) if (!m.domains.includes(d)) m.domains.push(d);
    out.set(e.ifname, m);
  }
  return out;
}
