/**
 * The read-only HTTP API (node:http, no framework). Loopback by default; every route is a GET
 * that reads the engine; there is nothing here that changes state.
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
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
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
