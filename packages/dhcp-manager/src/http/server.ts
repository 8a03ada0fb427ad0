/**
 * The HTTP API on Node's own `http` module: a table of exact paths, each with its GET (HEAD runs
 * the same handler and sends the headers only) and, for the TR-181 path, PATCH. Loopback by default.
 *   GET  /api/v1/tr181?path=P[&path=P2]  /api/v1/leases  /api/v1/history?if=NAME&limit=N
 *   GET  /api/v1/status  /metrics  /healthz
 *   PATCH /api/v1/tr181   (bearer token; only when the api has `write`)
 *   GET  /api/v1/events/stream  (server-sent events; only when the api has `subscribe`)
 *   GET  /  and /page/*   (the status page; only with `{ page: true }`)
 * A known path with another method is 405 with `allow`, any other path 404, every error an
 * `{ error }` body. Nine fixed routes and three inputs need no framework, whose schema compiler
 * alone would cost the daemon megabytes of private memory (docs/architecture.md, "Decisions").
 * The daemon requires this module only when --http is given.
 */
import { createServer, IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'http';
import { openStream, StreamItem } from './stream';
import { loadPageAssets, renderPage } from './page/render';

export type WriteResult = { ok: true; applied: string[] } | { ok: false; errors: Array<{ path: string; error: string }> };

/** Writes to the TR-181 model; `authorize` checks the bearer token before `set` is called. */
export interface ApiWrite {
  authorize(token: string | undefined): 'ok' | 'missing' | 'bad' | 'disabled';
  set(values: Record<string, unknown>): Promise<WriteResult>;
}

export interface ApiSource {
  get(paths: string[]): { ok: true; values: unknown[] } | { ok: false; error: string };
  leases(): unknown[];
  history(ifname?: string, limit?: number): unknown[];
  status(): unknown;
  metrics(): Promise<{ contentType: string; body: string }>;
  write?: ApiWrite;
  /** Live events for the SSE stream (every lease event and reject); returns the unsubscribe. */
  subscribe?(listener: (item: StreamItem) => void): () => void;
}

export interface HttpOptions {
  /** Serve the status page on `/` (the daemon does; the bare API test does not). */
  page?: boolean;
  /** Comment lines on idle event streams, so proxies and the browser keep the connection. */
  heartbeatMs?: number;
}

/** The largest PATCH body accepted (413 above it). */
export const MAX_WRITE_BODY = 64 * 1024;

const JSON_TYPE = 'application/json; charset=utf-8';

/** `query` is the raw text after `?` ('' for none). */
type Handler = (req: IncomingMessage, res: ServerResponse, query: string) => Promise<void> | void;

interface Route {
  get: Handler;
  /** GET also answers HEAD (not on the event stream: a HEAD would hold its connection for nothing). */
  head: boolean;
  patch?: Handler;
  /** The 405 message for another method. */
  refuse: (method: string) => string;
}

/** A JSON body is `JSON.stringify(body)` and a newline; HEAD gets the same headers and no body. */
function send(res: ServerResponse, code: number, body: unknown, type = JSON_TYPE, headers: OutgoingHttpHeaders = {}): void {
  const text = type === JSON_TYPE ? `${JSON.stringify(body)}\n` : String(body);
  res.writeHead(code, { ...headers, 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

const readOnly = (method: string): string => `${method} is not allowed; this API is read-only`;

/** `limit`: a positive integer, written as JavaScript reads a number (`5`, ` 5`, `5.0`, `5e0`). */
function positiveInteger(raw: string): number | undefined {
  const n = raw.trim() === '' ? NaN : Number(raw);
  return Number.isInteger(n) && n >= 1 ? n : undefined;
}

function readRoutes(api: ApiSource): Array<[string, Handler]> {
  return [
    ['/api/v1/tr181', (_req, res, query) => {
      const paths = new URLSearchParams(query).getAll('path');
      if (paths.length === 0 || paths.includes('')) return send(res, 400, { error: 'give at least one path parameter, e.g. ?path=Device.DHCPv4.Client.' });
      const r = api.get(paths);
      return r.ok ? send(res, 200, { values: r.values }) : send(res, 404, { error: r.error });
    }],
    ['/api/v1/leases', (_req, res) => send(res, 200, { leases: api.leases() })],
    ['/api/v1/history', (_req, res, query) => {
      const q = new URLSearchParams(query);
      const ifs = q.getAll('if');
      if (ifs.length > 1) return send(res, 400, { error: `if: expected one interface name, got ${ifs.length}` });
      const limits = q.getAll('limit');
      const limit = limits.length === 1 ? positiveInteger(limits[0]!) : undefined;
      if (limits.length > 0 && limit === undefined) return send(res, 400, { error: `limit ${JSON.stringify(limits[0])}: expected a positive integer` });
      return send(res, 200, { events: api.history(ifs[0], limit) });
    }],
    ['/api/v1/status', (_req, res) => send(res, 200, api.status())],
    ['/metrics', async (_req, res) => {
      const m = await api.metrics();
      send(res, 200, m.body, m.contentType);
    }],
    ['/healthz', (_req, res) => send(res, 200, 'ok\n', 'text/plain')],
  ];
}

/** The token of an `Authorization: Bearer <token>` header; undefined for no header or another scheme. */
function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
  return m ? m[1] : undefined;
}

/**
 * The request body as UTF-8 text; 'too-large' as soon as it passes `limit` bytes (by its
 * content-length, or counted while it arrives: the rest is not kept); 'gone' if the client left.
 */
function readBody(req: IncomingMessage, limit: number): Promise<string | 'too-large' | 'gone'> {
  if (Number(req.headers['content-length']) > limit) return Promise.resolve('too-large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (r: string | 'too-large' | 'gone'): void => {
      req.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onGone);
      resolve(r);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) finish('too-large');
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish(Buffer.concat(chunks, size).toString('utf8'));
    const onGone = (): void => finish('gone');
    req.on('data', onData).on('end', onEnd).on('error', onGone).on('close', onGone);
  });
}

