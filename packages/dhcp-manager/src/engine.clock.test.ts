import Database from 'better-sqlite3';
import { join } from 'path';
import { bootId, stampNow } from '@dhcpmgr/plugin-msg';
import { acked, legacy, v4, v6 } from './__fixtures__/fixtures';
import { Harness, T0, harness, param } from './__fixtures__/harness';
import type { KeyState } from './appliers/ledger';
import { reconcileTargets } from './appliers/reconcile';
import { decodeRecord } from './store/record-codec';

const YEAR = 365 * 24 * 3600 * 1000;
const M0 = 5_000_000; // CLOCK_MONOTONIC ms at the first message (unrelated to the wall clock)
const BOOT_A = 'a'.repeat(32);
const BOOT_B = 'b'.repeat(32);
const V4 = 'Device.DHCPv4.Client.1.';
const NA = 'Device.IP.Interface.1.IPv6Address.1.';

describe('engine: lease time on the monotonic clock', () => {
  let h: Harness;
  beforeEach(() => { h = harness({}, undefined, { now: T0, mono: M0, boot: BOOT_A }); });
  afterEach(() => h.cleanup());

  const tick = (ms: number) => { h.clock.now += ms; h.clock.mono! += ms; };

  it.each([['forward', 20 * YEAR], ['backward', -20 * YEAR], ['forward a few seconds', 90_000], ['backward a few seconds', -90_000]])(
    'keeps a v4 lease and its remaining time when the wall clock steps %s', (_name, step) => {
      h.engine.ingestBatch([legacy(v4('eth0'), T0)]);
      tick(10_000);
      h.clock.now += step;
      expect(param(h.engine, `${V4}LeaseTimeRemaining`)).toBe(110);
      expect(h.engine.expireDue()).toEqual([]);
      expect(h.engine.nextExpiry()).toBe(M0 + 120_000);
      // The displayed deadline follows the wall clock: now + what is left.
      expect(param(h.engine, `${V4}X_DHCPMGR_LeaseExpires`)).toBe(new Date(h.clock.now + 110_000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
      expect(h.engine.leases()[0]!.addresses[0]!.validRemaining).toBe(110);
      tick(109_999);
      expect(h.engine.expireDue()).toEqual([]);
      tick(1);
      expect(h.engine.expireDue().map((e) => e.cause)).toEqual(['expired-by-manager']);
    });

  it('counts IPv6 lifetimes on the monotonic clock and keeps their order across a wall-clock step', () => {
    h.engine.ingestBatch([legacy(v6('erouter0', { pd: { validLifetime: 300, preferredLifetime: 200 } }), T0)]);
    tick(25_000);
    h.clock.now -= 30 * YEAR;
    expect(param(h.engine, `${NA}X_DHCPMGR_ValidLifetimeRemaining`)).toBe(5);
    expect(param(h.engine, `${NA}IPAddressStatus`)).toBe('Deprecated');
    expect(param(h.engine, 'Device.IP.Interface.1.IPv6Prefix.1.X_DHCPMGR_PreferredLifetimeRemaining')).toBe(175);
    h.clock.now += 60 * YEAR;
    expect(h.engine.expireDue()).toEqual([]);
    tick(5_000);
    const [ev] = h.engine.expireDue();
    expect(ev!.lease.iaNa).toMatchObject({ address: 'fd00:77::10b' });
    expect(ev!.lease.iaPd).toBeUndefined();
    expect(param(h.engine, 'Device.IP.Interface.1.IPv6Prefix.1.X_DHCPMGR_ValidLifetimeRemaining')).toBe(270);
  });

  it('continues the countdown across a restart in the same boot, whatever the wall clock did meanwhile', () => {
    h.engine.ingestBatch([legacy(v4('eth0'), T0)]);
    tick(30_000);
    h.clock.now += 12 * YEAR;
    h = h.reopen();
    expect(param(h.engine, `${V4}IPAddress`)).toBe('192.168.77.130');
    expect(param(h.engine, `${V4}LeaseTimeRemaining`)).toBe(90);
    expect(h.events).toEqual([]);
    h.clock.now -= 24 * YEAR;
    tick(90_000);
    h = h.reopen();
    // Expired while stopped: the first expiry run (the daemon's timer fires at once) ends it.
    expect(h.engine.nextExpiry()).toBe(M0 + 120_000);
    expect(h.engine.expireDue().map((e) => e.cause)).toEqual(['expired-by-manager']);
  });

  it('ends the leases of a previous boot at start with LEASE_DEL cause reboot, published but not applied', () => {
    h.engine.ingestBatch([legacy(v4('eth0'), T0), legacy(v6('erouter0'), T0)]);
    const applied = h.changes.length;
    h.clock.boot = BOOT_B;
    h.clock.mono = 2_000; // a new boot's monotonic clock starts again near 0
    h = h.reopen();
    expect(h.events.map((e) => [e.ifname, e.msgTypeName, e.cause]).sort()).toEqual([['erouter0', 'LEASE_DEL', 'reboot'], ['eth0', 'LEASE_DEL', 'reboot']]);
    expect(h.changes).toEqual([]);
    expect(applied).toBe(2);
    expect(param(h.engine, `${V4}IPAddress`)).toBe('');
    expect(param(h.engine, `${V4}X_DHCPMGR_LastEvent`)).toBe('reboot');
    expect(h.engine.nextExpiry()).toBeUndefined();
    expect(h.engine.history('eth0').map((e) => e.cause)).toEqual(['bound', 'reboot']);
    expect(h.logLines.some((l) => l.includes('leases of a previous boot ended'))).toBe(true);
    // The clients start over in the new boot; the model follows them.
    h.engine.ingestBatch([legacy(v4('eth0'), T0 + 1000)]);
    expect(param(h.engine, `${V4}LeaseTimeRemaining`)).toBe(120);
  });

  it('hands the leases it ended for a reboot to the applier\'s reconcile as ended, so their ledger items are removed', () => {
    h.engine.ingestBatch([legacy(v4('eth0'), T0), legacy(v6('erouter0'), T0)]);
    const ledger = (ifname: string, version: 4 | 6): KeyState => ({ ifname, version, lease: null, items: [], dns: { servers: [], domains: [] } });
    const keys = { 'eth0/4': ledger('eth0', 4), 'erouter0/6': ledger('erouter0', 6) };
    // Same boot, later: both are still held, with their lifetimes counted on the monotonic clock.
    tick(10_000);
    h.clock.now -= 10 * YEAR;
    h = h.reopen();
    const kept = reconcileTargets(keys, h.engine);
    expect(kept.map((t) => [t.key, t.lease !== null])).toEqual([['eth0/4', true], ['erouter0/6', true]]);
    expect(h.engine.leases().map((v) => v.addresses.map((a) => a.validRemaining))).toEqual([[110], [20, 20]]);
    // Another boot: ended at start, and the reconcile removes what the ledger lists for them.
    h.clock.boot = BOOT_B;
    h.clock.mono = 2_000;
    h = h.reopen();
    expect(reconcileTargets(keys, h.engine).map((t) => [t.key, t.lease])).toEqual([['eth0/4', null], ['erouter0/6', null]]);
  });

  it('treats a lease whose monotonic time lies ahead of the clock as another boot (unknown boot id)', () => {
    h.clock.boot = '0'.repeat(32);
    h = h.reopen();
    h.engine.ingestBatch([legacy(v4('eth0'), T0)]);
    h.clock.mono = 1_000;
    h = h.reopen();
    expect(h.events.map((e) => e.cause)).toEqual(['reboot']);
  });

  it('counts an acked event of this boot from its sender stamp, so a late replay ends when the lease really ends', () => {
    h.clock.boot = bootId().toString('hex');
    h = h.reopen();
    const stamp = stampNow();
    stamp.monotonicNs -= 40_000_000_000n; // stamped 40 s ago, then spooled
    h.engine.ingestBatch([acked(v4('eth0'), T0, stamp)]);
    const left = param(h.engine, `${V4}LeaseTimeRemaining`) as number;
    expect(left).toBeGreaterThanOrEqual(79);
    expect(left).toBeLessThanOrEqual(80);
  });

  it('upgrades a schema-2 store: wall-clock deadlines become monotonic ones and the boot comes from the stored order', () => {
    h.engine.ingestBatch([legacy(v4('eth0'), T0), legacy(v6('erouter0'), T0)]);
    h.store.close();
    const db = new Database(join(h.stateDir, 'dhcpmgr.sqlite'));
    for (const row of db.prepare('SELECT ifname, version, record FROM leases').all() as Array<{ ifname: string; version: number; record: Buffer }>) {
      const strip = (o: Record<string, unknown> | null) => {
        if (o) for (const k of ['boot', 'obtainedMono', 'expiresMono', 'preferredMono', 'validMono']) delete o[k];
      };
      const r = decodeRecord(row.record) as unknown as Record<string, Record<string, unknown> | null>;
      strip(r.lease ?? null); strip(r.na ?? null); strip(r.pd ?? null);
      // Schema 2 stored the record as a JSON object.
      db.prepare('UPDATE leases SET record = ? WHERE ifname = ? AND version = ?').run(JSON.stringify(r), row.ifname, row.version);
    }
    // Legacy orders are stamped with the manager's own boot id: make it this harness's boot.
    db.prepare('UPDATE leases SET order_boot = ?').run(Buffer.from(BOOT_A, 'hex'));
    db.prepare("UPDATE meta SET value = '2' WHERE key = 'schema_version'").run();
    db.close();
    h.clock.now += 20_000;
    h.clock.mono = 9_000_000;
    h = h.reopen();
    expect(param(h.engine, `${V4}LeaseTimeRemaining`)).toBe(100);
    expect(param(h.engine, 'Device.IP.Interface.2.IPv6Address.1.X_DHCPMGR_ValidLifetimeRemaining')).toBe(10);
    expect(h.engine.nextExpiry()).toBe(9_000_000 + 10_000);
    h.clock.now += 50 * YEAR;
    expect(param(h.engine, `${V4}LeaseTimeRemaining`)).toBe(100);
    const after = new Database(join(h.stateDir, 'dhcpmgr.sqlite'), { readonly: true });
    expect((after.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string }).value).toBe('5');
    const rec = decodeRecord((after.prepare("SELECT record FROM leases WHERE ifname = 'eth0'").get() as { record: Buffer }).record);
    expect(rec.version === 4 && rec.lease).toMatchObject({ boot: BOOT_A, expiresMono: 9_100_000 });
    after.close();
  });
});
