/**
 * What one lease should have put on the system, as a list of items (addresses and routes), and
 * the `ip` commands that take the system from the items we added before to the items wanted now.
 * Pure: the applier (system.ts) runs the commands and keeps the items in its ledger, which is
 * also what reconcile at start works from (only items in the ledger are ever removed).
 *
 * Our routes carry `proto dhcp` and their interface's metric, and are deleted with both, so the
 * kernel never matches a route someone else added with the same destination. They are added
 * with `route add`, never `replace` (which would take over a foreign route with the same
 * destination and metric): "File exists" for a route the ledger already lists is ours and fine,
 * for any other it is a conflict and reported.
 */
import { INFINITE } from '@dhcpmgr/plugin-msg';
import { carve, CarveProblem, LanInterface } from './lanprefix';
import { parseStaticRoutes } from './routes';


export type Item =
  | { kind: 'addr'; dev: string; cidr: string; broadcast?: string; preferred?: number; valid?: number;
    /** A /64 carved from a delegated prefix onto a LAN interface: deprecated before removal. */
    lan?: boolean; until?: number }
  | { kind: 'route'; dev: string; dst: string; via?: string; metric: number; until?: never };
// `until` (addresses only): ms since epoch when the valid lifetime ends (set when applied; absent: forever).

export interface V4Info { address: string; prefixLength: number; broadcast: string; routers: string[]; mtu?: number; staticRoutes: string }
export interface Lifetimed { preferred: number; valid: number }
export interface V6Info { na?: { address: string } & Lifetimed; pd?: { prefix: string; length: number } & Lifetimed }
export type LeaseInfo = V4Info | V6Info;

export interface PlanOptions {
  /** Default route and static routes (--apply-routes). */
  routes: boolean;
  metric: number;
  lans: readonly LanInterface[];
}

export interface Desired {
  items: Item[];
  lanProblems: CarveProblem[];
  /** Route tokens that could not be parsed. */
  badRoutes: string[];
}

export function itemKey(i: Item): string {
  return i.kind === 'addr' ? `addr ${i.dev} ${i.cidr}` : `route ${i.dev} ${i.dst} ${i.via ?? 'link'} ${i.metric}`;
}

export function isV4Info(l: LeaseInfo): l is V4Info {
  return (l as V4Info).address !== undefined;
}

function lifetimes(l: Lifetimed): [string, string] {
  // valid 0 with preferred 0 means "not given" from stock dibbler: keep it, as the C manager does.
  if (l.valid === 0 && l.preferred === 0) return ['forever', 'forever'];
  const t = (v: number): string => (v === INFINITE ? 'forever' : String(v));
  return [t(l.preferred), t(l.valid)];
}

export function desiredItems(ifname: string, lease: LeaseInfo | null, opts: PlanOptions): Desired {
  const out: Desired = { items: [], lanProblems: [], badRoutes: [] };
  if (lease === null) return out;
  if (isV4Info(lease)) {
    out.items.push({ kind: 'addr', dev: ifname, cidr: `${lease.address}/${lease.prefixLength}`, broadcast: lease.broadcast });
    if (!opts.routes) return out;
    const r = parseStaticRoutes(lease.staticRoutes);
    out.badRoutes = r.bad;
    const route = (dst: string, via: string): Item => ({ kind: 'route', dev: ifname, dst, ...(via === '0.0.0.0' ? {} : { via }), metric: opts.metric });
    // On-link routes first: a later route may use a gateway that only they make reachable.
    const ordered = (list: typeof r.classless) => [...list.filter((x) => x.via === '0.0.0.0'), ...list.filter((x) => x.via !== '0.0.0.0')];
    if (r.classless.length > 0) {
      // RFC 3442: with option 121 the client ignores the router option.
      for (const x of ordered(r.classless)) out.items.push(route(x.dst, x.via));
    } else {
      for (const x of r.classful) out.items.push(route(x.dst, x.via));
      if (lease.routers[0]) out.items.push(route('0.0.0.0/0', lease.routers[0]));
    }
    return out;
  }
  if (lease.na) {
    const [p, v] = lifetimes(lease.na);
    out.items.push({ kind: 'addr', dev: ifname, cidr: `${lease.na.address}/128`, ...num(p, v) });
  }
  if (lease.pd && opts.lans.length > 0) {
    const c = carve(lease.pd.prefix, lease.pd.length, opts.lans);
    out.lanProblems = c.problems;
    const [p, v] = lifetimes(lease.pd);
    for (const x of c.carved) out.items.push({ kind: 'addr', dev: x.ifname, cidr: x.cidr, lan: true, ...num(p, v) });
  }
  return out;
}

