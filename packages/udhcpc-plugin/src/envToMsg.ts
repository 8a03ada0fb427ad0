/**
 * busybox udhcpc environment -> DHCPv4 PLUGIN_MSG, with no I/O.
 *
 * Mirrors the C udhcpc plugin's mapping (spec section 3) from the names busybox really exports,
 * with three deliberate differences, all in docs/plugins.md:
 * - `mtu` fills mtuAssigned/mtuSize (the C plugin never reads it);
 * - a numeric `timezone` (busybox's name for option 2) also fills timeOffset when `timeoffset`
 *   is absent;
 * - values the C plugin would cut or misread (too long, "77abc", bad hex, a bad address) are
 *   rejected instead of sent.
 */
import { DhcpV4Message, checkIfname, emptyV4Lease } from '@dhcpmgr/plugin-msg';
import { EnvToMsgResult, U32_MAX, isCStringText, isDottedQuad, parseDecimal } from '@dhcpmgr/plugin-msg/runtime';

// What Node's net.isIPv4 accepts (dotted quad, no leading zeros); `net` itself is not loaded
// because its sockets stack adds to the plugin's start-up on every event (docs/performance.md).
const isIPv4 = isDottedQuad;

export const UDHCPC_EVENTS = ['bound', 'renew', 'deconfig', 'leasefail'] as const;

type Env = Record<string, string | undefined>;
type Fail = { ok: false; variable: string; error: string };
const fail = (variable: string, error: string): Fail => ({ ok: false, variable, error });

/** Width limits of the C char arrays we fill as text (may fill the array, no NUL). */
const WIDTH = { gateway: 32, dns: 64, timeZone: 64, dhcpServerId: 64, sipSrv: 64, staticRoutes: 64 } as const;

function text(env: Env, name: string, width: number): string | Fail {
  const v = env[name] ?? '';
  if (v.length > width) return fail(name, `${v.length} bytes do not fit the ${width}-byte field`);
  if (!isCStringText(v)) return fail(name, 'holds a character outside 0x01-0xff');
  return v;
}

function u32(env: Env, name: string): number | Fail {
  const v = env[name];
  if (v === undefined || v === '') return 0; // unset or empty: 0, as the C plugin reads it
  const n = parseDecimal(v, 0, U32_MAX);
  return n === undefined ? fail(name, `"${v}" is not a decimal integer 0..4294967295`) : n;
}

/** opt58/opt59 as busybox prints them: the option's 4 bytes in hex. */
function hexU32(env: Env, name: string): number | Fail {
  const v = env[name]!;
  if (!/^[0-9a-fA-F]{1,8}$/.test(v)) return fail(name, `"${v}" is not 1-8 hex digits`);
  return parseInt(v, 16);
}

/** renewaltime, else opt58 (T1); rebindingtime, else opt59 (T2). Set-but-empty blocks the hex. */
function timer(env: Env, decimal: string, hex: string): number | Fail {
  if (env[decimal] !== undefined) return u32(env, decimal);
  if (env[hex] !== undefined) return hexU32(env, hex);
  return 0;
}

/**
 * The C layout has one field for static routes. It is filled from option 121 (`staticroutes`),
 * else from its Microsoft twin 249 (`msstaticroutes`, same syntax), else from option 33
 * (`routes`, busybox's `DST/GW` pairs, which the manager tells from `DST/LEN GW` by syntax).
 * The C plugin reads `staticroutes` only; with it set, both send the same bytes.
 */
function routesVariable(env: Env): string {
  for (const name of ['staticroutes', 'msstaticroutes', 'routes']) if (env[name]) return name;
  return 'staticroutes';
}

const isFail = (x: unknown): x is Fail => typeof x === 'object' && x !== null && (x as Fail).ok === false;

export function envToMsg(event: string, env: Env): EnvToMsgResult {
  const live = event === 'bound' || event === 'renew';
  if (!live && event !== 'deconfig' && event !== 'leasefail') {
    return { ok: 'ignore', reason: `udhcpc event "${event}" carries no lease change` };
  }
  const ifname = env.interface;
  const bad = checkIfname(ifname);
  if (bad) return fail('interface', bad);
  const lease = emptyV4Lease();
  lease.ifname = ifname!;
  lease.dhcpState = event;
  lease.addressAssigned = live;
  lease.isExpired = !live;
  for (const [field, name] of [['dhcpServerId', 'serverid'], ['sipSrv', 'sipsrv'], ['staticRoutes', routesVariable(env)]] as const) {
    const v = text(env, name, WIDTH[field]);
    if (isFail(v)) return v;
    lease[field] = v;
  }
  if (live) {
    const r = fillLive(lease, env);
    if (r) return r;
  }
  const msg: DhcpV4Message = { version: 4, ifname: ifname!, dhcpv4: lease };
  return { ok: true, msg };
}

function fillLive(lease: ReturnType<typeof emptyV4Lease>, env: Env): Fail | undefined {
  for (const [field, name] of [['address', 'ip'], ['netmask', 'subnet']] as const) {
    const v = env[name];
    if (v === undefined || v === '') return fail(name, 'is missing or empty on a bound/renew event');
    if (!isIPv4(v)) return fail(name, `"${v}" is not an IPv4 address`);
    lease[field] = v;
  }
  const gw = text(env, 'router', WIDTH.gateway);
  if (isFail(gw)) return gw;
  lease.gateway = gw;
  const dns = (env.dns ?? '').split(/\s+/).filter((t) => t !== '');
  for (const [i, field] of [[0, 'dnsServer'], [1, 'dnsServer1']] as const) {
    const t = dns[i];
    if (t === undefined) continue;
    if (!isIPv4(t)) return fail('dns', `token ${i + 1} "${t}" is not an IPv4 address`);
    lease[field] = t;
  }
  const lt = u32(env, 'lease');
  if (isFail(lt)) return lt;
  lease.leaseTime = lt;
  const t1 = timer(env, 'renewaltime', 'opt58');
  if (isFail(t1)) return t1;
  lease.renewalTime = t1;
  const t2 = timer(env, 'rebindingtime', 'opt59');
  if (isFail(t2)) return t2;
  lease.rebindingTime = t2;
  const tz = text(env, 'timezone', WIDTH.timeZone);
  if (isFail(tz)) return tz;
  lease.timeZone = tz;
  const off = env.timeoffset !== undefined ? { name: 'timeoffset', v: env.timeoffset } : env.timezone !== undefined ? { name: 'timezone', v: env.timezone } : undefined;
  if (off) {
    const n = off.v === '' && off.name === 'timeoffset' ? 0 : parseDecimal(off.v, -0x80000000, 0x7fffffff);
    if (n === undefined) {
      // A non-numeric timezone is a TZ string, kept in timeZone only; a bad timeoffset is an error.
      if (off.name === 'timeoffset') return fail('timeoffset', `"${off.v}" is not a decimal integer -2147483648..2147483647`);
    } else {
      lease.timeOffset = n;
      lease.isTimeOffsetAssigned = true;
    }
  }
  for (const [field, name] of [['upstreamCurrRate', 'upstreamrate'], ['downstreamCurrRate', 'downstreamrate']] as const) {
    const v = u32(env, name);
    if (isFail(v)) return v;
    lease[field] = v;
  }
  if (env.mtu !== undefined && env.mtu !== '') {
    const m = parseDecimal(env.mtu, 68, 65535);
    if (m === undefined) return fail('mtu', `"${env.mtu}" is not an MTU 68..65535`);
    lease.mtuAssigned = true;
    lease.mtuSize = m;
  }
  return undefined;
}
