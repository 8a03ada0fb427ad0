/**
 * The real daemon process over real sockets: C-layout messages in over the legacy PULL and the
 * acked REP channels; TR-181 values out over HTTP; events out over PUB; every event type of both
 * versions; rejects counted by reason.
 */
import { acked, cleanup, endpoints, Endpoints, httpJson, listen, push, requireBuilt, Running, startDaemon, stop, Sub, tr181, v4, v6, waitFor } from './__fixtures__/daemon-harness';

jest.setTimeout(20000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('dhcp-manager daemon', () => {
  let e: Endpoints;
  let d: Running;
  let sub: Sub;

  beforeAll(async () => {
    requireBuilt();
    e = endpoints(25000 + Math.floor(Math.random() * 8));
    d = await startDaemon(e);
    sub = listen(e);
    await sleep(300); // PUB/SUB: let the subscription reach the publisher.
  });
  afterAll(() => { sub?.close(); cleanup(e); });

  const eventsFor = (ifname: string) => sub.events.filter((x) => x.body.ifname === ifname && x.topic !== 'dhcpmgr.reject');

  it('applies a v4 bound from the legacy channel: TR-181 values and a LEASE_UPDATE event', async () => {
    await push(e, v4('erouter0', 'bound'));
    const ev = await waitFor('LEASE_UPDATE', () => eventsFor('erouter0')[0]);
    expect(ev.topic).toBe('Device.DHCPv4.Client.1.Events');
    expect(ev.body).toMatchObject({ tr181Event: 'Device.DHCPv4.Client.1.Events', ifname: 'erouter0', version: 4, msgType: 3, msgTypeName: 'LEASE_UPDATE' });
    expect(ev.body.lease.ipAddress).toBe('192.0.2.10');
    const v = await tr181(e.port, 'Device.DHCPv4.Client.1.');
    expect(v['Device.DHCPv4.Client.1.IPAddress']).toBe('192.0.2.10');
    expect(v['Device.DHCPv4.Client.1.SubnetMask']).toBe('255.255.255.0');
    expect(v['Device.DHCPv4.Client.1.DHCPStatus']).toBe('Bound');
    expect(v['Device.DHCPv4.Client.1.LeaseTimeRemaining']).toBeGreaterThan(3590);
  });

  it('answers a v4 renew on the acked channel with `applied` after the commit, published as LEASE_RENEW', async () => {
    const ack = await acked(e, v4('erouter0', 'renew'));
    expect(ack).toEqual({ status: 'applied', reason: '' });
    const ev = await waitFor('LEASE_RENEW', () => eventsFor('erouter0').find((x) => x.body.msgTypeName === 'LEASE_RENEW'));
    expect(ev.body.msgType).toBe(5);
  });

  it('answers the same envelope twice with `duplicate` and an older one with `stale`', async () => {
    const { stampNow } = await import('@dhcpmgr/plugin-msg');
    const older = stampNow();
    const newer = stampNow();
    expect((await acked(e, v4('erouter0', 'renew'), newer)).status).toBe('applied');
    expect((await acked(e, v4('erouter0', 'renew'), newer)).status).toBe('duplicate');
    expect((await acked(e, v4('erouter0', 'renew', { address: '192.0.2.99' }), older)).status).toBe('stale');
    expect((await tr181(e.port, 'Device.DHCPv4.Client.1.IPAddress'))['Device.DHCPv4.Client.1.IPAddress']).toBe('192.0.2.10');
  });

  it('clears the v4 lease on deconfig (LEASE_DEL) and reports leasefail', async () => {
    expect((await acked(e, v4('erouter0', 'deconfig'))).status).toBe('applied');
    const del = await waitFor('LEASE_DEL', () => eventsFor('erouter0').find((x) => x.body.msgTypeName === 'LEASE_DEL'));
    expect(del.body.msgType).toBe(4);
    expect((await tr181(e.port, 'Device.DHCPv4.Client.1.IPAddress'))['Device.DHCPv4.Client.1.IPAddress']).toBe('');
    expect((await acked(e, v4('erouter0', 'leasefail'))).status).toBe('applied');
    await waitFor('leasefail event', () => eventsFor('erouter0').find((x) => x.body.cause === 'leasefail'));
  });

  it('accepts the 1456-byte ILP32 layout too', async () => {
    expect((await acked(e, v4('wan32', 'bound', {}, 'ilp32'))).status).toBe('applied');
  });

  it('applies v6 add/update/expire: IA_NA, IA_PD and DNS in TR-181, LEASE_UPDATE, LEASE_RENEW and LEASE_DEL events', async () => {
    expect((await acked(e, v6('erouter6', false))).status).toBe('applied');
    const up = await waitFor('v6 LEASE_UPDATE', () => eventsFor('erouter6').find((x) => x.body.msgTypeName === 'LEASE_UPDATE'));
    expect(up.topic).toMatch(/^Device\.DHCPv6\.Client\.\d+\.Events$/);
    expect(up.body.lease.iaNa.address).toBe('2001:db8::10');
    const all = await tr181(e.port, 'Device.IP.Interface.');
    const ip = `Device.IP.Interface.${/^Device\.DHCPv6\.Client\.(\d+)\.Events$/.exec(up.topic)![1]}.`;
    expect(all[`${ip}IPv6Address.1.IPAddress`]).toBe('2001:db8::10');
    expect(all[`${ip}IPv6Prefix.1.Prefix`]).toBe('2001:db8:100::/56');
    expect(all[`${ip}IPv6Address.1.Origin`]).toBe('DHCPv6');

    expect((await acked(e, v6('erouter6', false))).status).toBe('applied');
    await waitFor('v6 LEASE_RENEW', () => eventsFor('erouter6').find((x) => x.body.msgTypeName === 'LEASE_RENEW'));

    expect((await acked(e, v6('erouter6', true))).status).toBe('applied');
    await waitFor('v6 LEASE_DEL', () => eventsFor('erouter6').find((x) => x.body.msgTypeName === 'LEASE_DEL'));
    const after = Object.entries(await tr181(e.port, 'Device.IP.Interface.'));
    expect(after.find(([, v]) => v === '2001:db8::10')).toBeUndefined();
  });

  it('rejects bad messages with a reason, counts them, publishes them on dhcpmgr.reject and keeps running', async () => {
    const badName = v4('bad name', 'bound');
    const ack = await acked(e, badName);
    expect(ack).toEqual({ status: 'rejected', reason: 'BAD_IFNAME' });
    await push(e, Buffer.alloc(100));
    const { requestOnce } = await import('@dhcpmgr/plugin-msg/transport');
    const { decodeAck } = await import('@dhcpmgr/plugin-msg');
    const r = await requestOnce(e.rep, Buffer.from('not an envelope at all, definitely not'), 3000);
    expect(r.ok && decodeAck(r.reply)).toEqual({ status: 'rejected', reason: 'BAD_ENVELOPE' });
    await waitFor('BAD_SIZE reject event', () => sub.events.find((x) => x.topic === 'dhcpmgr.reject' && x.body.reason === 'BAD_SIZE'));
    const metrics = await waitFor('metrics', async () => {
      const m = (await httpJson(e.port, '/metrics')).body as string;
      return m.includes('reason="BAD_SIZE"') && m.includes('reason="BAD_ENVELOPE"') ? m : undefined;
    });
    expect(metrics).toMatch(/dhcpmgr_rejected_total\{reason="BAD_IFNAME",channel="acked"\} 1/);
    expect(metrics).toMatch(/dhcpmgr_rejected_total\{reason="BAD_SIZE",channel="legacy"\} 1/);
    expect(metrics).toMatch(/dhcpmgr_messages_total\{channel="legacy",version="4"\} \d+/);
    expect(d.proc.exitCode).toBeNull();
  });

  it('serves leases, history and status over HTTP; 404 and 405 elsewhere', async () => {
    const leases = (await httpJson(e.port, '/api/v1/leases')).body.leases as Array<{ ifname: string }>;
    expect(leases.map((l) => l.ifname)).toEqual(expect.arrayContaining(['erouter0', 'erouter6', 'wan32']));
    const hist = (await httpJson(e.port, '/api/v1/history?if=erouter0&limit=2')).body.events as Array<{ ifname: string }>;
    expect(hist).toHaveLength(2);
    expect(hist.every((h) => h.ifname === 'erouter0')).toBe(true);
    const status = (await httpJson(e.port, '/api/v1/status')).body;
    expect(status).toMatchObject({ pid: d.pid, endpoints: { listen: e.pull, ackListen: e.rep, events: e.pub, http: `127.0.0.1:${e.port}` } });
    expect(status.engine.applied).toBeGreaterThan(5);
    expect((await httpJson(e.port, '/api/v1/nothing')).status).toBe(404);
    expect((await httpJson(e.port, '/healthz')).status).toBe(200);
  });

  it('stops on SIGTERM with exit code 0 after logging `stopped`', async () => {
    const r = await stop(d, 'SIGTERM');
    expect(r).toEqual({ code: 0, signal: null });
    expect(d.logs.some((l) => l.msg === 'stopped')).toBe(true);
  });
});
