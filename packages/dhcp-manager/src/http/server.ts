/**
 * The HTTP API on fastify 5. Loopback by default. Inputs are described by JSON schemas; the
 * handlers map a schema failure to the same `{ error }` bodies the API has always answered.
 *   GET  /api/v1/tr181?path=P[&path=P2]  /api/v1/leases  /api/v1/history?if=NAME&limit=N
 *   GET  /api/v1/status  /metrics  /healthz
 *   PATCH /api/v1/tr181   (bearer token; only when the api has `write`)
 *   GET  /api/v1/events/stream  (server-sent events; only when the api has `subscribe`)
 *   GET  /  and /page/*   (the status page; only with `{ page: true }`)
 * The daemon requires this module only when --http is given, so a manager without HTTP never
 * loads fastify.
 */
import type { Server } from 'http';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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

const READ_ROUTES = ['/api/v1/tr181', '/api/v1/leases', '/api/v1/history', '/api/v1/status', '/metrics', '/healthz'];
const STREAM_ROUTE = '/api/v1/events/stream';

function send(reply: FastifyReply, code: number, body: unknown, type = 'application/json'): FastifyReply {
  const text = type === 'application/json' ? `${JSON.stringify(body)}\n` : String(body);
  return reply.code(code).header('content-type', type).header('cache-control', 'no-store').send(text);
}

/** The raw text of a query parameter, for error messages that quote what the caller sent. */
function rawParam(req: FastifyRequest, name: string): string | null {
  return new URL(req.url, 'http://localhost').searchParams.get(name);
}

const tr181Query = {
  type: 'object',
  properties: { path: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 } },
  required: ['path'],
} as const;

const historyQuery = {
  type: 'object',
  properties: { if: { type: 'string' }, limit: { type: 'integer', minimum: 1 } },
} as const;

const patchBody = {
  type: 'object',
  minProperties: 1,
  propertyNames: { type: 'string', pattern: '^Device\\.' },
} as const;

function readRoutes(app: FastifyInstance, api: ApiSource): void {
  app.get('/api/v1/tr181', { schema: { querystring: tr181Query }, attachValidation: true }, async (req, reply) => {
    if (req.validationError) return send(reply, 400, { error: 'give at least one path parameter, e.g. ?path=Device.DHCPv4.Client.' });
    const r = api.get((req.query as { path: string[] }).path);
    return r.ok ? send(reply, 200, { values: r.values }) : send(reply, 404, { error: r.error });
  });
  app.get('/api/v1/leases', async (_req, reply) => send(reply, 200, { leases: api.leases() }));
  app.get('/api/v1/history', { schema: { querystring: historyQuery }, attachValidation: true }, async (req, reply) => {
    if (req.validationError) return send(reply, 400, { error: `limit ${JSON.stringify(rawParam(req, 'limit'))}: expected a positive integer` });
    const q = req.query as { if?: string; limit?: number };
    return send(reply, 200, { events: api.history(q.if, q.limit) });
  });
  app.get('/api/v1/status', async (_req, reply) => send(reply, 200, api.status()));
  app.get('/metrics', async (_req, reply) => {
    const m = await api.metrics();
    return send(reply, 200, m.body, m.contentType);
  });
  app.get('/healthz', async (_req, reply) => send(reply, 200, 'ok\n', 'text/plain'));
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : '';
}

function writeRoute(app: FastifyInstance, api: ApiSource): void {
  app.patch('/api/v1/tr181', { schema: { body: patchBody }, attachValidation: true }, async (req, reply) => {
    const auth = api.write ? api.write.authorize(bearer(req)) : 'disabled';
    if (auth === 'missing') return send(reply.header('www-authenticate', 'Bearer'), 401, { error: 'writes need a token: send "Authorization: Bearer <token>"' });
    if (auth === 'bad') return send(reply, 403, { error: 'the bearer token is not valid' });
    if (auth === 'disabled' || !api.write) return send(reply, 403, { error: 'writes are disabled: start the manager with --api-token-file FILE to allow them' });
    if (req.validationError) return send(reply, 400, { error: `bad body: expected a JSON object of TR-181 paths and values, e.g. {"Device.DHCPv4.Client.1.Enable": false} (${req.validationError.message})` });
    const r = await api.write.set(req.body as Record<string, unknown>);
    return r.ok ? send(reply, 200, { applied: r.applied }) : send(reply, 400, { errors: r.errors });
  });
}

function pageRoutes(app: FastifyInstance, api: ApiSource): void {
  const assets = loadPageAssets();
  app.get('/', async (_req, reply) => send(reply, 200, renderPage(api, Date.now()), 'text/html; charset=utf-8'));
  app.get('/page/:name', async (req, reply) => {
    const a = assets.get((req.params as { name: string }).name);
    if (!a) return send(reply, 404, { error: `no such resource: ${req.url}` });
    return reply.code(200).header('content-type', a.type).header('cache-control', 'no-cache').send(a.body);
  });
}

function build(api: ApiSource, opts: HttpOptions, onError: (err: Error) => void): FastifyInstance {
  const app = Fastify({ logger: false, keepAliveTimeout: 1000, forceCloseConnections: true, bodyLimit: 64 * 1024 });
  readRoutes(app, api);
  writeRoute(app, api);
  const known = [...READ_ROUTES];
  if (api.subscribe) {
    known.push(STREAM_ROUTE);
    const subscribe = api.subscribe.bind(api);
    // GET only: a HEAD on an endless stream would hold its connection open for nothing.
    app.route({ method: 'GET', url: STREAM_ROUTE, exposeHeadRoute: false, handler: (req, reply) => {
      reply.hijack();
      openStream(req.raw, reply.raw, subscribe, opts.heartbeatMs ?? 15000);
    } });
  }
  if (opts.page) pageRoutes(app, api);
  // Unmatched method + path: a known path with another method is 405, anything else 404.
  app.setNotFoundHandler(async (req, reply) => {
    const path = new URL(req.url, 'http://localhost').pathname;
    if (!known.includes(path)) return send(reply, 404, { error: `no such resource: ${path}` });
    if (path === '/api/v1/tr181') return send(reply.header('allow', 'GET, HEAD, PATCH'), 405, { error: `${req.method} is not allowed; use GET to read or PATCH to write` });
    return send(reply.header('allow', 'GET, HEAD'), 405, { error: `${req.method} is not allowed; this API is read-only` });
  });
  app.setErrorHandler(async (err: Error & { statusCode?: number }, _req, reply) => {
    // Errors fastify raises before a handler runs (bad JSON, wrong content type, too large) are the caller's.
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return send(reply, err.statusCode, { error: err.message });
    onError(err);
    return send(reply, 500, { error: err.message });
  });
  return app;
}

const APPS = new WeakMap<Server, FastifyInstance>();

export async function startHttp(api: ApiSource, host: string, port: number, onError: (err: Error) => void, opts: HttpOptions = {}): Promise<Server> {
  const app = build(api, opts, onError);
  await app.listen({ host, port });
  app.server.on('error', onError);
  APPS.set(app.server, app);
  return app.server;
}

export async function stopHttp(server: Server): Promise<void> {
  const app = APPS.get(server);
  if (!app) return;
  APPS.delete(server);
  await app.close();
}
