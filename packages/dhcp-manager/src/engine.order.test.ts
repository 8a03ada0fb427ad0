import { acked, legacy, meta, v4, v6 } from './__fixtures__/fixtures';
import { Harness, T0, harness } from './__fixtures__/harness';
import { bootId, stampNow } from '@dhcpmgr/plugin-msg';

describe('engine: ordering of acked, spooled and legacy events', () => {
  let h: Harness;
  beforeEach(() => { h = harness(); });
  afterEach(() => h.cleanup());

  it('answers duplicate for an event with the same order, stale for an older one, and applies neither', async () => {
    const m1 = meta(1, 1000n, 1n), m2 = meta(1, 2000n, 2n);
    const rs = h.engine.ingestBatch([
      acked(v4('eth0'), T0, m2), acked(v4('eth0', { address: '10.1.1.1' }), T0, m2), acked(v4('eth0', { address: '10.2.2.2' }), T0, m1),
    ]);
    expect(rs.map((r) => r.status)).toEqual(['applied', 'duplicate', 'stale']);
    expect(h.events).toHaveLength(1);
    expect(h.engine.get(['Device.DHCPv4.Client.1.IPAddress'])).toMatchObject({ ok: true, values: [{ value: '192.168.77.130' }] });
    expect(await h.metrics.value('dhcpmgr_ingest_results_total', { status: 'duplicate' })).toBe(1);
    expect(h.engine.stats()).toMatchObject({ applied: 1, duplicates: 1, stale: 1 });
  });

  it('orders each (ifname, version) on its own', () => {
    const rs = h.engine.ingestBatch([
      acked(v4('eth0'), T0, meta(1, 5000n, 5n)), acked(v6('eth0'), T0, meta(1, 10n, 1n)), acked(v4('eth1'), T0, meta(1, 10n, 1n)),
    ]);
    expect(rs.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
  });

  it('compares by wall clock across boots', () => {
    const rs = h.engine.ingestBatch([acked(v4('eth0'), T0, meta(1, 5000n, 100n)), acked(v4('eth0'), T0, meta(2, 1n, 99n)), acked(v4('eth0'), T0, meta(2, 1n, 101n))]);
    expect(rs.map((r) => r.status)).toEqual(['applied', 'stale', 'applied']);
  });

  it('refuses as stale a spooled event older than a legacy one that arrived earlier', () => {
    const spooled = stampNow(); // the plugin stamped it, then the manager was unreachable
    const [a] = h.engine.ingestBatch([legacy(v4('eth0', { address: '10.0.0.9' }), T0)]);
    const [b] = h.engine.ingestBatch([{ ...acked(v4('eth0'), T0, spooled), channel: 'spool' }]);
    expect([a!.status, b!.status]).toEqual(['applied', 'stale']);
    const later = stampNow();
    expect(later.bootId.equals(bootId())).toBe(true);
    const [c] = h.engine.ingestBatch([{ ...acked(v4('eth0'), T0, later), channel: 'spool' }]);
    expect(c!.status).toBe('applied');
  });

  it('never treats two legacy messages as duplicates, even in one batch', () => {
    const rs = h.engine.ingestBatch([legacy(v4('eth0'), T0), legacy(v4('eth0'), T0), legacy(v4('eth0'), T0)]);
    expect(rs.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
    expect(h.events.map((e) => e.msgTypeName)).toEqual(['LEASE_UPDATE', 'LEASE_RENEW', 'LEASE_RENEW']);
  });

  it('keeps the last order across a restart', () => {
    h.engine.ingestBatch([acked(v4('eth0'), T0, meta(1, 2000n, 2n))]);
    h = h.reopen();
    const rs = h.engine.ingestBatch([acked(v4('eth0'), T0, meta(1, 2000n, 2n)), acked(v4('eth0'), T0, meta(1, 1000n, 1n))]);
    expect(rs.map((r) => r.status)).toEqual(['duplicate', 'stale']);
  });
});
