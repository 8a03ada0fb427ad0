/**
 * A TR-181 write against the client table, all or nothing: every path is resolved and every
 * value type- and range-checked on a copy of the table; any error leaves the table untouched and
 * lists every failing path. A good write returns the new table and what must happen (which
 * clients changed, which must renew); the caller commits the table, then acts.
 */
import { ENTRY_PARAMS, V4_PARAMS, V6_PARAMS, coerce } from './params';
import type { ClientParam, EntryParam } from './params';
import { ClientConfig, ClientTable, clientKey } from './table';

export interface WriteError { path: string; error: string }

export type WritePlan =
  | { ok: true; table: ClientTable; applied: string[]; changed: string[]; renew: string[] }
  | { ok: false; errors: WriteError[] };

export const MAX_WRITE_PARAMS = 256;

function cloneTable(t: ClientTable): ClientTable {
  return JSON.parse(JSON.stringify(t)) as ClientTable;
}

const PATH = /^Device\.DHCPv([46])\.Client\.(\d{1,5})\.(?:(ReqOption|SentOption)\.(\d{1,3})\.)?([A-Za-z0-9_]+)$/;

interface Target { client: ClientConfig; param: { name: string; type: ClientParam<ClientConfig>['type']; check?: (v: never) => string | undefined; action?: boolean }; put: (v: never) => void }

function resolve(table: ClientTable, path: string, exists: (path: string) => boolean): Target | string {
  const m = PATH.exec(path);
  if (!m) return path.startsWith('Device.') ? 'unknown parameter (only Device.DHCPv4.Client.{i}. and Device.DHCPv6.Client.{i}. parameters are writable)' : 'unknown path';
  const version = Number(m[1]) as 4 | 6;
  const instance = Number(m[2]);
  const client = (version === 4 ? table.dhcpv4 : table.dhcpv6).find((c) => c.instance === instance);
  if (!client) return `no such object: Device.DHCPv${version}.Client.${instance}. is not in the client table`;
  const [, , , entryKind, entryNo, name] = m;
  if (entryKind) {
    if (version !== 4) return 'unknown parameter';
    const entries = (entryKind === 'ReqOption' ? (client as { reqOptions: unknown[] }).reqOptions : (client as { sentOptions: unknown[] }).sentOptions) as Array<Parameters<EntryParam['get']>[0]>;
    const entry = entries[Number(entryNo) - 1];
    if (!entry) return `no such object: ${entryKind}.${entryNo}. (entries are added in the config file)`;
    const p = ENTRY_PARAMS[entryKind as 'ReqOption' | 'SentOption'].find((x) => x.name === name);
    if (!p) return 'unknown parameter';
    return { client, param: p, put: (v) => p.set(entry, v) };
  }
  const params = (version === 4 ? V4_PARAMS : V6_PARAMS) as ReadonlyArray<ClientParam<ClientConfig>>;
  const p = params.find((x) => x.name === name);
  if (!p) return exists(path) ? 'parameter is read-only' : 'unknown parameter';
  if (!p.set) return 'parameter is read-only';
  return { client, param: p, put: (v) => p.set!(client, v) };
}

/**
 * Plan a write of `values` (path -> value); never throws on bad input. `exists` tells a
 * read-only parameter (one the tree renders) from an unknown one, for the error message.
 */
export function planWrite(current: ClientTable, values: unknown, exists: (path: string) => boolean = () => false): WritePlan {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) return { ok: false, errors: [{ path: '', error: 'expected a JSON object of TR-181 path -> value' }] };
  const entries = Object.entries(values as Record<string, unknown>);
  if (entries.length === 0) return { ok: false, errors: [{ path: '', error: 'no parameter given' }] };
  if (entries.length > MAX_WRITE_PARAMS) return { ok: false, errors: [{ path: '', error: `${entries.length} parameters; at most ${MAX_WRITE_PARAMS} in one write` }] };
  const table = cloneTable(current);
  const errors: WriteError[] = [];
  const changed = new Set<string>();
  const renew = new Set<string>();
  for (const [path, raw] of entries) {
    const t = resolve(table, path, exists);
    if (typeof t === 'string') { errors.push({ path, error: t }); continue; }
    const typed = coerce(t.param.type, raw);
    if (!typed.ok) { errors.push({ path, error: `wrong type: ${typed.error}` }); continue; }
    const problem = t.param.check?.(typed.value as never);
    if (problem) { errors.push({ path, error: `out of range: ${JSON.stringify(typed.value)}: ${problem}` }); continue; }
    const key = clientKey(t.client);
    if (t.param.action) { if (typed.value === true) renew.add(key); continue; }
    t.put(typed.value as never);
    changed.add(key);
  }
  for (const key of renew) {
    const c = [...table.dhcpv4, ...table.dhcpv6].find((x) => clientKey(x) === key)!;
    if (!c.enable) errors.push({ path: `Device.DHCPv${c.version}.Client.${c.instance}.Renew`, error: 'the client is disabled (set Enable=true first)' });
  }
  if (errors.length > 0) return { ok: false, errors };
  const before = new Map([...current.dhcpv4, ...current.dhcpv6].map((c) => [clientKey(c), JSON.stringify(c)]));
  const reallyChanged = [...changed].filter((k) => before.get(k) !== JSON.stringify([...table.dhcpv4, ...table.dhcpv6].find((c) => clientKey(c) === k)));
  return { ok: true, table, applied: entries.map(([p]) => p), changed: reallyChanged, renew: [...renew] };
}
