import { udhcpcMsg, legacy, v4, v4Clear, captures } from './__fixtures__/fixtures';
import { Harness, T0, memoryHarness, param } from './__fixtures__/harness';

describe('engine: DHCPv4 leases from C-layout udhcpc messages', () => {
  let h: Harness;
  beforeEach(() => { h = memoryHarness(); });
  afterEach(() => h.cleanup());

  it('fills Device.DHCPv4.Client.1. from the real bound capture and publishes LEASE_UPDATE', () => {
    const [r] = h.engine.ingestBatch([legacy(udhcpcMsg('bound')!, T0)]);
    expect(r!.status).toBe('applied');
    expect(h.events).toHaveLength(1);
    expect(h.events[0]).toMatchObject({
      tr181Event: 'Device.DHCPv4.Client.1.Events', ifname: 'veth-cli', version: 4, msgType: 3, msgTypeName: 'LEASE_UPDATE', cause: 'bound',
    });
    expect(h.events[0]!.lease).toMatchObject({ ipAddress: '192.168.77.130', subnetMask: '255.255.255.0', ipRouters: ['192.168.77.1'] });
    const p = (n: string) => param(h.engine, `Device.DHCPv4.Client.1.${n}`);
    expect(p('DHCPStatus')).toBe('Bound');
    expect(p('Status')).toBe('Enabled');
    expect(p('Interface')).toBe('Device.IP.Interface.1');
    expect(p('X_DHCPMGR_IfName')).toBe('veth-cli');
    expect(p('IPAddress')).toBe('192.168.77.130');
    expect(p('SubnetMask')).toBe('255.255.255.0');
    expect(p('IPRouters')).toBe('192.168.77.1');
    expect(p('DNSServers')).toBe('192.168.77.53,192.168.77.54');
    expect(p('DHCPServer')).toBe('192.168.77.1');
    expect(p('LeaseTimeRemaining')).toBe(120);
    expect(p('X_DHCPMGR_RenewalTime')).toBe(0x3c);
    expect(p('X_DHCPMGR_RebindingTime')).toBe(0x69);
    expect(p('X_DHCPMGR_StaticRoutes')).toBe('10.99.0.0/16 192.168.77.1 0.0.0.0/0 192.168.77.1');
    expect(param(h.engine, 'Device.DNS.Client.Server.1.DNSServer')).toBe('192.168.77.53');
    expect(param(h.engine, 'Device.DNS.Client.Server.2.Type')).toBe('DHCPv4');
    expect(h.changes).toEqual([{ version: 4, ifname: 'veth-cli', action: 'set', address: '192.168.77.130', prefixLength: 24, broadcast: '192.168.77.255', routers: ['192.168.77.1'],
      dnsServers: ['192.168.77.53', '192.168.77.54'], staticRoutes: '10.99.0.0/16 192.168.77.1 0.0.0.0/0 192.168.77.1' }]);
  });

  it('counts LeaseTimeRemaining down from the stored expiry when read', () => {
    h.engine.ingestBatch([legacy(v4('eth0'), T0)]);
    h.clock.now = T0 + 45_500;
    expect(param(h.engine, 'Device.DHCPv4.Client.1.LeaseTimeRemaining')).toBe(74);
  });

  it('publishes LEASE_RENEW for the real renew capture when nothing that matters changed', () => {
    h.engine.ingestBatch([legacy(udhcpcMsg('bound')!, T0)]);
    h.clock.now = T0 + 60_000;
    const [r] = h.engine.ingestBatch([legacy(udhcpcMsg('renew-T1')!, T0 + 60_000)]);
    expect(r).toMatchObject({ status: 'applied', event: { msgType: 5, msgTypeName: 'LEASE_RENEW', cause: 'renew' } });
    expect(param(h.engine, 'Device.DHCPv4.Client.1.LeaseTimeRemaining')).toBe(120);
    expect(param(h.engine, 'Device.DHCPv4.Client.1.X_DHCPMGR_RenewalTime')).toBe(0x38);
    expect(h.changes).toHaveLength(1); // no re-apply on a renew
  });

  it.each([
    ['address', { address: '192.168.77.131' }], ['netmask', { netmask: '255.255.0.0' }],
    ['routers', { gateway: '192.168.77.2' }], ['DNS', { dnsServer1: '192.168.77.55' }],
  ])('publishes LEASE_UPDATE on a renew whose %s changed', (_what, over) => {
    h.engine.ingestBatch([legacy(v4('eth0'), T0), legacy(v4('eth0', { dhcpState: 'renew', ...over }), T0 + 1)]);
    expect(h.events.map((e) => e.msgTypeName)).toEqual(['LEASE_UPDATE', 'LEASE_UPDATE']);
    expect(h.changes).toHaveLength(2);
  });

  it.each(['deconfig-after-release-sigusr2', 'leasefail'])('clears every lease value on %s with LEASE_DEL (no stale values)', (name) => {
    h.engine.ingestBatch([legacy(v4('veth-cli', { mtuAssigned: true, mtuSize: 1400, timeZone: 'CET' }), T0)]);
    const [r] = h.engine.ingestBatch([legacy(udhcpcMsg(name)!, T0 + 1000)]);
    expect(r).toMatchObject({ status: 'applied', event: { msgType: 4, msgTypeName: 'LEASE_DEL' } });
    expect((r as unknown as { event: { lease: { ipAddress: string } } }).event.lease.ipAddress).toBe('192.168.77.130');
    const all = h.engine.get(['Device.DHCPv4.Client.1.']);
    if (!all.ok) throw new Error(all.error);
    const byName = Object.fromEntries(all.values.map((v) => [v.path.replace('Device.DHCPv4.Client.1.', ''), v.value]));
    expect(byName).toMatchObject({
      DHCPStatus: 'Init', IPAddress: '', SubnetMask: '', IPRouters: '', DNSServers: '', DHCPServer: '', LeaseTimeRemaining: 0,
      X_DHCPMGR_MTU: 0, X_DHCPMGR_TimeZone: '', X_DHCPMGR_StaticRoutes: '',
    });
    expect(h.engine.get(['Device.DNS.Client.Server.1.DNSServer']).ok).toBe(false);
    expect(h.changes[1]).toEqual({ version: 4, ifname: 'veth-cli', action: 'clear', address: '192.168.77.130', prefixLength: 24 });
  });

  it('clears on nak (never sent by the C plugin, accepted from others)', () => {
    h.engine.ingestBatch([legacy(v4('eth0'), T0), legacy(v4Clear('eth0', 'nak'), T0 + 1)]);
    expect(h.events.map((e) => e.msgTypeName)).toEqual(['LEASE_UPDATE', 'LEASE_DEL']);
  });

  it('reports CLIENT_STOPPED for the real deconfig at start and CLIENT_FAILED for leasefail when no lease was held', () => {
    h.engine.ingestBatch([legacy(udhcpcMsg('deconfig-at-start')!, T0), legacy(udhcpcMsg('leasefail')!, T0 + 1)]);
    expect(h.events.map((e) => [e.msgType, e.msgTypeName, e.cause])).toEqual([[1, 'CLIENT_STOPPED', 'deconfig'], [2, 'CLIENT_FAILED', 'leasefail']]);
    expect(h.changes).toEqual([]);
    expect(param(h.engine, 'Device.DHCPv4.Client.1.DHCPStatus')).toBe('Init');
  });

  it('accepts every real udhcpc capture the C plugin would send, in ILP32 layout too', () => {
    const msgs = captures('udhcpc').map(udhcpcMsg).filter((m) => m !== undefined);
    expect(msgs.length).toBeGreaterThanOrEqual(8);
    const results = h.engine.ingestBatch(msgs.map((m, k) => legacy(m!, T0 + k, k % 2 ? 'ilp32' : 'lp64')));
    expect(results.map((r) => r.status)).toEqual(msgs.map(() => 'applied'));
  });

  it('keeps the extras under X_DHCPMGR_ names: time offset, MTU, SIP, rates', () => {
    h.engine.ingestBatch([legacy(v4('eth0', {
      isTimeOffsetAssigned: true, timeOffset: -3600, timeZone: 'CET-1', mtuAssigned: true, mtuSize: 1492, sipSrv: 'sip.example',
      upstreamCurrRate: 1000, downstreamCurrRate: 5000,
    }), T0)]);
    const p = (n: string) => param(h.engine, `Device.DHCPv4.Client.1.${n}`);
    expect([p('X_DHCPMGR_TimeOffsetAssigned'), p('X_DHCPMGR_TimeOffset'), p('X_DHCPMGR_TimeZone'), p('X_DHCPMGR_MTU'), p('X_DHCPMGR_SIPServer'),
      p('X_DHCPMGR_UpstreamRate'), p('X_DHCPMGR_DownstreamRate')]).toEqual([true, -3600, 'CET-1', 1492, 'sip.example', 1000, 5000]);
    expect(h.changes[0]).toMatchObject({ mtu: 1492 });
  });

  it('reports an infinite lease as LeaseTimeRemaining -1 and never expires it', () => {
    h.engine.ingestBatch([legacy(v4('eth0', { leaseTime: 0xffffffff }), T0)]);
    expect(param(h.engine, 'Device.DHCPv4.Client.1.LeaseTimeRemaining')).toBe(-1);
    expect(h.engine.nextExpiry()).toBeUndefined();
  });

  it('numbers interfaces 1, 2, ... on first lease and shares the number across tables', () => {
    h.engine.ingestBatch([legacy(v4('wan0'), T0), legacy(v4('wan1', { address: '10.0.0.2' }), T0)]);
    expect(param(h.engine, 'Device.DHCPv4.Client.2.X_DHCPMGR_IfName')).toBe('wan1');
    expect(param(h.engine, 'Device.IP.Interface.2.Name')).toBe('wan1');
    expect(param(h.engine, 'Device.DHCPv4.ClientNumberOfEntries')).toBe(2);
    expect(h.events[1]!.tr181Event).toBe('Device.DHCPv4.Client.2.Events');
  });
});
