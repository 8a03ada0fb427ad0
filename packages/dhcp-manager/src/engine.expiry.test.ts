import { legacy, v4, v6 } from './__fixtures__/fixtures';
import { Harness, T0, harness, param } from './__fixtures__/harness';

describe('engine: expiry by the manager', () => {
  let h: Harness;
  beforeEach(() => { h = harness(); });
  afterEach(() => h.cleanup());

  it('arms the next expiry and expires a v4 lease with LEASE_DEL expired-by-manager', () => {
    h.engine.ingestBatch([legacy(v4('eth0'), T0)]);
    expect(h.engine.nextExpiry()).toBe(T0 + 120_000);
    expect(h.engine.expireDue(T0 + 119_999)).toEqual([]);
    const evs = h.engine.expireDue(T0 + 120_000);
    expect(evs).toEqual([expect.objectContaining({ msgType: 4, msgTypeName: 'LEASE_DEL', cause: 'expired-by-manager', ifname: 'eth0' })]);
    expect(h.events.at(-1)).toEqual(evs[0]);
    expect(param(h.engine, 'Device.DHCPv4.Client.1.IPAddress')).toBe('');
    expect(h.changes.at(-1)).toEqual({ version: 4, ifname: 'eth0', action: 'clear', address: '192.168.77.130', prefixLength: 24 });
    expect(h.engine.nextExpiry()).toBeUndefined();
    expect(h.engine.history('eth0').map((e) => e.cause)).toEqual(['bound', 'expired-by-manager']);
  });

  it('removes a v6 address whose valid lifetime passed, keeping a prefix that is still valid', () => {
    h.engine.ingestBatch([legacy(v6('erouter0', { pd: { validLifetime: 300, preferredLifetime: 200 } }), T0)]);
    expect(h.engine.nextExpiry()).toBe(T0 + 30_000);
    h.clock.now = T0 + 31_000;
    const evs = h.engine.expireDue();
    expect(evs).toHaveLength(1);
    expect(evs[0]!.lease.iaNa).toMatchObject({ address: 'fd00:77::10b' });
    expect(evs[0]!.lease.iaPd).toBeUndefined();
    expect(param(h.engine, 'Device.IP.Interface.1.IPv6AddressNumberOfEntries')).toBe(0);
    expect(param(h.engine, 'Device.IP.Interface.1.IPv6Prefix.1.Prefix')).toBe('fd00:77:100:26::/64');
    expect(h.engine.nextExpiry()).toBe(T0 + 300_000);
  });

  it('does not expire a lease that was renewed in time', () => {
    h.engine.ingestBatch([legacy(v4('eth0'), T0)]);
    h.clock.now = T0 + 60_000;
    h.engine.ingestBatch([legacy(v4('eth0', { dhcpState: 'renew' }), T0 + 60_000)]);
    expect(h.engine.expireDue(T0 + 150_000)).toEqual([]);
    expect(h.engine.nextExpiry()).toBe(T0 + 180_000);
  });

  it('keeps the expiry queue bounded under endless renewals', () => {
    for (let k = 1; k <= 500; k++) {
      h.clock.now = T0 + k * 10;
      h.engine.ingestBatch(Array.from({ length: 10 }, () => legacy(v6('erouter0'), h.clock.now)));
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expect((h.engine as any).state.expiry.size).toBe(2);
    expect(h.engine.nextExpiry()).toBe(T0 + 5000 + 30_000);
  });

  it('continues countdowns and expiry after a restart from the stored absolute times', () => {
    h.engine.ingestBatch([legacy(v4('eth0'), T0), legacy(v6('eth0'), T0)]);
    h.clock.now = T0 + 100_000;
    h = h.reopen();
    expect(param(h.engine, 'Device.DHCPv4.Client.1.LeaseTimeRemaining')).toBe(20);
    expect(h.engine.nextExpiry()).toBe(T0 + 30_000);
    const evs = h.engine.expireDue();
    expect(evs.map((e) => `${e.version}:${e.msgTypeName}`).sort()).toEqual(['6:LEASE_DEL']);
    expect(h.engine.expireDue(T0 + 120_000).map((e) => e.version)).toEqual([4]);
  });
});
