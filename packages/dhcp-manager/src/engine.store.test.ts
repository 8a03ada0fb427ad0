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
import type { LeaseRecord } from './model/types';
import { decodeRecord, encodeRecordV4 } from './store/record-codec';

function snapshot(h: Harness) {
  return { tree: h.engine.get(['Device.']), leases: h.engine.leases(), history: h.engine.history() };
}

type Db = { prepare(sql: string): { all(): unknown[]; run(...a: unknown[]): unknown } };

/** Lease rows as an older schema stored them: each record a JSON object (schemas 1-3) or a JSON array of its values (schema 4). */
function recordsAs(db: Db, form: (r: LeaseRecord) => string): void {
  const rows = db.prepare('SELECT ifname, version, record FROM leases').all() as Array<{ ifname: string; version: number; record: Buffer }>;
  for (const r of rows) {
    db.prepare('UPDATE leases SET record = ? WHERE ifname = ? AND version = ?').run(form(decodeRecord(r.record)), r.ifname, r.version);
  }
}
const recordsAsObjects = (db: Db) => recordsAs(db, (r) => JSON.stringify(r));

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

  it('keeps the newest events per interface in order as the ring wraps, and when its size grows or shrinks', () => {
    h = h.reopen({ historyPerInterface: 4 });
    for (let k = 0; k < 10; k++) h.engine.ingestBatch([legacy(v4('wan0', { leaseTime: 1000 + k }), T0), legacy(v4('wan1', { leaseTime: 2000 + k }), T0)]);
    const times = (ifname?: string, n?: number) => h.engine.history(ifname, n).map((e) => e.lease.leaseTime);
    expect(times('wan0')).toEqual([1006, 1007, 1008, 1009]);
    expect(times(undefined, 5)).toEqual([2007, 1008, 2008, 1009, 2009]);
    h = h.reopen({ historyPerInterface: 6 });
    expect(times('wan0')).toEqual([1006, 1007, 1008, 1009]);
    for (let k = 10; k < 13; k++) h.engine.ingestBatch([legacy(v4('wan0', { leaseTime: 1000 + k }), T0)]);
    expect(times('wan0')).toEqual([1007, 1008, 1009, 1010, 1011, 1012]);
    h = h.reopen({ historyPerInterface: 2 });
    expect(times('wan0')).toEqual([1011, 1012]);
    h.engine.ingestBatch([legacy(v4('wan0', { leaseTime: 1013 }), T0)]);
    expect(times('wan0')).toEqual([1012, 1013]);
    expect(times(undefined, 3)).toEqual([2009, 1012, 1013]);
  });

  it('keeps the newest events when one batch wraps an interface\'s ring several times', () => {
    h = h.reopen({ historyPerInterface: 5 });
    const batch = Array.from({ length: 70 }, (_, k) => legacy(v4(k % 10 === 9 ? 'wan1' : 'wan0', { leaseTime: 1000 + k }), T0));
    expect(h.engine.ingestBatch(batch).every((r) => r.status === 'applied')).toBe(true);
    expect(h.engine.history('wan0').map((e) => e.lease.leaseTime)).toEqual([1064, 1065, 1066, 1067, 1068]);
    expect(h.engine.history('wan1').map((e) => e.lease.leaseTime)).toEqual([1029, 1039, 1049, 1059, 1069]);
    expect(h.engine.history(undefined, 3).map((e) => e.lease.leaseTime)).toEqual([1067, 1068, 1069]);
    h = h.reopen({ historyPerInterface: 5 });
    expect(h.engine.history('wan0').map((e) => e.lease.leaseTime)).toEqual([1064, 1065, 1066, 1067, 1068]);
  });

  it('opens a schema-1 store (appended history) and carries its model and newest history over', () => {
    h = h.reopen({ historyPerInterface: 100 });
    for (let k = 0; k < 6; k++) h.engine.ingestBatch([legacy(v4('wan0', { leaseTime: 1000 + k }), T0), legacy(v6('wan1'), T0)]);
    const before = snapshot(h);
    h.store.close();
    // Rewrite the file the way schema 1 laid history out (DDL as schema 1 had it).
    const Database = require('better-sqlite3');
    const db = new Database(join(h.stateDir, 'dhcpmgr.sqlite'));
    recordsAsObjects(db);
    db.exec(`CREATE TABLE h1 (id INTEGER PRIMARY KEY, ifname TEXT NOT NULL, seq INTEGER NOT NULL, event TEXT NOT NULL);
      INSERT INTO h1 (id, ifname, seq, event) SELECT gseq, ifname, seq, event FROM history;
      DROP TABLE history; ALTER TABLE h1 RENAME TO history;
      CREATE UNIQUE INDEX history_if_seq ON history (ifname, seq);
      UPDATE meta SET value = '1' WHERE key = 'schema_version'; DELETE FROM meta WHERE key = 'history_limit';`);
    expect(db.prepare('SELECT COUNT(*) AS n FROM history').get().n).toBe(12);
    db.close();
    h = harness({ historyPerInterface: 4 }, h.stateDir, h.clock);
    expect(snapshot(h).tree).toEqual(before.tree);
    expect(h.engine.history('wan0').map((e) => e.lease.leaseTime)).toEqual([1002, 1003, 1004, 1005]);
    expect(h.engine.history(undefined, 3)).toEqual(before.history.slice(-3));
    h.engine.ingestBatch([legacy(v4('wan0', { leaseTime: 1006 }), T0)]);
    expect(h.engine.history('wan0').map((e) => e.lease.leaseTime)).toEqual([1003, 1004, 1005, 1006]);
    expect(h.engine.history(undefined, 2).map((e) => e.ifname)).toEqual(['wan1', 'wan0']);
    h.store.close();
    const after = new Database(join(h.stateDir, 'dhcpmgr.sqlite'), { readonly: true });
    expect(after.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get().value).toBe('5');
    expect(after.prepare('SELECT COUNT(*) AS n FROM history').get().n).toBe(8);
    after.close();
    h = harness({ historyPerInterface: 4 }, h.stateDir, h.clock);
  });

  it('opens a schema-3 store (records as JSON objects, history indexed by interface first) with an equal model and history, in schema 5 from then on', () => {
    h.engine.ingestBatch([legacy(v4('wan0'), T0), legacy(v6('wan0'), T0), legacy(v6('wan1', { na: null }), T0)]);
    h.engine.ingestBatch([legacy(v4('wan0', { leaseTime: 300 }), T0)]);
    const before = snapshot(h);
    h.store.close();
    const Database = require('better-sqlite3');
    const db = new Database(join(h.stateDir, 'dhcpmgr.sqlite'));
    recordsAsObjects(db);
    db.exec('DROP INDEX history_slot_if; CREATE UNIQUE INDEX history_if_slot ON history (ifname, slot)');
    db.prepare("UPDATE meta SET value = '3' WHERE key = 'schema_version'").run();
    expect(db.prepare('SELECT record FROM leases').all().map((r: { record: string }) => r.record[0])).toEqual(['{', '{', '{']);
    db.close();
    h = harness({}, h.stateDir, h.clock);
    expect(snapshot(h)).toEqual(before);
    expect(h.engine.history('wan0').map((e) => [e.version, e.lease.leaseTime])).toEqual([[4, 120], [6, undefined], [4, 300]]);
    h.store.close();
    const after = new Database(join(h.stateDir, 'dhcpmgr.sqlite'), { readonly: true });
    expect(after.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get().value).toBe('5');
    expect(after.prepare('SELECT typeof(record) AS t FROM leases').all().map((r: { t: string }) => r.t)).toEqual(['blob', 'blob', 'blob']);
    expect(after.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'history'").all())
      .toEqual([{ name: 'history_slot_if', sql: 'CREATE UNIQUE INDEX history_slot_if ON history (slot, ifname)' }]);
    after.close();
    h = harness({}, h.stateDir, h.clock);
    expect(snapshot(h)).toEqual(before);
  });

  it('opens a schema-4 store (records as JSON arrays) with an equal model, leases and history, its records as bytes from then on', () => {
    h.engine.ingestBatch([legacy(v4('wan0'), T0), legacy(v6('wan0'), T0), legacy(v6('wan1', { na: null }), T0), legacy(v4('wan2', { leaseTime: 300 }), T0)]);
    h.clock.now = T0 + 3_000;
    const before = snapshot(h);
    h.store.close();
    const Database = require('better-sqlite3');
    const db = new Database(join(h.stateDir, 'dhcpmgr.sqlite'));
    recordsAs(db, encodeRecordV4);
    db.prepare("UPDATE meta SET value = '4' WHERE key = 'schema_version'").run();
    expect(db.prepare('SELECT record FROM leases').all().map((r: { record: string }) => r.record.slice(0, 3))).toEqual(['[4,', '[6,', '[6,', '[4,']);
    db.close();
    h = harness({}, h.stateDir, h.clock);
    expect(snapshot(h)).toEqual(before);
    h.store.close();
    const after = new Database(join(h.stateDir, 'dhcpmgr.sqlite'), { readonly: true });
    expect(after.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get().value).toBe('5');
    const rows = after.prepare('SELECT record, typeof(record) AS t FROM leases').all() as Array<{ record: Buffer; t: string }>;
    expect(rows.map((r) => [r.t, r.record[0]])).toEqual([['blob', 4], ['blob', 6], ['blob', 6], ['blob', 4]]);
    after.close();
    h = harness({}, h.stateDir, h.clock);
    expect(snapshot(h)).toEqual(before);
    expect(param(h.engine, 'Device.DHCPv4.Client.3.LeaseTimeRemaining')).toBe(297);
  });

  it('moves a store written by a newer schema aside and starts empty, saying so', () => {
    h.engine.ingestBatch([legacy(v4('wan0'), T0)]);
    h.store.close();
    const Database = require('better-sqlite3');
    const db = new Database(join(h.stateDir, 'dhcpmgr.sqlite'));
    db.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
    db.close();
    h = harness({}, h.stateDir, h.clock);
    const rec = h.engine.stats().storeRecovery!;
    expect(rec).toMatchObject({ reason: 'newer-schema', detail: expect.stringMatching(/schema version 99 is newer/) });
    expect(rec.movedAside[0]).toMatch(/dhcpmgr\.sqlite\.bad-\d{8}T\d{6}Z$/);
    const moved = new Database(rec.movedAside[0], { readonly: true });
    expect(moved.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get().value).toBe('99');
    moved.close();
    expect(h.engine.leases()).toEqual([]);
    expect(h.logLines.some((l) => l.includes('"level":50') && l.includes('STORE RECOVERED'))).toBe(true);
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
    first.store.close();
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
      } finally { h.store.close(); }
    } finally {
      execFileSync('umount', [ro]);
    }
  });
});
