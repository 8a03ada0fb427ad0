/** Small helpers that make the suite say what it asserted, and find TR-181 values by name. */
import { Params } from './manager';

/** Print one line per assertion made, so a CI log shows what was proven. */
export function asserted(line: string): void {
  console.log(`ASSERT ${line}`);
}

/** The single value whose path ends with `.name` under `prefix`; throws if absent or ambiguous. */
export function param(params: Params, prefix: string, name: string): string | number | boolean {
  const hits = Object.keys(params).filter((k) => k.startsWith(prefix) && k.endsWith(`.${name}`) && !k.slice(prefix.length).slice(0, -name.length - 1).includes('.'));
  if (hits.length !== 1) throw new Error(`expected one ${prefix}*.${name}, found ${hits.length}: ${JSON.stringify(Object.keys(params).slice(0, 40))}`);
  return params[hits[0]!]!;
}

/** All object instances (`Device.IP.Interface.1.IPv6Address.2.`) under `table` with their params. */
export function instances(params: Params, table: string): Array<{ base: string; p: Record<string, string | number | boolean> }> {
  const by = new Map<string, Record<string, string | number | boolean>>();
  const re = new RegExp(`^(${table.replace(/[.]/g, '\\.').replace(/\{i\}/g, '\\d+')}\\d+\\.)([A-Za-z][\\w]*)$`);
  for (const [k, v] of Object.entries(params)) {
    const m = re.exec(k);
    if (!m) continue;
    const o = by.get(m[1]!) ?? {};
    o[m[2]!] = v;
    by.set(m[1]!, o);
  }
  return [...by.entries()].map(([base, p]) => ({ base, p }));
}

/** Seconds left of a TR-181 lifetime: a count (seconds) or an absolute dateTime. */
export function secondsLeft(v: string | number | boolean | undefined): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  if (typeof v === 'string') {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return (t - Date.now()) / 1000;
  }
  throw new Error(`not a lifetime: ${JSON.stringify(v)}`);
}

/** When a lifetime ends, as ms since epoch (exact for a dateTime, +-1 s of CLI latency for a count). */
export function endsAt(v: string | number | boolean | undefined): number {
  if (typeof v === 'string' && !/^\d+$/.test(v) && !Number.isNaN(Date.parse(v))) return Date.parse(v);
  return Date.now() + secondsLeft(v) * 1000;
}
