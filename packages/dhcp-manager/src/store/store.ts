/**
 * The durable store: `${stateDir}/dhcpmgr.sqlite`, SQLite in WAL mode via better-sqlite3.
 * Each model record is one row (a few hundred bytes of JSON); a message costs one history
 * insert, plus one upsert per record a transaction changed, all prepared once. History is bounded
 * per interface at the end of each transaction by one range delete per interface written to
 * (the rows `limit` and more places behind its newest, found by the (ifname, seq) index).
 * Schema changes bump SCHEMA_VERSION and add a migration step in migrate().
 */
import Database = require('better-sqlite3');
import { mkdirSync, readFileSync } from 'fs';
import { join } from 'path';
import type { LeaseEvent } from '../contract';
import { eventJson } from '../events';
import type { LeaseRecord } from '../model/types';

export const SCHEMA_VERSION = 1;
export const STORE_FILE = 'dhcpmgr.sqlite';

/** Persisted EnvelopeMeta of the last applied event per (ifname, version). */
export interface StoredOrder { bootId: Buffer; monotonicNs: bigint; wallUs: bigint }

export interface StoredLease { ifname: string; version: 4 | 6; record: LeaseRecord; order: StoredOrder | null }

export interface StoreOptions { stateDir: string; durability: 'full' | 'normal'; historyPerInterface: number }

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS interfaces (ifname TEXT PRIMARY KEY, instance INTEGER NOT NULL UNIQUE) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases (
  ifname TEXT NOT NULL, version INTEGER NOT NULL, record TEXT NOT NULL,
  order_boot BLOB, order_mono TEXT, order_wall TEXT,
  PRIMARY KEY (ifname, version)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history (id INTEGER PRIMARY KEY, ifname TEXT NOT NULL, seq INTEGER NOT NULL, event TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS history_if_seq ON history (ifname, seq);
`;

export class Store {
  readonly path: string;
  readonly readOnly: boolean;
  private readonly db: Database.Database;
  private readonly limit: number;
  private readonly seqs = new Map<string, number>();
  /** Interfaces given history rows in the open transaction (pruned at its end). */
  private readonly touched = new Set<string>();
  private readonly st: {
    iface: Database.Statement; lease: Database.Statement; histIns: Database.Statement; histPrune: Database.Statement;
  } | undefined;

  /**
   * Opens (creating) the store. When the state dir cannot be written, falls back to opening the
   * existing file read-only (reads work, every write is refused); throws when neither works.
   */
  constructor(opts: StoreOptions) {
    this.path = join(opts.stateDir, STORE_FILE);
    this.limit = opts.historyPerInterface;
    let db: Database.Database | undefined;
    let readOnly = false;
    try {
      mkdirSync(opts.stateDir, { recursive: true, mode: 0o750 });
      db = new Database(this.path);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${opts.durability === 'full' ? 'FULL' : 'NORMAL'}`);
      db.pragma('busy_timeout = 2000');
      migrate(db);
    } catch (writeErr) {
      // SQLite may have opened the file read-only by itself; that handle is of no use here.
      if (db?.open) db.close();
      if (writeErr instanceof NewerSchemaError) throw writeErr;
      try {
        db = openReadOnly(this.path);
        readOnly = true;
      } catch (readErr) {
        throw new Error(`Cannot open the store ${this.path}: ${(writeErr as Error).message}; read-only: ${(readErr as Error).message}`);
      }
    }
    this.db = db!;
    this.readOnly = readOnly;
    if (!readOnly) {
      this.st = {
        iface: db.prepare('INSERT OR IGNORE INTO interfaces (ifname, instance) VALUES (?, ?)'),
        lease: db.prepare(`INSERT INTO leases (ifname, version, record, order_boot, order_mono, order_wall) VALUES (?, ?, ?, ?, ?, ?)
          ON CONFLICT (ifname, version) DO UPDATE SET record = excluded.record, order_boot = excluded.order_boot,
          order_mono = excluded.order_mono, order_wall = excluded.order_wall`),
        histIns: db.prepare('INSERT INTO history (ifname, seq, event) VALUES (?, ?, ?)'),
        histPrune: db.prepare('DELETE FROM history WHERE ifname = ? AND seq <= ?'),
      };
    }
    for (const row of db.prepare('SELECT ifname, MAX(seq) AS seq FROM history GROUP BY ifname').all() as Array<{ ifname: string; seq: number }>) {
      this.seqs.set(row.ifname, row.seq);
    }
    if (!readOnly) this.pruneAll();
  }

  /** After a smaller history limit: one range delete per interface, at open only. */
  private pruneAll(): void {
    const del = this.db.prepare('DELETE FROM history WHERE ifname = ? AND seq <= ?');
    this.db.transaction(() => { for (const [ifname, seq] of this.seqs) del.run(ifname, seq - this.limit); })();
  }

  /** Run `fn` (which calls the write methods) in one transaction; throws what SQLite throws. */
  transaction<T>(fn: () => T): T {
    if (!this.st) throw new Error(`store ${this.path} is read-only`);
    const seqsBefore = new Map(this.seqs);
    this.touched.clear();
    try {
      return this.db.transaction(() => {
        const out = fn();
        for (const ifname of this.touched) {
          const seq = this.seqs.get(ifname)!;
          if (seq > this.limit) this.st!.histPrune.run(ifname, seq - this.limit);
        }
        return out;
      })();
    } catch (err) {
      // Rolled back: forget the history sequence numbers handed out inside.
      this.seqs.clear();
      for (const [k, v] of seqsBefore) this.seqs.set(k, v);
      throw err;
    }
  }

  putInterface(ifname: string, instance: number): void {
    this.st!.iface.run(ifname, instance);
  }

  putLease(ifname: string, version: 4 | 6, record: LeaseRecord, order: StoredOrder | null): void {
    this.st!.lease.run(ifname, version, JSON.stringify(record),
      order ? order.bootId : null, order ? order.monotonicNs.toString() : null, order ? order.wallUs.toString() : null);
  }

  addHistory(event: LeaseEvent): void {
    const seq = (this.seqs.get(event.ifname) ?? 0) + 1;
    this.seqs.set(event.ifname, seq);
    this.st!.histIns.run(event.ifname, seq, eventJson(event));
    this.touched.add(event.ifname);
  }

  interfaces(): Array<{ ifname: string; instance: number }> {
    return this.db.prepare('SELECT ifname, instance FROM interfaces ORDER BY instance').all() as Array<{ ifname: string; instance: number }>;
  }

  leases(): StoredLease[] {
    const rows = this.db.prepare('SELECT ifname, version, record, order_boot, order_mono, order_wall FROM leases').all() as Array<{
      ifname: string; version: 4 | 6; record: string; order_boot: Buffer | null; order_mono: string | null; order_wall: string | null;
    }>;
    return rows.map((r) => ({
      ifname: r.ifname, version: r.version, record: JSON.parse(r.record) as LeaseRecord,
      order: r.order_boot && r.order_mono !== null && r.order_wall !== null
        ? { bootId: r.order_boot, monotonicNs: BigInt(r.order_mono), wallUs: BigInt(r.order_wall) } : null,
    }));
  }

  /** The last `limit` events (of one interface or all), oldest first. */
  history(ifname: string | undefined, limit: number): LeaseEvent[] {
    const rows = (ifname === undefined
      ? this.db.prepare('SELECT event FROM history ORDER BY id DESC LIMIT ?').all(limit)
      : this.db.prepare('SELECT event FROM history WHERE ifname = ? ORDER BY seq DESC LIMIT ?').all(ifname, limit)) as Array<{ event: string }>;
    return rows.reverse().map((r) => JSON.parse(r.event) as LeaseEvent);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

class NewerSchemaError extends Error {}

/**
 * For a state dir we cannot write: SQLite cannot open a WAL database read-only without its
 * -shm file, so when that fails we read the file into an in-memory copy (header switched from
 * WAL to rollback mode). A -wal file left by a crash is not read in that case.
 */
function openReadOnly(path: string): Database.Database {
  const probe = (d: Database.Database) => d.prepare('SELECT value FROM meta WHERE key = ?').get('schema_version');
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    probe(db);
    return db;
  } catch {
    if (db?.open) db.close();
  }
  const image = readFileSync(path);
  if (image.length >= 20) { image[18] = 1; image[19] = 1; }
  const mem = new Database(image);
  probe(mem);
  return mem;
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get('schema_version') as { value: string } | undefined;
  const have = row ? Number(row.value) : 0;
  if (have > SCHEMA_VERSION) {
    throw new NewerSchemaError(`schema version ${have} is newer than this manager's ${SCHEMA_VERSION}`);
  }
  if (have < 1) {
    db.transaction(() => {
      db.exec(SCHEMA);
      db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
    })();
  }
}
