import { request } from 'http';
import type { Server } from 'http';
import type { AddressInfo } from 'net';
import { ApiSource, startHttp, stopHttp, WriteResult } from './server';
import type { StreamItem } from './stream';

interface Reply { status: number; body: string; headers: Record<string, unknown> }

function call(port: number, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const TOKEN = 's3cret-token';
const written: Array<Record<string, unknown>> = [];
const listeners = new Set<(item: StreamItem) => void>();
const now = Date.now();

function api(write: boolean): ApiSource {
  return {
    get: () => ({ ok: true, values: [] }),
    leases: () => [{ ifname: 'erouter0', version: 4, instance: 1, status: 'bound', state: 'bound',
      addresses: [{ kind: 'ipv4', value: '192.0.2.10/24', preferredRemaining: 100, validRemaining: 100 }], dnsServers: ['192.0.2.53'], updatedAt: now }],
    history: () => [{ tr181Event: 'Device.DHCPv4.Client.1.Events', ifname: 'erouter0', version: 4, msgType: 3, msgTypeName: 'LEASE_UPDATE', time: now - 20_000, cause: 'bound',
      lease: { ipAddress: '192.0.2.10', obtainedAt: now - 20_000, leaseTime: 120, renewalTime: 60, rebindingTime: 105 } }],
    status: () => ({ version: '9.9.9', pid: 1, uptimeSeconds: 5, engine: { applied: 7, activeLeases: { v4: 1, v6: 0 } } }),
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
    subscribe: (fn) => { listeners.add(fn); return () => { listeners.delete(fn); }; },
    ...(write ? {
      write: {
        authorize: (t: string | undefined) => (t === undefined ? 'missing' : t === TOKEN ? 'ok' : 'bad'),
        set: async (values: Record<string, unknown>): Promise<WriteResult> => {
          written.push(values);
          const bad = Object.keys(values).filter((k) => !k.endsWith('.Renew') && !k.endsWith('.Enable'));
          return bad.length ? { ok: false, errors: bad.map((path) => ({ path, error: 'not writable' })) } : { ok: true, applied: Object.keys(values) };
        },
      },
    } : {}),
  };
}

let server: Server;
let bare: Server;
let port: number;
let barePort: number;
beforeAll(async () => {
  server = await startHttp(api(true), '127.0.0.1', 0, () => undefined, { page: true, heartbeatMs: 100 });
  bare = await startHttp(api(false), '127.0.0.1', 0, () => undefined);
  port = (server.address() as AddressInfo).port;
  barePort = (bare.address() as AddressInfo).port;
});
afterAll(async () => { await stopHttp(server); await stopHttp(bare); });

describe('PATCH /api/v1/tr181', () => {
  const body = JSON.stringify({ 'Device.DHCPv4.Client.1.Renew': true });
  const auth = { authorization: `Bearer ${TOKEN}` };

  it('answers 401 without a token, 403 with a wrong one, and writes nothing', async () => {
    const before = written.length;
    const r401 = await call(port, 'PATCH', '/api/v1/tr181', body);
    expect(r401.status).toBe(401);
    expect(r401.headers['www-authenticate']).toBe('Bearer');
    expect((await call(port, 'PATCH', '/api/v1/tr181', body, { authorization: 'Bearer nope' })).status).toBe(403);
    expect(written.length).toBe(before);
  });

  it('answers 403 naming --api-token-file when writes are disabled', async () => {
    const r = await call(barePort, 'PATCH', '/api/v1/tr181', body, auth);
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error).toContain('--api-token-file');
  });

  it('rejects a body that is not an object of Device. paths with 400', async () => {
    for (const bad of ['[1]', '{}', '"x"', '{"Other.Path": 1}', '{not json']) {
      const r = await call(port, 'PATCH', '/api/v1/tr181', bad, auth);
      expect([bad, r.status]).toEqual([bad, 400]);
      expect(typeof JSON.parse(r.body).error).toBe('string');
    }
  });

  it('applies a good write (200 applied) and reports a refused one (400 errors)', async () => {
    const ok = await call(port, 'PATCH', '/api/v1/tr181', body, auth);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ applied: ['Device.DHCPv4.Client.1.Renew'] });
    expect(written[written.length - 1]).toEqual({ 'Device.DHCPv4.Client.1.Renew': true });
    const no = await call(port, 'PATCH', '/api/v1/tr181', JSON.stringify({ 'Device.DHCPv4.Client.1.IPAddress': '1.2.3.4' }), auth);
    expect(no.status).toBe(400);
    expect(JSON.parse(no.body)).toEqual({ errors: [{ path: 'Device.DHCPv4.Client.1.IPAddress', error: 'not writable' }] });
  });

  it('still answers 405 for other methods on the TR-181 path and on read-only paths', async () => {
    const r = await call(port, 'DELETE', '/api/v1/tr181');
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET, HEAD, PATCH');
    expect((await call(port, 'PATCH', '/api/v1/leases', body, auth)).status).toBe(405);
  });
});

