/** PATCH /api/v1/tr181 against a recording `write` object: the status codes of the write contract. */
import { request } from 'http';
import type { Server } from 'http';
import type { AddressInfo } from 'net';
import { ApiSource, MAX_WRITE_BODY, startHttp, stopHttp } from './server';

/** `body` as one piece (with content-length), or as several writes (chunked, no length up front). */
function patch(port: number, body: string | string[], auth?: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'PATCH', path: '/api/v1/tr181', headers: auth ? { authorization: auth } : {} }, (res) => {
      let t = '';
      res.on('data', (c) => (t += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(t) }));
    });
    req.on('error', reject);
    if (typeof body === 'string') return req.end(body);
    for (const part of body) req.write(part);
    return req.end();
  });
}

const BAD_BODY = 'bad body: expected a JSON object of TR-181 paths and values, e.g. {"Device.DHCPv4.Client.1.Enable": false}';

const base: ApiSource = {
  get: () => ({ ok: true, values: [] }), leases: () => [], history: () => [], status: () => ({}),
  metrics: async () => ({ contentType: 'text/plain', body: '' }),
};

describe('HTTP API: PATCH /api/v1/tr181', () => {
  const sets: unknown[] = [];
  const errors: string[] = [];
  let server: Server;
  let off: Server;
  let port: number;
  beforeAll(async () => {
    server = await startHttp({
      ...base,
      write: {
        authorize: (t) => (t === undefined ? 'missing' : t === 'good-token' ? 'ok' : 'bad'),
        set: async (values) => {
          sets.push(values);
          if ('Device.Throw' in values) throw new Error('store is read-only');
          return 'Device.Bad' in values ? { ok: false, errors: [{ path: 'Device.Bad', error: 'unknown path' }] } : { ok: true, applied: Object.keys(values) };
        },
      },
    }, '127.0.0.1', 0, (err) => errors.push(err.message));
    port = (server.address() as AddressInfo).port;
    off = await startHttp(base, '127.0.0.1', 0, () => undefined);
  });
  afterAll(async () => { await stopHttp(server); await stopHttp(off); });

  it('answers 401 without a bearer token, 403 with a bad one, and never calls set', async () => {
    expect((await patch(port, '{"a":1}')).status).toBe(401);
    expect((await patch(port, '{"a":1}', 'Basic Zm9vOmJhcg==')).status).toBe(401);
    expect(await patch(port, '{"a":1}', 'Bearer nope')).toEqual({ status: 403, body: { error: 'bad bearer token' } });
    expect(sets).toEqual([]);
  });

  it('answers 403 naming --api-token-file when writes are disabled', async () => {
    const r = await patch((off.address() as AddressInfo).port, '{"a":1}', 'Bearer good-token');
    expect(r.status).toBe(403);
    expect(r.body.error).toContain('--api-token-file');
  });

  it('answers 400 for bad JSON and for a body that is not an object, 413 for a huge one', async () => {
    expect((await patch(port, '{', 'Bearer good-token')).status).toBe(400);
    expect((await patch(port, '"x"', 'Bearer good-token')).status).toBe(400);
    expect((await patch(port, '[]', 'Bearer good-token')).status).toBe(400);
    expect((await patch(port, `{"a":"${'x'.repeat(MAX_WRITE_BODY)}"}`, 'Bearer good-token')).status).toBe(413);
    expect(sets).toEqual([]);
  });

  it('answers 413 for a body without a length as soon as it passes the limit', async () => {
    const parts = ['{"Device.X":"', ...Array.from({ length: 20 }, () => 'x'.repeat(4096)), '"}'];
    const r = await patch(port, parts, 'Bearer good-token');
    expect([r.status, typeof r.body.error]).toEqual([413, 'string']);
    expect(sets).toEqual([]);
  });

  it('says why a body is not a write', async () => {
    const why = async (body: string) => (await patch(port, body, 'Bearer good-token')).body.error as string;
    expect(await why('[1]')).toBe(`${BAD_BODY} (body must be an object)`);
    expect(await why('{}')).toBe(`${BAD_BODY} (body must have at least 1 property)`);
    expect(await why('{"Device.X":1,"device.Y":2}')).toBe(`${BAD_BODY} (property name "device.Y" must start with "Device.")`);
    expect(await why('{"Device.X":1')).toMatch(/^body is not JSON: /);
    expect(await why('')).toMatch(/^body is not JSON: /);
    expect(sets).toEqual([]);
  });

  it('answers 200 with what was applied, and 400 with the errors of a refused write', async () => {
    expect(await patch(port, '{"Device.X":true}', 'Bearer good-token')).toEqual({ status: 200, body: { applied: ['Device.X'] } });
    expect(await patch(port, '{"Device.Bad":1}', 'Bearer good-token')).toEqual({ status: 400, body: { errors: [{ path: 'Device.Bad', error: 'unknown path' }] } });
    expect(sets).toEqual([{ 'Device.X': true }, { 'Device.Bad': 1 }]);
  });

  it('answers 500 when the write fails, and reports it', async () => {
    expect(await patch(port, '{"Device.Throw":1}', 'Bearer good-token')).toEqual({ status: 500, body: { error: 'store is read-only' } });
    expect(errors).toEqual(['store is read-only']);
  });
});
