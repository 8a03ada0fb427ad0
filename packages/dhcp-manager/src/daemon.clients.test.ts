/**
 * The client table through the real daemon: PATCH /api/v1/tr181 (authorization, all-or-nothing
 * type checks), `dhcp-manager set`, the store keeping a write across a restart, and leases
 * refused for interfaces without a client. The configured interfaces do not exist in this
 * namespace, so the clients wait for their link and no DHCP client is spawned here (the e2e
 * suite runs real ones).
 */
import { chmodSync, writeFileSync } from 'fs';
import { request } from 'http';
import { join } from 'path';
import { acked, cleanup, cli, endpoints, Endpoints, Running, startDaemon, stop, tr181, v4, requireBuilt } from './__fixtures__/daemon-harness';

jest.setTimeout(30000);
const TOKEN = 'a-token-of-thirty-two-characters';
const C1 = 'Device.DHCPv4.Client.1.';

function patch(port: number, body: string, token?: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/v1/tr181', method: 'PATCH', headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let t = '';
      res.on('data', (c) => (t += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(t) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('dhcp-manager daemon: the client table', () => {
  let e: Endpoints;
  let d: Running | undefined;
  let args: string[];
  let tokenFile: string;

  beforeAll(() => {
    requireBuilt();
    e = endpoints(21000 + Math.floor(Math.random() * 50));
    const config = join(e.dir, 'config.json');
    writeFileSync(config, JSON.stringify({ clients: {
      dhcpv4: [{ interface: 'nolink4a', enable: true, hostName: 'cpe' }, { interface: 'nolink4b', enable: false }],
      dhcpv6: [{ interface: 'nolink4a', enable: false, requestPrefixes: true }],
    } }));
    tokenFile = join(e.dir, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    chmodSync(tokenFile, 0o600);
    args = ['--config', config, '--api-token-file', tokenFile, '--accept-unconfigured=false'];
  });
  afterEach(async () => { if (d) await stop(d); d = undefined; });
  afterAll(() => cleanup(e));

  it('shows configured clients with their parameters and Status', async () => {
    d = await startDaemon(e, args);
    const v = await tr181(e.port, 'Device.DHCPv4.Client.', 'Device.DHCPv6.Client.1.');
    expect(v[`${C1}Enable`]).toBe(true);
    expect(v[`${C1}Status`]).toBe('Enabled');
    expect(v[`${C1}X_DHCPMGR_IfName`]).toBe('nolink4a');
    expect(v[`${C1}X_DHCPMGR_HostName`]).toBe('cpe');
    expect(v[`${C1}X_DHCPMGR_StatusDetail`]).toBe('interface missing');
    expect(v['Device.DHCPv4.Client.2.Status']).toBe('Disabled');
    expect(v['Device.DHCPv6.Client.1.RequestPrefixes']).toBe(true);
  });

  it('refuses writes without a token (401), with a bad one (403) and bad bodies (400)', async () => {
    d = await startDaemon(e, args);
    const body = JSON.stringify({ [`${C1}Enable`]: false });
    expect(await patch(e.port, body)).toMatchObject({ status: 401, body: { error: expect.stringMatching(/Bearer/) } });
    expect(await patch(e.port, body, 'x'.repeat(32))).toMatchObject({ status: 403, body: { error: 'bad bearer token' } });
    expect(await patch(e.port, '{not json', TOKEN)).toMatchObject({ status: 400, body: { error: expect.stringMatching(/not JSON/) } });
    expect(await patch(e.port, '[1,2]', TOKEN)).toMatchObject({ status: 400, body: { error: expect.stringMatching(/JSON object/) } });
    const bad = await patch(e.port, JSON.stringify({ [`${C1}Enable`]: false, [`${C1}X_DHCPMGR_HostName`]: 5 }), TOKEN);
    expect(bad).toEqual({ status: 400, body: { errors: [{ path: `${C1}X_DHCPMGR_HostName`, error: 'wrong type: 5 is not a string' }] } });
    expect((await tr181(e.port, `${C1}Enable`))[`${C1}Enable`]).toBe(true);
  });

  it('applies `set` all or nothing and keeps the write across a restart', async () => {
    d = await startDaemon(e, args);
    const url = `http://127.0.0.1:${e.port}`;
    const refused = cli(['set', `${C1}Enable=false`, `${C1}Interface=wan9`, '--url', url, '--token-file', tokenFile]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${C1}Interface: parameter is read-only`);
    expect((await tr181(e.port, `${C1}Enable`))[`${C1}Enable`]).toBe(true);
    const ok = cli(['set', `${C1}Enable=false`, `${C1}X_DHCPMGR_HostName=a b;c$(d)`, '--url', url, '--token-file', tokenFile]);
    expect(ok).toMatchObject({ code: 0, stdout: `${C1}Enable=false\n${C1}X_DHCPMGR_HostName=a b;c$(d)\n` });
    await stop(d);
    d = await startDaemon(e, args);
    const v = await tr181(e.port, C1);
    expect(v[`${C1}Enable`]).toBe(false);
    expect(v[`${C1}Status`]).toBe('Disabled');
    expect(v[`${C1}X_DHCPMGR_HostName`]).toBe('a b;c$(d)');
  });

  it('rejects a lease for an interface without an enabled client (UNCONFIGURED_INTERFACE)', async () => {
    d = await startDaemon(e, args);
    const r = await acked(e, v4('stranger0', 'bound'));
    expect(r).toMatchObject({ status: 'rejected', reason: 'UNCONFIGURED_INTERFACE' });
    const off = await acked(e, v4('nolink4b', 'bound'));
    expect(off).toMatchObject({ status: 'rejected', reason: 'UNCONFIGURED_INTERFACE' });
  });

  it('refuses writes when no --api-token-file is given (403 naming the option)', async () => {
    d = await startDaemon(e, args.slice(0, 2).concat(['--accept-unconfigured=false']));
    expect(await patch(e.port, '{}', TOKEN)).toMatchObject({ status: 403, body: { error: expect.stringMatching(/--api-token-file/) } });
  });
});
