import { request } from 'http';
import type { Server } from 'http';
import type { AddressInfo } from 'net';
import { startHttp, stopHttp } from './server';

function call(port: number, method: string, path: string): Promise<{ status: number; body: string; type: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, type: String(res.headers['content-type']), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP API', () => {
  let server: Server;
  let port: number;
  const asked: unknown[] = [];
  const errors: string[] = [];
  beforeAll(async () => {
    server = await startHttp({
      get: (paths) => {
        asked.push(paths);
        if (paths[0] === 'Device.Throw.') throw new Error('model broke');
        return paths[0] === 'Device.Nope.' ? { ok: false, error: 'no such path: Device.Nope.' } : { ok: true, values: [{ path: paths[0], value: 1, type: 'unsignedInt' }] };
      },
      leases: () => [{ ifname: 'eth0' }],
      history: (ifname, limit) => [{ ifname, limit }],
      status: () => ({ version: 'x' }),
      metrics: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'dhcpmgr_up 1\n' }),
    }, '127.0.0.1', 0, (err) => errors.push(err.message));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => stopHttp(server));

  it('serves TR-181 values for every repeated path parameter', async () => {
    const r = await call(port, 'GET', '/api/v1/tr181?path=Device.DHCPv4.Client.1.IPAddress&path=Device.DHCPv6.');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).values[0].path).toBe('Device.DHCPv4.Client.1.IPAddress');
    expect(asked.pop()).toEqual(['Device.DHCPv4.Client.1.IPAddress', 'Device.DHCPv6.']);
  });

  it('answers 404 for an unknown path, 400 without a path', async () => {
    expect((await call(port, 'GET', '/api/v1/tr181?path=Device.Nope.')).status).toBe(404);
    expect((await call(port, 'GET', '/api/v1/tr181')).status).toBe(400);
  });

  it('passes history filters and checks the limit', async () => {
    expect(JSON.parse((await call(port, 'GET', '/api/v1/history?if=eth0&limit=5')).body)).toEqual({ events: [{ ifname: 'eth0', limit: 5 }] });
    expect((await call(port, 'GET', '/api/v1/history?limit=-1')).status).toBe(400);
    expect(JSON.parse((await call(port, 'GET', '/api/v1/history?limit=2.5')).body)).toEqual({ error: 'limit "2.5": expected a positive integer' });
    expect((await call(port, 'GET', '/api/v1/history?limit=0')).status).toBe(400);
    expect((await call(port, 'GET', '/api/v1/history?if=a&if=b')).status).toBe(400);
    expect(JSON.parse((await call(port, 'GET', '/api/v1/history?if=erouter%200')).body)).toEqual({ events: [{ ifname: 'erouter 0' }] });
  });

  it('answers 400 for an empty path parameter, naming the parameter', async () => {
    const r = await call(port, 'GET', '/api/v1/tr181?path=Device.A&path=');
    expect([r.status, JSON.parse(r.body).error]).toEqual([400, 'give at least one path parameter, e.g. ?path=Device.DHCPv4.Client.']);
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const get = await call(port, 'GET', '/api/v1/leases');
    const head = await call(port, 'HEAD', '/api/v1/leases');
    expect([head.status, head.body, head.headers['content-length'], head.type]).toEqual([200, '', String(Buffer.byteLength(get.body)), 'application/json; charset=utf-8']);
    expect([get.body, get.headers['cache-control']]).toEqual([`${JSON.stringify({ leases: [{ ifname: 'eth0' }] })}\n`, 'no-store']);
  });

  it('answers 500 with the message of a handler that throws, and reports it', async () => {
    const r = await call(port, 'GET', '/api/v1/tr181?path=Device.Throw.');
    expect([r.status, JSON.parse(r.body)]).toEqual([500, { error: 'model broke' }]);
    expect(errors).toEqual(['model broke']);
  });

  it('serves leases, status, metrics in Prometheus text and healthz', async () => {
    expect(JSON.parse((await call(port, 'GET', '/api/v1/leases')).body)).toEqual({ leases: [{ ifname: 'eth0' }] });
    expect(JSON.parse((await call(port, 'GET', '/api/v1/status')).body)).toEqual({ version: 'x' });
    const m = await call(port, 'GET', '/metrics');
    expect(m.type).toContain('text/plain');
    expect(m.body).toBe('dhcpmgr_up 1\n');
    expect((await call(port, 'GET', '/healthz')).body).toBe('ok\n');
  });

  it('is read-only (405) and 404s anything else', async () => {
    expect((await call(port, 'POST', '/api/v1/leases')).status).toBe(405);
    expect((await call(port, 'DELETE', '/api/v1/tr181?path=x')).status).toBe(405);
    const post = await call(port, 'POST', '/healthz');
    expect([post.headers.allow, JSON.parse(post.body)]).toEqual(['GET, HEAD', { error: 'POST is not allowed; this API is read-only' }]);
    const none = await call(port, 'GET', '/api/v2/leases?x=1');
    expect([none.status, JSON.parse(none.body)]).toEqual([404, { error: 'no such resource: /api/v2/leases' }]);
    expect((await call(port, 'GET', '/')).status).toBe(404);
    expect((await call(port, 'GET', '/api/v1/events/stream')).status).toBe(404); // no subscribe
    expect((await call(port, 'GET', '/api/v1/leases/')).status).toBe(404);
  });
});