/** Why `body` is not a write (a JSON object of one or more `Device.` paths), or undefined if it is one. */
function badWrite(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body must be an object';
  const keys = Object.keys(body);
  if (keys.length === 0) return 'body must have at least 1 property';
  const other = keys.find((k) => !k.startsWith('Device.'));
  return other === undefined ? undefined : `property name ${JSON.stringify(other)} must start with "Device."`;
}

/**
 * PATCH /api/v1/tr181. The token is checked when the request arrives, before its body is read or
 * parsed, so a sender without a valid token learns nothing about body handling. The body is JSON
 * whatever its content type (the CLI sends application/json; curl users often send none).
 */
function writeHandler(api: ApiSource): Handler {
  return async (req, res) => {
    const auth = api.write ? api.write.authorize(bearer(req)) : 'disabled';
    if (auth === 'disabled') return send(res, 403, { error: 'writes are disabled: start the manager with --api-token-file FILE to allow them' });
    if (auth === 'missing') return send(res, 401, { error: 'a write needs "Authorization: Bearer <token>" (the token in the manager\'s --api-token-file)' }, JSON_TYPE, { 'www-authenticate': 'Bearer' });
    if (auth === 'bad') return send(res, 403, { error: 'bad bearer token' });
    const text = await readBody(req, MAX_WRITE_BODY);
    if (text === 'gone') return undefined;
    // The unread rest of the body must not be taken for the next request: close the connection.
    if (text === 'too-large') return send(res, 413, { error: `request body is larger than ${MAX_WRITE_BODY} bytes` }, JSON_TYPE, { connection: 'close' });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      return send(res, 400, { error: `body is not JSON: ${(err as Error).message}` });
    }
    const bad = badWrite(body);
    if (bad) return send(res, 400, { error: `bad body: expected a JSON object of TR-181 paths and values, e.g. {"Device.DHCPv4.Client.1.Enable": false} (${bad})` });
    const r = await api.write!.set(body as Record<string, unknown>);
    return r.ok ? send(res, 200, { applied: r.applied }) : send(res, 400, { errors: r.errors });
  };
}

