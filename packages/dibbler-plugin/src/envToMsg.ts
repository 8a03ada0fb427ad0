/**
 * dibbler-client notify-script environment -> DHCPv6 PLUGIN_MSG, with no I/O.
 *
 * Mirrors the C dibbler plugin's mapping (spec section 3) with these deliberate differences
 * (docs/plugins.md):
 * - several ADDRn / PREFIXn: the live entry is the one with the largest valid lifetime, ties to
 *   the lowest n, never one whose valid lifetime is 0 (the C plugin always takes n = 1); its
 *   IAID/lifetimes/T1/T2 come from the same n;
 * - trailing whitespace of list values (dibbler appends a space) is dropped;
 * - calls without IFACE (stock `expire`) use the configured interface, else they are rejected;
 * - values the C plugin would cut or misread are rejected, except SRV_OPTION17 whose Data keeps
 *   its first 255 bytes with Length = the whole value's length, as the C plugin sends it.
 */
import { DhcpV6Message, checkIfname, emptyV6Lease } from '@dhcpmgr/plugin-msg';
import { EnvToMsgResult, U32_MAX, isCStringText, isDottedQuad, parseDecimal } from '@dhcpmgr/plugin-msg/runtime';

// Accepts exactly what Node's net.isIPv6 accepts (eight hex groups of 1-4 digits, one `::` standing
// for at least one group, a dotted quad as the last two groups, an optional %zone), without its
// pattern: that one regular expression is slow to compile on every event, and importing `net`
// for it loads the sockets stack as well (docs/performance.md, plugin start-up). The dotted quad
// is checked by hand for the same reason (isDottedQuad).
const HEX4 = /^[0-9a-fA-F]{1,4}$/;
const ZONE = /^[0-9a-zA-Z.:-]+$/;
function isIPv6(s: string): boolean {
  let a = s;
  const pct = s.indexOf('%');
  if (pct >= 0) {
    if (!ZONE.test(s.slice(pct + 1))) return false;
    a = s.slice(0, pct);
  }
  const dbl = a.indexOf('::');
  if (dbl >= 0 && a.indexOf('::', dbl + 1) >= 0) return false;
  const head = dbl < 0 ? a : a.slice(0, dbl);
  const tail = dbl < 0 ? '' : a.slice(dbl + 2);
  const groups = [...(head === '' ? [] : head.split(':')), ...(tail === '' ? [] : tail.split(':'))];
  if (dbl < 0 && head === '') return false;
  let n = groups.length;
  // A dotted quad only as the very last group (not before a trailing `::`); it counts as two.
  const last = groups[groups.length - 1];
  const quad = last !== undefined && (dbl < 0 || tail !== '') && isDottedQuad(last);
  if (quad) n += 1;
  for (let i = 0; i < groups.length - (quad ? 1 : 0); i++) if (!HEX4.test(groups[i]!)) return false;
  return dbl < 0 ? n === 8 : n <= 7;
}

export const DIBBLER_EVENTS = ['add', 'update', 'delete', 'del', 'expire'] as const;

type Env = Record<string, string | undefined>;
type Fail = { ok: false; variable: string; error: string };
const fail = (variable: string, error: string): Fail => ({ ok: false, variable, error });
const isFail = (x: unknown): x is Fail => typeof x === 'object' && x !== null && (x as Fail).ok === false;

/** Vendor option bytes kept, by design (the C Data array is 256 with a terminator). */
export const VENDOR_DATA_MAX = 255;

function u32(env: Env, name: string): number | Fail {
  const v = env[name];
  if (v === undefined || v.trim() === '') return 0;
  const n = parseDecimal(v, 0, U32_MAX);
  return n === undefined ? fail(name, `"${v}" is not a decimal integer 0..4294967295`) : n;
}

function text(env: Env, name: string, width: number): string | Fail {
  const v = (env[name] ?? '').trimEnd();
  if (v.length > width) return fail(name, `${v.length} bytes do not fit the ${width}-byte field`);
  if (!isCStringText(v)) return fail(name, 'holds a character outside 0x01-0xff');
  return v;
}

interface Entry { n: number; value: string; valid: number }

/**
 * The indexes n present as `${base}n`, with their valid lifetimes, and the live one chosen:
 * largest valid lifetime, ties -> lowest n; entries with valid 0 only when `expiring`.
 */
