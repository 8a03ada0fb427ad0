import { captures, dibblerMsg, legacy, v6 } from './__fixtures__/fixtures';
import { Harness, T0, memoryHarness, param } from './__fixtures__/harness';

describe('engine: DHCPv6 leases from C-layout dibbler messages', () => {
  let h: Harness;
  beforeEach(() => { h = memoryHarness(); });
  afterEach(() => h.cleanup());

  it('maps the real add capture to DHCPv6.Client, IPv6Address, IPv6Prefix and DNS servers, with LEASE_UPDATE', () => {
    const [r] = h.engine.ingestBatch([legacy(dibblerMsg('add')!, T0)]);
    expect(r).toMatchObject({ status: 'applied', event: { tr181Event: 'Device.DHCPv6.Client.1.Events', msgType: 3, msgTypeName: 'LEASE_UPDATE', version: 6, ifname: 'veth-cli' } });
    const p = (n: string) => param(h.engine, n);
    expect(p('Device.DHCPv6.Client.1.Interface')).toBe('Device.IP.Interface.1');
    expect(p('Device.DHCPv6.Client.1.Status')).toBe('Enabled');
    expect(p('Device.DHCPv6.Client.1.DNSServers')).toBe('fd00:77::53,fd00:77::54');
    expect(p('Device.DHCPv6.Client.1.X_DHCPMGR_DomainName')).toBe('lab.test,corp.test');
    expect(p('Device.DHCPv6.Client.1.X_DHCPMGR_NTPServers')).toBe('fd00:77::1');
    expect(p('Device.IP.Interface.1.IPv6Address.1.IPAddress')).toBe('fd00:77::10b');
    expect(p('Device.IP.Interface.1.IPv6Address.1.Origin')).toBe('DHCPv6');
    expect(p('Device.IP.Interface.1.IPv6Address.1.ValidLifetime')).toBe('2026-01-01T12:00:30Z');
    expect(p('Device.IP.Interface.1.IPv6Address.1.PreferredLifetime')).toBe('2026-01-01T12:00:20Z');
    expect(p('Device.IP.Interface.1.IPv6Prefix.1.Prefix')).toBe('fd00:77:100:26::/64');
    expect(p('Device.IP.Interface.1.IPv6Prefix.1.Origin')).toBe('PrefixDelegation');
    expect(p('Device.DNS.Client.Server.3.DNSServer')).toBe('fd00:77::53');
    expect(p('Device.DNS.Client.Server.4.Type')).toBe('DHCPv6');
    expect(p('Device.DNS.Client.Server.4.Interface')).toBe('Device.IP.Interface.1');
    expect(h.changes).toEqual([{
      version: 6, ifname: 'veth-cli', action: 'set', address: { address: 'fd00:77::10b', preferred: 20, valid: 30 },
      prefix: { prefix: 'fd00:77:100:26::', length: 64, preferred: 20, valid: 30 },
      dnsServers: ['fd00:77::53', 'fd00:77::54'], domains: ['lab.test', 'corp.test'],
    }]);
  });

  it('counts lifetimes down and marks an address Deprecated after its preferred lifetime', () => {
    h.engine.ingestBatch([legacy(v6('erouter0'), T0)]);
    h.clock.now = T0 + 25_000;
    expect(param(h.engine, 'Device.IP.Interface.1.IPv6Address.1.X_DHCPMGR_ValidLifetimeRemaining')).toBe(5);
    expect(param(h.engine, 'Device.IP.Interface.1.IPv6Address.1.X_DHCPMGR_PreferredLifetimeRemaining')).toBe(0);
    expect(param(h.engine, 'Device.IP.Interface.1.IPv6Address.1.IPAddressStatus')).toBe('Deprecated');
  });

  it('publishes LEASE_RENEW for the real update-renew capture and refreshes lifetimes on the system', () => {
    h.engine.ingestBatch([legacy(dibblerMsg('add')!, T0)]);
    h.clock.now = T0 + 10_000;
    const [r] = h.engine.ingestBatch([legacy(dibblerMsg('update-renew')!, T0 + 10_000)]);
    expect(r).toMatchObject({ status: 'applied', event: { msgType: 5, msgTypeName: 'LEASE_RENEW' } });
    expect(param(h.engine, 'Device.IP.Interface.1.IPv6Address.1.X_DHCPMGR_ValidLifetimeRemaining')).toBe(30);
    expect(h.changes).toHaveLength(2);
  });

  it('keeps the held IA_NA when a renew carries only IA_PD (real update-pd-only capture)', () => {
    h.engine.ingestBatch([legacy(dibblerMsg('add')!, T0)]);
    h.clock.now = T0 + 10_000;
    const [r] = h.engine.ingestBatch([legacy(dibblerMsg('update-pd-only')!, T0 + 10_000)]);
    expect(r).toMatchObject({ status: 'applied', event: { msgTypeName: 'LEASE_RENEW' } });
    expect(param(h.engine, 'Device.IP.Interface.1.IPv6Address.1.IPAddress')).toBe('fd00:77::10b');
    // The kept address still expires at its own time; the prefix was renewed.
    expect(param(h.engine, 'Device.IP.Interface.1.IPv6Address.1.X_DHCPMGR_ValidLifetimeRemaining')).toBe(20);
    expect(param(h.engine, 'Device.IP.Interface.1.IPv6Prefix.1.X_DHCPMGR_ValidLifetimeRemaining')).toBe(30);
    expect(h.changes[1]).toEqual({ version: 6, ifname: 'veth-cli', action: 'set', prefix: { prefix: 'fd00:77:100:26::', length: 64, preferred: 20, valid: 30 },
      dnsServers: ['fd00:77::53', 'fd00:77::54'], domains: ['lab.test', 'corp.test'] });
  });

  it('keeps the held IA_PD when a renew carries only IA_NA', () => {
    h.engine.ingestBatch([legacy(v6('erouter0'), T0), legacy(v6('erouter0', { pd: null }), T0 + 1)]);
    expect(param(h.engine, 'Device.IP.Interface.1.IPv6Prefix.1.Prefix')).toBe('fd00:77:100:26::/64');
    expect(h.events.map((e) => e.msgTypeName)).toEqual(['LEASE_UPDATE', 'LEASE_RENEW']);
  });

  it('publishes LEASE_UPDATE when the delegated prefix changes (real renumbering capture)', () => {
    h.engine.ingestBatch([legacy(dibblerMsg('add')!, T0)]);
    const [r] = h.engine.ingestBatch([legacy(dibblerMsg('update-old-and-new-prefix')!, T0 + 1000)]);
    expect(r).toMatchObject({ status: 'applied', event: { msgTypeName: 'LEASE_UPDATE' } });
    expect(param(h.engine, 'Device.IP.Interface.1.IPv6Prefix.1.Prefix')).toBe('fd00:77:200:27::/64');
  });

  it('removes only what an expire names, and only when it matches what is held', () => {
    h.engine.ingestBatch([legacy(v6('erouter0'), T0)]);
    const [other] = h.engine.ingestBatch([legacy(v6('erouter0', { isExpired: true, na: null, pd: { prefix: 'fd00:99::' } }), T0 + 1)]);
    expect(other).toMatchObject({ status: 'applied', event: { msgTypeName: 'CLIENT_STOPPED' } });
    expect(param(h.engine, 'Device.IP.Interface.1.IPv6PrefixNumberOfEntries')).toBe(1);
    const [del] = h.engine.ingestBatch([legacy(v6('erouter0', { isExpired: true, na: null }), T0 + 2)]);
    expect(del).toMatchObject({ status: 'applied', event: { msgType: 4, msgTypeName: 'LEASE_DEL' } });
    expect((del as { event: { lease: Record<string, unknown> } }).event.lease.iaPd).toMatchObject({ prefix: 'fd00:77:100:26::/64' });
    expect((del as { event: { lease: Record<string, unknown> } }).event.lease.iaNa).toBeUndefined();
    expect(param(h.engine, 'Device.IP.Interface.1.IPv6PrefixNumberOfEntries')).toBe(0);
    expect(param(h.engine, 'Device.IP.Interface.1.IPv6Address.1.IPAddress')).toBe('fd00:77::10b');
    expect(h.changes[1]).toEqual({ version: 6, ifname: 'erouter0', action: 'clear', prefix: { prefix: 'fd00:77:100:26::', length: 64 } });
  });

  it('removes everything (and the options) on an expire that names nothing', () => {
    h.engine.ingestBatch([legacy(v6('erouter0'), T0)]);
    const [del] = h.engine.ingestBatch([legacy(v6('erouter0', { isExpired: true, na: null, pd: null }), T0 + 1)]);
    expect(del).toMatchObject({ status: 'applied', event: { msgTypeName: 'LEASE_DEL', cause: 'expire' } });
    expect(param(h.engine, 'Device.IP.Interface.1.IPv6AddressNumberOfEntries')).toBe(0);
    expect(param(h.engine, 'Device.DHCPv6.Client.1.DNSServers')).toBe('');
    expect(h.engine.get(['Device.DNS.Client.Server.3.']).ok).toBe(false);
  });

  it('accepts every real dibbler capture the C plugin would send', () => {
    const msgs = captures('dibbler').map(dibblerMsg).filter((m) => m !== undefined);
    expect(msgs).toHaveLength(5);
    const results = h.engine.ingestBatch(msgs.map((m, k) => legacy(m!, T0 + k)));
    expect(results.map((r) => r.status)).toEqual(msgs.map(() => 'applied'));
  });

  it('never configures the system for a lease without an address or prefix (a C defect)', () => {
    h.engine.ingestBatch([legacy(v6('erouter0', { na: null, pd: null }), T0)]);
    expect(h.changes).toEqual([]);
    expect(h.engine.leases()[0]).toMatchObject({ ifname: 'erouter0', version: 6, status: 'none', dnsServers: ['fd00:77::53', 'fd00:77::54'] });
  });

  it('treats 0xFFFFFFFF lifetimes as infinite', () => {
    h.engine.ingestBatch([legacy(v6('erouter0', { na: { preferredLifetime: 0xffffffff, validLifetime: 0xffffffff }, pd: null }), T0)]);
    expect(param(h.engine, 'Device.IP.Interface.1.IPv6Address.1.ValidLifetime')).toBe('9999-12-31T23:59:59Z');
    expect(param(h.engine, 'Device.IP.Interface.1.IPv6Address.1.X_DHCPMGR_ValidLifetimeRemaining')).toBe(-1);
    expect(h.engine.nextExpiry()).toBeUndefined();
  });
});