function pageRoutes(api: ApiSource): Array<[string, Handler]> {
  const assets: Array<[string, Handler]> = [...loadPageAssets()].map(([name, a]) => [`/page/${name}`, (_req, res) => {
    res.writeHead(200, { 'content-type': a.type, 'cache-control': 'no-cache', 'content-length': a.body.length });
    res.end(res.req.method === 'HEAD' ? undefined : a.body);
  }]);
  return [['/', (_req, res) => send(res, 200, renderPage(api, Date.now()), 'text/html; charset=utf-8')], ...assets];
}

function routes(api: ApiSource, opts: HttpOptions): Map<string, Route> {
  const table = new Map<string, Route>();
  for (const [path, get] of readRoutes(api)) table.set(path, { get, head: true, refuse: readOnly });
  Object.assign(table.get('/api/v1/tr181')!, { patch: writeHandler(api), refuse: (m: string) => `${m} is not allowed; use GET to read or PATCH to write` });
  if (api.subscribe) {
    const subscribe = api.subscribe.bind(api);
    const heartbeatMs = opts.heartbeatMs ?? 15000;
    table.set('/api/v1/events/stream', { get: (req, res) => openStream(req, res, subscribe, heartbeatMs), head: false, refuse: readOnly });
  }
  if (opts.page) for (const [path, get] of pageRoutes(api)) table.set(path, { get, head: true, refuse: readOnly });
  return table;
}

/** The path of a request target: origin form (`/p?q`) or absolute form (`http://h/p?q`), percent-decoded. */
function target(url: string): { path: string; query: string } {
  if (!url.startsWith('/')) {
    try {
      const u = new URL(url);
      url = u.pathname + u.search;
    } catch {
      return { path: url, query: '' };
    }
  }
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  let decoded = path;
  try {
    if (path.includes('%')) decoded = decodeURI(path);
  } catch {
    // A malformed escape matches no route; the 404 quotes it as sent.
  }
  return { path: decoded, query: q < 0 ? '' : url.slice(q + 1) };
}

function handle(table: Map<string, Route>, req: IncomingMessage, res: ServerResponse, onError: (err: Error) => void): void {
  const { path, query } = target(req.url ?? '/');
  const route = table.get(path);
  if (!route) return send(res, 404, { error: `no such resource: ${path}` });
  const method = req.method ?? 'GET';
  const handler = method === 'GET' || (method === 'HEAD' && route.head) ? route.get : method === 'PATCH' ? route.patch : undefined;
  if (!handler) {
    const allow = ['GET', ...(route.head ? ['HEAD'] : []), ...(route.patch ? ['PATCH'] : [])].join(', ');
    return send(res, 405, { error: route.refuse(method) }, JSON_TYPE, { allow });
  }
  const fail = (thrown: unknown): void => {
    const err = thrown instanceof Error ? thrown : new Error(String(thrown));
    onError(err);
    if (res.headersSent) res.destroy();
    else send(res, 500, { error: err.message });
  };
  try {
    const done = handler(req, res, query);
    if (done) done.catch(fail);
  } catch (err) {
    fail(err);
  }
}

export async function startHttp(api: ApiSource, host: string, port: number, onError: (err: Error) => void, opts: HttpOptions = {}): Promise<Server> {
  const table = routes(api, opts);
  const server = createServer((req, res) => handle(table, req, res, onError));
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', onError);
  return server;
}

/** Stops listening and closes every connection at once, open event streams included. */
export function stopHttp(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