function choose(env: Env, base: 'ADDR' | 'PREFIX', expiring: boolean): Entry | Fail | undefined {
  const re = new RegExp(`^${base}(\\d{1,4})$`);
  const entries: Entry[] = [];
  for (const key of Object.keys(env)) {
    const m = re.exec(key);
    if (!m || env[key] === undefined || env[key]!.trim() === '') continue;
    const n = Number(m[1]);
    const valid = u32(env, `${base}${n}VALID`);
    if (isFail(valid)) return valid;
    entries.push({ n, value: env[key]!.trim(), valid });
  }
  entries.sort((a, b) => b.valid - a.valid || a.n - b.n);
  const best = entries[0];
  if (!best || (best.valid === 0 && !expiring)) return undefined;
  return best;
}

export function envToMsg(event: string, env: Env, opts: { ifname?: string } = {}): EnvToMsgResult {
  const expiring = event === 'delete' || event === 'del' || event === 'expire';
  if (!expiring && event !== 'add' && event !== 'update') {
    return { ok: 'ignore', reason: `dibbler event "${event}" carries no lease change` };
  }
  const given = env.IFACE?.trim();
  const ifname = given || opts.ifname;
  const bad = checkIfname(ifname);
  if (bad) return fail('IFACE', given || !expiring ? bad : `${bad} (set DHCPMGR_IFNAME for ${event} calls without IFACE)`);
  const lease = emptyV6Lease();
  lease.ifname = ifname!;
  lease.isExpired = expiring;

  const na = choose(env, 'ADDR', expiring);
  if (isFail(na)) return na;
  const pd = choose(env, 'PREFIX', expiring);
  if (isFail(pd)) return pd;
  // Without an entry the numbers still come from n = 1 when set, as the C plugin copies them.
  const naN = na?.n ?? 1;
  const pdN = pd?.n ?? 1;
  if (na) {
    if (!isIPv6(na.value)) return fail(`ADDR${na.n}`, `"${na.value}" is not an IPv6 address`);
    lease.iaNa.assigned = true;
    lease.iaNa.address = na.value;
  }
  for (const [field, suffix] of [['iaid', 'IAID'], ['preferredLifetime', 'PREF'], ['validLifetime', 'VALID'], ['t1', 'T1'], ['t2', 'T2']] as const) {
    const a = u32(env, `ADDR${naN}${suffix}`);
    if (isFail(a)) return a;
    lease.iaNa[field] = a;
    const p = u32(env, `PREFIX${pdN}${suffix}`);
    if (isFail(p)) return p;
    lease.iaPd[field] = p;
  }
  if (pd) {
    if (!isIPv6(pd.value)) return fail(`PREFIX${pd.n}`, `"${pd.value}" is not an IPv6 prefix`);
    lease.iaPd.assigned = true;
    lease.iaPd.prefix = pd.value;
  }
  const lenVar = `PREFIX${pdN}LEN`;
  if (env[lenVar] !== undefined && env[lenVar]!.trim() !== '') {
    const len = parseDecimal(env[lenVar]!, 0, 128);
    if (len === undefined) return fail(lenVar, `"${env[lenVar]}" is not a prefix length 0..128`);
    lease.iaPd.prefixLength = len;
  }

  const r = fillOptions(lease, env);
  if (r) return r;
  const msg: DhcpV6Message = { version: 6, ifname: ifname!, dhcpv6: lease };
  return { ok: true, msg };
}

function fillOptions(lease: ReturnType<typeof emptyV6Lease>, env: Env): Fail | undefined {
  if (env.SRV_OPTION23 !== undefined) {
    lease.dns.assigned = true;
    const servers = env.SRV_OPTION23.split(/\s+/).filter((t) => t !== '');
    for (const [i, field] of [[0, 'nameserver'], [1, 'nameserver1']] as const) {
      const t = servers[i];
      if (t === undefined) continue;
      if (!isIPv6(t)) return fail('SRV_OPTION23', `server ${i + 1} "${t}" is not an IPv6 address`);
      lease.dns[field] = t;
    }
  }
  const simple = [['domainName', 'SRV_OPTION24', 64], ['ntpServer', 'SRV_OPTION31', 128], ['aftr', 'SRV_OPTION64', 256]] as const;
  for (const [field, name, width] of simple) {
    const v = text(env, name, width);
    if (isFail(v)) return v;
    lease[field] = v;
  }
  if (env.SRV_OPTION95 !== undefined) {
    const v = text(env, 'SRV_OPTION95', 256);
    if (isFail(v)) return v;
    lease.mapt.assigned = true;
    lease.mapt.container = v;
  }
  if (env.SRV_OPTION17 !== undefined) {
    const whole = env.SRV_OPTION17.trimEnd();
    if (!isCStringText(whole)) return fail('SRV_OPTION17', 'holds a character outside 0x01-0xff');
    lease.vendor.assigned = true;
    lease.vendor.data = whole.slice(0, VENDOR_DATA_MAX); // by design: see VENDOR_DATA_MAX
    lease.vendor.length = whole.length;
  }
  return undefined;
}
