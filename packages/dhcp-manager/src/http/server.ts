/**
 * The HTTP API (node:http, no framework). Loopback by default; every GET reads the engine. The
 * one write, PATCH /api/v1/tr181 with a JSON object of path -> value, needs
 * `Authorization: Bearer <token>` (--api-token-file) and goes to `write.set` (all or nothing).
 *   /api/v1/tr181?path=P[&path=P2]  /api/v1/leases  /api/v1/history?if=NAME&limit=N
 *   /api/v1/status  /metrics  /healthz
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'http';

export interface ApiSource {
  get(paths: string[]): { ok: true; values: unknown[] } | { ok: false; error: string };
  leases(): unknown[];
  history(ifname?: string, limit?: number): unknown[];
  status(): unknown;
  metrics(): Promise<{ contentType: string; body: string }>;
  write?: {
    authorize(token: string | undefined): 'ok' | 'missing' | 'bad' | 'disabled';
    set(values: Record<string, unknown>): Promise<{ ok: true; applied: string[] } | { ok: false; errors: Array<{ path: string; error: string }> }>;
  };
}

/** Largest PATCH body read (a write has at most a few hundred parameters). */
export const MAX_WRITE_BODY = 64 * 1024;

function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Past `max` the rest is read and dropped (the sender already proved its token), so the 413
    // reaches it instead of a reset connection.
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) chunks.push(c);
    });
    req.on('end', () => resolve(size > max ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function patchTr181(api: ApiSource, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const auth = req.headers.authorization;
  const m = typeof auth === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  const verdict = api.write ? api.write.authorize(m ? m[1] : undefined) : 'disabled';
  if (verdict === 'disabled') return send(res, 403, { error: 'writes are disabled: start the daemon with --api-token-file FILE' });
  if (verdict === 'missing') {
    res.setHeader('www-authenticate', 'Bearer');
    return send(res, 401, { error: 'a write needs Authorization: Bearer <token> (the token in the daemon\'s --api-token-file)' });
  }
  if (verdict === 'bad') return send(res, 403, { error: 'bad bearer token' });
  const text = await readBody(req, MAX_WRITE_BODY);
  if (text === undefined) return send(res, 413, { error: `body larger than ${MAX_WRITE_BODY} bytes` });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return send(res, 400, { error: `body is not JSON: ${(err as Error).message}` });
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return send(res, 400, { error: 'body must be a JSON object of TR-181 path -> value' });
  const r = await api.write!.set(body as Record<string, unknown>);
  return r.ok ? send(res, 200, { applied: r.applied }) : send(res, 400, { errors: r.errors });
}

function send(res: ServerResponse, code: number, body: unknown, type = 'application/json'): void {
  const text = type === 'application/json' ? `${JSON.stringify(body)}\n` : String(body);
  res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

async function route(api: ApiSource, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const known = ['/api/v1/tr181', '/api/v1/leases', '/api/v1/history', '/api/v1/status', '/metrics', '/healthz'];
  if (!known.includes(url.pathname)) return send(res, 404, { error: `no such resource: ${url.pathname}` });
  if (req.method === 'PATCH' && url.pathname === '/api/v1/tr181') return patchTr181(api, req, res);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', url.pathname === '/api/v1/tr181' ? 'GET, HEAD, PATCH' : 'GET, HEAD');
    return send(res, 405, { error: `${req.method} is not allowed; this API is read-only` });
  }
  switch (url.pathname) {
    case '/api/v1/tr181': {
      const paths = url.searchParams.getAll('path');
      if (paths.length === 0) return send(res, 400, { error: 'give at least one path parameter, e.g. ?path=Device.DHCPv4.Client.' });
      const r = api.get(paths);
      return r.ok ? send(res, 200, { values: r.values }) : send(res, 404, { error: r.error });
    }
    case '/api/v1/leases':
      return send(res, 200, { leases: api.leases() });
    case '/api/v1/history': {
      const limitText = url.searchParams.get('limit');
      const limit = limitText === null ? undefined : Number(limitText);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) return send(res, 400, { error: `limit ${JSON.stringify(limitText)}: expected a positive integer` });
      return send(res, 200, { events: api.history(url.searchParams.get('if') ?? undefined, limit) });
    }
    case '/api/v1/status':
      return send(res, 200, api.status());
    case '/metrics': {
      const m = await api.metrics();
      return send(res, 200, m.body, m.contentType);
    }
    default:
      return send(res, 200, 'ok\n', 'text/plain');
  }
}

export function startHttp(api: ApiSource, host: string, port: number, onError: (err: Error) => void): Promise<Server> {
  const server = createServer((req, res) => {
    route(api, req, res).catch((err: Error) => {
      onError(err);
      if (!res.headersSent) send(res, 500, { error: err.message });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 1000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      server.on('error', onError);
      resolve(server);
    });
  });
}

export function stopHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
