/**
 * The DHCPv4 static routes as they reach the manager: the PLUGIN_MSG `staticRoutes` text
 * (char[64]). busybox udhcpc exports option 121 as `staticroutes` and option 249 as
 * `msstaticroutes`, both as `DST/LEN GW` pairs; option 33 as `routes`, as `DST/GW` pairs. The C
 * layout has only this one field: the udhcpc plugin fills it from `staticroutes`, else
 * `msstaticroutes`, else `routes` (docs/plugins.md), and the two syntaxes tell which it was.
 * Pure: parsing and classful masks only.
 */

export interface StaticRoute {
  /** `a.b.c.d/len`, network bits only. */
  dst: string;
  /** Next hop; '0.0.0.0' in a classless route means "on the link" (RFC 3442). */
  via: string;
}

export interface ParsedRoutes {
  /** Options 121/249: when non-empty the router option is not used for the default route (RFC 3442). */
  classless: StaticRoute[];
  /** Option 33 (RFC 2132 5.8): never a default route. */
  classful: StaticRoute[];
  /** Tokens that were not understood (logged, not applied). */
  bad: string[];
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function ipv4ToInt(a: string): number {
  return a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function network(addr: string, len: number): string {
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return `${intToIpv4((ipv4ToInt(addr) & mask) >>> 0)}/${len}`;
}

/**
 * Option 33 destinations carry no mask: the classful one (A /8, B /16, C /24), or a host route
 * (/32) when the address has bits outside that mask, as dhclient and the RFC's "host" reading do.
 */
export function classfulLength(addr: string): number {
  const n = ipv4ToInt(addr);
  const first = n >>> 24;
  const len = first < 128 ? 8 : first < 192 ? 16 : 24;
  const host = 2 ** (32 - len) - 1;
  return (n & host) === 0 ? len : 32;
}

export function parseStaticRoutes(text: string): ParsedRoutes {
  const out: ParsedRoutes = { classless: [], classful: [], bad: [] };
  const t = text.split(/\s+/).filter(Boolean);
  for (let i = 0; i < t.length; i++) {
    const tok = t[i]!;
    const pair = /^([\d.]+)\/([\d.]+)$/.exec(tok);
    if (pair && IPV4.test(pair[1]!) && IPV4.test(pair[2]!)) {
      // Option 33: DST/GW. 0.0.0.0 is illegal as a destination (RFC 2132 5.8).
      if (pair[1] === '0.0.0.0') out.bad.push(tok);
      else out.classful.push({ dst: network(pair[1]!, classfulLength(pair[1]!)), via: pair[2]! });
      continue;
    }
    const cl = /^([\d.]+)\/(\d{1,2})$/.exec(tok);
    const gw = t[i + 1];
    if (cl && IPV4.test(cl[1]!) && Number(cl[2]) <= 32 && gw !== undefined && IPV4.test(gw)) {
      out.classless.push({ dst: network(cl[1]!, Number(cl[2])), via: gw });
      i++;
      continue;
    }
    out.bad.push(tok);
  }
  return out;
}