describe('GET /api/v1/events/stream', () => {
  it('streams lease and reject events as SSE with heartbeats, and unsubscribes on disconnect', async () => {
    const got = await new Promise<{ type: string; text: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/api/v1/events/stream' }, (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
          if (text.includes(': heartbeat') && text.includes('event: reject')) {
            req.destroy();
            resolve({ type: String(res.headers['content-type']), text });
          }
        });
        setTimeout(() => {
          for (const fn of listeners) {
            fn({ topic: 'Device.DHCPv4.Client.1.Events', body: '{"ifname":"erouter0","msgTypeName":"LEASE_UPDATE"}' });
            fn({ topic: 'dhcpmgr.reject', body: '{"reason":"BAD_IFNAME"}' });
          }
        }, 50);
      });
      req.on('error', reject);
      req.end();
    });
    expect(got.type).toContain('text/event-stream');
    expect(got.text).toMatch(/^retry: \d+\n/);
    expect(got.text).toContain('id: 1\nevent: lease\ndata: {"topic":"Device.DHCPv4.Client.1.Events","event":{"ifname":"erouter0","msgTypeName":"LEASE_UPDATE"}}\n\n');
    expect(got.text).toContain('id: 2\nevent: reject\ndata: {"topic":"dhcpmgr.reject","event":{"reason":"BAD_IFNAME"}}\n\n');
    for (let i = 0; i < 50 && listeners.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(listeners.size).toBe(0);
  });

  it('answers HEAD on the stream with 405 instead of holding a connection open', async () => {
    const r = await call(port, 'HEAD', '/api/v1/events/stream');
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET');
    expect(listeners.size).toBe(0);
  });

  it('is closed by stopHttp: the open stream ends and unsubscribes', async () => {
    const own = await startHttp(api(false), '127.0.0.1', 0, () => undefined);
    // Wrapped in an object: a promise resolved with a promise would wait for that one.
    const { ended } = await new Promise<{ ended: Promise<string> }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: (own.address() as AddressInfo).port, path: '/api/v1/events/stream' }, (res) => {
        let text = '';
        const closed = new Promise<string>((r) => res.on('close', () => r(text)));
        res.on('data', (c) => {
          text += c;
          if (text.includes(': connected')) resolve({ ended: closed });
        });
      });
      req.on('error', reject);
      req.end();
    });
    expect(listeners.size).toBe(1);
    // Without closing the stream's connection this would wait for ever (and the test time out).
    await stopHttp(own);
    expect(await ended).toMatch(/^retry: \d+\n: connected\n\n$/);
    expect(listeners.size).toBe(0);
    expect(own.listening).toBe(false);
  });
});

describe('status page', () => {
  it('renders a snapshot with the lease, DNS, countdown deadlines, a timeline and the counters', async () => {
    const r = await call(port, 'GET', '/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.body).toContain('erouter0');
    expect(r.body).toContain('<code>192.0.2.10/24</code>');
    expect(r.body).toContain('<code>192.0.2.53</code>');
    // T1 = obtainedAt + 60 s; lifetime = render time + 100 s.
    expect(r.body).toContain(`data-until="${now - 20_000 + 60_000}"`);
    expect(r.body).toMatch(/<svg viewBox="0 0 600 36"[^>]*>.*class="tick LEASE_UPDATE"/);
    expect(r.body).toMatch(/<span class="n">7<\/span><span class="k">applied<\/span>/);
    expect(r.body).not.toMatch(/(src|href)="(https?:)?\/\//); // nothing from other hosts
  });

  it('serves its script and stylesheet, and 404s other page files', async () => {
    const js = await call(port, 'GET', '/page/app.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toContain('text/javascript');
    expect(js.body).toContain('EventSource');
    expect((await call(port, 'GET', '/page/style.css')).headers['content-type']).toContain('text/css');
    expect((await call(port, 'GET', '/page/render.js')).status).toBe(404);
  });

  it('escapes what it shows', async () => {
    const evil = await startHttp({ ...api(false), leases: () => [{ ifname: '<img src=x onerror=alert(1)>', version: 4, instance: 1, status: 'none', state: 'x', addresses: [], dnsServers: [], updatedAt: 0 }] },
      '127.0.0.1', 0, () => undefined, { page: true });
    try {
      const r = await call((evil.address() as AddressInfo).port, 'GET', '/');
      expect(r.body).not.toContain('<img');
      expect(r.body).toContain('&#60;img src=x');
    } finally {
      await stopHttp(evil);
    }
  });
});
