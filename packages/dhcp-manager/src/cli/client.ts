/**
 * Client commands: read the daemon's HTTP API and print a table (or JSON with --json).
 * node:http only, so `dhcp-manager get` starts about as fast as bare node.
 */
import { request } from 'http';
import type { Io } from './index';
import { duration, table } from './table';

export class ClientError extends Error {}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string | number>;
  body?: string;
  timeoutMs?: number;
}

/** One request to the daemon's HTTP API (`set` PATCHes through it too); the answer's body as
 * parsed JSON, or as text when it is not JSON. */
export function fetchJson(base: string, path: string, opts: RequestOptions = {}): Promise<{ status: number; body: unknown }> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(path, base);
    } catch {
      reject(new ClientError(`Invalid --url ${JSON.stringify(base)}: expected http://HOST:PORT`));
      return;
    }
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: text });
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => reject(new ClientError(`cannot reach dhcp-manager at ${base}: ${err.message}`)));
    req.end(opts.body);
  });
}

async function call(base: string, path: string, io: Io): Promise<unknown> {
  const r = await fetchJson(base, path);
  if (r.status !== 200) {
    const msg = (r.body as { error?: string })?.error ?? JSON.stringify(r.body);
    io.stderr(`dhcp-manager: ${msg}\n`);
    return undefined;
  }
  return r.body;
}

function guard(fn: () => Promise<number>, io: Io): Promise<number> {
  return fn().catch((err: Error) => {
    io.stderr(`dhcp-manager: ${err.message}\n`);
    return 1;
  });
}

export function status(base: string, json: boolean, io: Io): Promise<number> {
  return guard(async () => {
    const s = (await call(base, '/api/v1/status', io)) as Record<string, any> | undefined;
    if (!s) return 1;
    if (json) return io.stdout(`${JSON.stringify(s, null, 2)}\n`), 0;
    const e = s.engine ?? {};
    const rows: Array<[string, unknown]> = [
      ['version', s.version], ['pid', s.pid], ['uptime', duration(s.uptimeSeconds)], ['apply', s.apply],
      ...Object.entries(s.endpoints ?? {}).map(([k, v]) => [k, v] as [string, unknown]),
      ['store', `${e.storePath ?? '?'} (${e.storeHealthy === false ? 'UNHEALTHY' : 'ok'})`],
      ['interfaces', e.interfaces], ['active leases', `v4 ${e.activeLeases?.v4 ?? 0}, v6 ${e.activeLeases?.v6 ?? 0}`],
      ['applied', e.applied], ['duplicates', e.duplicates], ['stale', e.stale], ['unavailable', e.unavailable], ['expired', e.expired],
      ['rejected', Object.entries(e.rejected ?? {}).map(([k, v]) => `${k}=${v}`).join(' ') || '0'],
      ['queue depth', s.queueDepth],
      ...(Object.keys(s.overloadByInterface ?? {}).length ? [['overload by interface', Object.entries(s.overloadByInterface).map(([k, v]) => `${k}=${v}`).join(' ')] as [string, unknown]] : []),
      ...(s.mqtt ? [['mqtt', `${s.mqtt.connected ? 'connected' : 'NOT connected'} to ${s.mqtt.url}, outbox ${s.mqtt.outboxDepth}/${s.mqtt.outboxLimit}, dropped ${s.mqtt.dropped}${s.mqtt.connected || !s.mqtt.lastError ? '' : `; ${s.mqtt.lastError.message}`}`] as [string, unknown]] : []),
      ...Object.entries(s.counters ?? {}).map(([k, v]) => [k, v] as [string, unknown]),
    ];
    io.stdout(table(['field', 'value'], rows.map(([k, v]) => [k, v === undefined ? '' : String(v)])));
    const clients = (s.clients ?? []) as Array<{ client: string; interface: string; status: string; pid: number; detail: string }>;
    if (clients.length) io.stdout(`\nclients:\n${table(['client', 'interface', 'status', 'pid', 'detail'], clients.map((c) => [c.client, c.interface, c.status, c.pid ? String(c.pid) : '', c.detail]))}`);
    const errors = (s.lastErrors ?? []) as Array<{ time: number; where: string; message: string }>;
    if (errors.length) io.stdout(`\nlast errors:\n${table(['time', 'where', 'message'], errors.map((x) => [new Date(x.time).toISOString(), x.where, x.message]))}`);
    return 0;
  }, io);
}

export function get(base: string, paths: string[], json: boolean, io: Io): Promise<number> {
  return guard(async () => {
    const q = paths.map((p) => `path=${encodeURIComponent(p)}`).join('&');
    const r = (await call(base, `/api/v1/tr181?${q}`, io)) as { values: Array<{ path: string; value: unknown; type: string }> } | undefined;
    if (!r) return 1;
    if (json) io.stdout(`${JSON.stringify(r.values, null, 2)}\n`);
    else io.stdout(table(['path', 'value', 'type'], r.values.map((v) => [v.path, String(v.value), v.type])));
    return 0;
  }, io);
}

export function leases(base: string, json: boolean, io: Io): Promise<number> {
  return guard(async () => {
    const r = (await call(base, '/api/v1/leases', io)) as { leases: any[] } | undefined;
    if (!r) return 1;
    if (json) return io.stdout(`${JSON.stringify(r.leases, null, 2)}\n`), 0;
    const rows: Array<Array<string | number>> = [];
    for (const l of r.leases) {
      const addrs = (l.addresses ?? []) as Array<{ kind: string; value: string; preferredRemaining: number; validRemaining: number }>;
      if (addrs.length === 0) rows.push([l.ifname, `v${l.version}`, l.instance, l.status, l.state, '', '', '', (l.dnsServers ?? []).join(' ')]);
      for (const a of addrs) {
        rows.push([l.ifname, `v${l.version}`, l.instance, l.status, l.state, `${a.kind} ${a.value}`, duration(a.preferredRemaining), duration(a.validRemaining), (l.dnsServers ?? []).join(' ')]);
      }
    }
    io.stdout(table(['ifname', 'ver', 'inst', 'status', 'state', 'address', 'preferred', 'valid', 'dns'], rows));
    return 0;
  }, io);
}

export function history(base: string, ifname: string | undefined, limit: number | undefined, json: boolean, io: Io): Promise<number> {
  return guard(async () => {
    const q = new URLSearchParams();
    if (ifname) q.set('if', ifname);
    if (limit !== undefined) q.set('limit', String(limit));
    const r = (await call(base, `/api/v1/history?${q}`, io)) as { events: any[] } | undefined;
    if (!r) return 1;
    if (json) return io.stdout(`${JSON.stringify(r.events, null, 2)}\n`), 0;
    io.stdout(table(['time', 'ifname', 'ver', 'event', 'cause', 'tr181'], r.events.map((e) =>
      [new Date(e.time).toISOString(), e.ifname, `v${e.version}`, `${e.msgTypeName}(${e.msgType})`, e.cause, e.tr181Event])));
    return 0;
  }, io);
}
