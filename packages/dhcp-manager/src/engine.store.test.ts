/**
 * Persistence: restart recovery, stable instance numbers, bounded history, and store failures
 * on a real filesystem. The failure cases mount a small tmpfs (root needed, as in CI): without
 * root they fail loudly rather than skip.
 */
import { execFileSync } from 'child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { legacy, v4, v6 } from './__fixtures__/fixtures';
import { Harness, T0, harness, param } from './__fixtures__/harness';

function snapshot(h: Harness) {
  return { tree: h.engine.get(['Device.']), leases: h.engine.leases(), history: h.engine.history() };
}

describe('engine: persistence across restarts', () => {
  let h: Harness;
  beforeEach(() => { h = harness(); });
  afterEach(() => h.cleanup());

  it('restores an equal model, leases and history after close and reopen', () => {
    h.engine.ingestBatch([
      legacy(v4('wan0'), T0), legacy(v6('wan0'), T0), legacy(v6('wan1', { na: null }), T0), legacy(v4('wan2', { address: '10.9.9.9', gateway: '10.9.9.1 10.9.9.2' }), T0),
    ]);
    h.clock.now = T0 + 7_000;
    const before = snapshot(h);
    expect(before.leases).toHaveLength(4);
    h = h.reopen();
    expect(snapshot(h)).toEqual(before);
    expect(param(h.engine, 'Device.DHCPv4.Client.3.IPRouters')).toBe('10.9.9.1,10.9.9.2');
  });

  it('keeps instance numbers across restarts and gives a new interface the next one', () => {
    h.engine.ingestBatch([legacy(v4('wan0'), T0), legacy(v4('wan1'), T0)]);
    h = h.reopen({ interfaces: ['lan9', 'wan1', 'wan0'] });
    expect(param(h.engine, 'Device.DHCPv4.Client.1.X_DHCPMGR_IfName')).toBe('wan0');
    expect(param(h.engine, 'Device.DHCPv4.Client.2.X_DHCPMGR_IfName')).toBe('wan1');
    expect(param(h.engine, 'Device.DHCPv4.Client.3.X_DHCPMGR_IfName')).toBe('lan9');
    h = h.reopen({ interfaces: [] });
    h.engine.ingestBatch([legacy(v6('wan7'), T0)]);
    expect(param(h.engine, 'Device.IP.Interface.4.Name')).toBe('wan7');
  });

  it('bounds history per interface and keeps the newest events', () => {
    h = h.reopen({ historyPerInterface: 5 });
    for (let k = 0; k < 12; k++) h.engine.ingestBatch([legacy(v4('wan0', { leaseTime: 100 + k }), T0)]);
    h.engine.ingestBatch([legacy(v4('wan1'), T0)]);
    expect(h.engine.history('wan0').map((e) => e.lease.leaseTime)).toEqual([107, 108, 109, 110, 111]);
    expect(h.engine.history(undefined, 2).map((e) => e.ifname)).toEqual(['wan0', 'wan1']);
    h = h.reopen({ historyPerInterface: 3 });
    expect(h.engine.history('wan0')).toHaveLength(3);
  });

  it('refuses to open a store written by a newer schema', () => {
    h.engine.close();
    const Database = require('better-sqlite3');
    const db = new Database(join(h.stateDir, 'dhcpmgr.sqlite'));
    db.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
    db.close();
    expect(() => harness({}, h.stateDir)).toThrow(/newer/);
  });
});

describe('engine: store failures (tmpfs; needs root)', () => {
  let mnt: string;
  beforeAll(() => {
    if (process.getuid?.() !== 0) throw new Error('these tests mount a tmpfs and must run as root (CI does)');
    mnt = mkdtempSync(join(tmpdir(), 'dhcpmgr-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
  });
  afterAll(() => {
    if (!mnt) return;
    try { execFileSync('umount', ['-l', mnt]); } finally { rmSync(mnt, { recursive: true, force: true }); }
  });

  it('answers unavailable when the disk is full, keeps serving reads, and recovers', async () => {
    const h = harness({}, join(mnt, 'state'));
    try {
      expect(h.engine.ingestBatch([legacy(v4('wan0'), T0)])[0]!.status).toBe('applied');
      const filler = join(mnt, 'filler');
      try { execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' }); } catch { /* ENOSPC ends dd */ }
      const batch = Array.from({ length: 300 }, (_, k) => legacy(v6(`full${k}`), T0));
      const rs = h.engine.ingestBatch(batch);
      expect(new Set(rs.map((r) => r.status))).toEqual(new Set(['unavailable']));
      expect(h.events).toHaveLength(1);
      expect(param(h.engine, 'Device.DHCPv4.Client.1.IPAddress')).toBe('192.168.77.130');
      expect(h.engine.get(['Device.IP.Interface.2.'])).toMatchObject({ ok: false });
      expect(h.engine.stats()).toMatchObject({ storeHealthy: false, unavailable: 300, lastCommitError: { time: T0 } });
      expect(await h.metrics.value('dhcpmgr_store_commit_failures_total')).toBe(1);
      expect(h.logLines.some((l) => l.includes('store commit failed'))).toBe(true);
      rmSync(filler);
      expect(h.engine.ingestBatch(batch.slice(0, 3)).map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
      expect(h.engine.stats().storeHealthy).toBe(true);
      expect(param(h.engine, 'Device.IP.Interface.2.Name')).toBe('full0');
    } finally { h.cleanup(); }
  });

  it('opens a store in a read-only state dir for reads and answers unavailable to writes', () => {
    const src = join(mnt, 'rw');
    const first = harness({}, src);
    first.engine.ingestBatch([legacy(v4('wan0'), T0)]);
    first.engine.close();
    const ro = join(mnt, 'ro');
    mkdirSync(ro);
    execFileSync('mount', ['--bind', src, ro]);
    try {
      execFileSync('mount', ['-o', 'remount,ro,bind', ro]);
      expect(() => writeFileSync(join(ro, 'probe'), 'x')).toThrow(/EROFS/);
      const h = harness({}, ro);
      try {
        expect(param(h.engine, 'Device.DHCPv4.Client.1.IPAddress')).toBe('192.168.77.130');
        expect(h.engine.history('wan0')).toHaveLength(1);
        expect(h.engine.ingestBatch([legacy(v4('wan0', { address: '10.0.0.1' }), T0)])[0]).toMatchObject({ status: 'unavailable' });
        expect(h.engine.stats().storeHealthy).toBe(false);
        expect(param(h.engine, 'Device.DHCPv4.Client.1.IPAddress')).toBe('192.168.77.130');
      } finally { h.engine.close(); }
    } finally {
      execFileSync('umount', [ro]);
    }
  });
});