function num(p: string, v: string): { preferred: number; valid: number } {
  return { preferred: p === 'forever' ? INFINITE : Number(p), valid: v === 'forever' ? INFINITE : Number(v) };
}

const lft = (v: number | undefined): string => (v === undefined || v === INFINITE ? 'forever' : String(v));

export function addArgs(i: Item): string[] {
  if (i.kind === 'addr') {
    if (i.broadcast) return ['addr', 'replace', i.cidr, 'broadcast', i.broadcast, 'dev', i.dev];
    return ['addr', 'replace', i.cidr, 'dev', i.dev, 'preferred_lft', lft(i.preferred), 'valid_lft', lft(i.valid)];
  }
  const dst = i.dst === '0.0.0.0/0' ? 'default' : i.dst;
  return ['route', 'add', dst, ...(i.via ? ['via', i.via] : ['scope', 'link']), 'dev', i.dev, 'proto', 'dhcp', 'metric', String(i.metric)];
}

export function delArgs(i: Item): string[] {
  if (i.kind === 'addr') return ['addr', 'del', i.cidr, 'dev', i.dev];
  const dst = i.dst === '0.0.0.0/0' ? 'default' : i.dst;
  return ['route', 'del', dst, ...(i.via ? ['via', i.via] : []), 'dev', i.dev, 'proto', 'dhcp', 'metric', String(i.metric)];
}

/** RFC 7084 L-13: a LAN prefix that goes away is first advertised with preferred lifetime 0. */
export function deprecateArgs(i: Item, holdS: number): string[] {
  return ['addr', 'replace', (i as { cidr: string }).cidr, 'dev', i.dev, 'preferred_lft', '0', 'valid_lft', String(Math.max(1, holdS))];
}

export interface Plan {
  cmds: string[][];
  /** Items the commands remove (or deprecate); they leave the ledger once the batch ran. */
  removed: Item[];
  /** LAN addresses deprecated now and to be deleted after the hold time. */
  deprecated: Item[];
}

/**
 * From `prev` (in the ledger) to `next`: routes we no longer want go first, then addresses
 * (deleting an address takes the routes through it along), then every wanted address is
 * replaced (which refreshes lifetimes) and every wanted route added. Both are safe to rerun.
 */
export function diff(prev: readonly Item[], next: readonly Item[], lanHoldS: number, now = Date.now()): Plan {
  const want = new Set(next.map(itemKey));
  const gone = prev.filter((i) => !want.has(itemKey(i)));
  const cmds: string[][] = [];
  const deprecated: Item[] = [];
  for (const i of gone) if (i.kind === 'route') cmds.push(delArgs(i));
  for (const i of gone) {
    if (i.kind !== 'addr') continue;
    // Deprecated for the hold time, but never past its own valid lifetime (RFC 7084 L-13: the
    // lower of the two); one that is (nearly) invalid already is deleted at once.
    const left = i.kind === 'addr' && i.until !== undefined ? Math.floor((i.until - now) / 1000) : Infinity;
    const hold = Math.min(lanHoldS, left);
    if (i.lan && hold >= 1) {
      cmds.push(deprecateArgs(i, hold));
      deprecated.push({ ...i, until: now + hold * 1000 });
    } else {
      cmds.push(delArgs(i));
    }
  }
  for (const i of next) if (i.kind === 'addr') cmds.push(addArgs(i));
  for (const i of next) if (i.kind === 'route') cmds.push(addArgs(i));
  return { cmds, removed: gone, deprecated };
}

/** A failed delete of something already gone is what we wanted: not a failure. */
export function alreadyGone(argv: readonly string[], error: string): boolean {
  return argv[1] === 'del' && /Cannot assign requested address|Address not found|No such process|Cannot find device|No such device|not found/i.test(error);
}

/** A route add that failed only because our own route (listed in the ledger before) is there. */
export function oursExists(argv: readonly string[], error: string, before: readonly Item[]): boolean {
  return argv[0] === 'route' && argv[1] === 'add' && /File exists/.test(error) && before.some((i) => addArgs(i).join(' ') === argv.join(' '));
}
