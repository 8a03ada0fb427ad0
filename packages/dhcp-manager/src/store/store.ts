/**
 * The durable store: `${stateDir}/dhcpmgr.sqlite`, SQLite in WAL mode via better-sqlite3.
 * Each model record is one row (schema 5: a BLOB of its values, store/record-codec.ts, 200-310
 * bytes, in the column `record`, declared TEXT by schema 1: TEXT affinity leaves a BLOB as it is);
 * a message costs one history write, plus one upsert per record a transaction changed, all
 * prepared once.
 *
 * History is a ring per interface (schema 2): `limit` slots, event number `seq` of an
 * interface goes to slot `seq % limit`, overwriting that slot's older event in place (one
 * upsert on the unique (slot, ifname) index; the row keeps its rowid, so no b-tree grows or
 * shrinks). The index leads with the slot (schema 4; (ifname, slot) before): interfaces that
 * receive events at similar rates are at similar slots, so a batch over many interfaces adds its
 * entries to a few index pages instead of one page per interface. One interface's events are
 * read by seeking its slots from its newest `seq` backwards.
 * Schema 1 appended a row per event and deleted the oldest per interface at each commit: an
 * insert into the table and its (ifname, seq) index plus a range delete in both, scattered over
 * the file as interfaces grow. `gseq` orders events across interfaces (reads of all interfaces);
 * `seq` within one. A different `limit` at open re-slots the rows (keeping the newest).
 * Schema changes bump SCHEMA_VERSION and add a migration step in migrate().
 *
 * The MQTT outbox (export/outbox.ts) refers to history rows instead of copying their JSON, and
 * keeps triggers on this table that save a waiting event's row before it is overwritten or
 * deleted: they read the columns `gseq` and `event`, which a schema change must keep.
 */
import Database = require('better-sqlite3');
import { mkdirSync, readFileSync } from 'fs';
import type { LeaseEvent } from '../contract';
import { eventJson } from '../events';
import { LeaseClock, SYSTEM_CLOCK } from '../model/clock';
import { upgradeRecordV3 } from '../model/migrate';
import { IN_MEMORY, STORE_FILE, storePath } from './files';
import { decodeRecord, encodeRecord, encodeRecordShared } from './record-codec';
import type { LeaseRecord } from '../model/types';

export const SCHEMA_VERSION = 5;
export { STORE_FILE };
/** WAL pages between automatic checkpoints (~40 MB at 4 KiB pages): fewer copies of hot pages than SQLite's 1,000 (docs/performance.md). */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;
/**
 * After a checkpoint resets the WAL, SQLite truncates the -wal file to this size, inside the
 * COMMIT that reuses it. Above the size of a WAL of WAL_AUTOCHECKPOINT_PAGES (about 41 MB), so a
 * reset under load truncates nothing on the event loop (cutting 41 MB back to 8 MB held it 13-22
 * ms, docs/performance.md); only a WAL grown past it (a large migration) is cut back.
 */
export const WAL_SIZE_LIMIT_BYTES = 48 * 1024 * 1024;
/**
 * SQLite page cache of the store's connection (KiB). better-sqlite3 builds SQLite with a 16 MB
 * default per connection, which a long burst fills and keeps; the store's hot pages (leases,
 * instances, the tail of the history ring) fit in far less. `shrinkMemory()` empties it when the
 * daemon is idle.
 */
export const STORE_CACHE_KIB = 2048;

/** Persisted EnvelopeMeta of the last applied event per (ifname, version). */
export interface StoredOrder { bootId: Buffer; monotonicNs: bigint; wallUs: bigint }

export interface StoredLease { ifname: string; version: 4 | 6; record: LeaseRecord; order: StoredOrder | null }

/** Where history keeps an event: ring row (ifname, seq % limit); `gseq` numbers the events of all interfaces in commit order. */
export interface HistoryRef { seq: number; gseq: number }

/** `stateDir` IN_MEMORY (files.ts): no files, nothing survives close. */
export interface StoreOptions {
  stateDir: string; durability: 'full' | 'normal'; historyPerInterface: number;
  /** For the schema 2 -> 3 upgrade of lease rows (model/migrate.ts); default: the system's. */
  clock?: LeaseClock;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS interfaces (ifname TEXT PRIMARY KEY, instance INTEGER NOT NULL UNIQUE) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases (
  ifname TEXT NOT NULL, version INTEGER NOT NULL, record TEXT NOT NULL,
  order_boot BLOB, order_mono TEXT, order_wall TEXT,
  PRIMARY KEY (ifname, version)) WITHOUT ROWID;
`;

const HIST_COLS = 5;
const HIST_ROWS_PER_STATEMENT = 32;
function histUpsert(rows: number): string {
  return `INSERT INTO history (ifname, slot, seq, gseq, event) VALUES ${Array(rows).fill('(?, ?, ?, ?, ?)').join(', ')}
    ON CONFLICT (ifname, slot) DO UPDATE SET seq = excluded.seq, gseq = excluded.gseq, event = excluded.event`;
}

/** Schema 2's history ring (see the file comment). */
/** Schema 4's unique index of the ring (see the file comment). */
const HISTORY_INDEX = 'CREATE UNIQUE INDEX IF NOT EXISTS history_slot_if ON history (slot, ifname)';

const HISTORY_V2 = `
CREATE TABLE history (id INTEGER PRIMARY KEY, ifname TEXT NOT NULL, slot INTEGER NOT NULL, seq INTEGER NOT NULL,
  gseq INTEGER NOT NULL, event TEXT NOT NULL);
CREATE UNIQUE INDEX history_if_slot ON history (ifname, slot);

`;

export class Store {
  readonly path: string;
  readonly readOnly: boolean;
  private readonly db: Database.Database;
  private readonly limit: number;
  /** Per interface: the number of its newest event (its ring slot is seq % limit). */
  private readonly seqs = new Map<string, number>();
  /** Number of the newest event over all interfaces. */
  private gseq = 0;
  /** Column ordering events across interfaces: `gseq`, or `id` in a schema-1 file opened read-only. */
  private readonly orderBy: string;
  /** Slots per interface in the file (its history_limit; `limit` once migrated). */
  private readonly ring: number;
  /** The file's schema (below SCHEMA_VERSION only in a file opened read-only) and the clock to upgrade its rows with. */
  private readonly schema: number;
  private readonly clock: LeaseClock;
  private readonly st: {
    iface: Database.Statement; lease: Database.Statement; hist: Database.Statement; histMany: Database.Statement;
  } | undefined;
  private histEvent: Database.Statement | undefined;
  /** Runs a function in BEGIN/COMMIT (built once; better-sqlite3 builds a wrapper per call otherwise). */
  private readonly txn: ((fn: () => unknown) => unknown) | undefined;
  /** History rows of the open transaction, flat (HIST_COLS values per row), written before COMMIT. */
  private histRows: unknown[] = [];
  /** seqs as they were before the open transaction, for the interfaces it touched (undefined: none). */
  private readonly undo = new Map<string, number | undefined>();

  /**
   * Opens (creating) the store. When the state dir cannot be written, falls back to opening the
   * existing file read-only (reads work, every write is refused); throws when neither works.
   */
  constructor(opts: StoreOptions) {
    this.path = storePath(opts.stateDir);
    this.limit = opts.historyPerInterface;
    let db: Database.Database | undefined;
    let readOnly = false;
    try {
      if (opts.stateDir !== IN_MEMORY) mkdirSync(opts.stateDir, { recursive: true, mode: 0o750 });
      db = new Database(this.path);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${opts.durability === 'full' ? 'FULL' : 'NORMAL'}`);
      db.pragma('busy_timeout = 2000');
      // The daemon checkpoints from a worker thread (store/checkpointer.ts); this automatic one
      // is the safety net. It runs inside the COMMIT that crosses the threshold, on the event
      // loop, and syncs the WAL and the database file (see WAL_AUTOCHECKPOINT_PAGES).
      db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
      db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
      db.pragma(`cache_size = -${STORE_CACHE_KIB}`);
      migrate(db, opts.historyPerInterface, opts.clock ?? SYSTEM_CLOCK);
    } catch (writeErr) {
      // SQLite may have opened the file read-only by itself; that handle is of no use here.
      if (db?.open) db.close();
      // A bad file is not a permission problem: store/recover.ts moves it aside instead.
      if (writeErr instanceof NewerSchemaError || isCorruption(writeErr)) throw writeErr;
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
        hist: db.prepare(histUpsert(1)),
        histMany: db.prepare(histUpsert(HIST_ROWS_PER_STATEMENT)),
      };
      this.txn = db.transaction((fn: () => unknown) => {
        const out = fn();
        this.flushHistory();
        return out;
      });
    }
    this.schema = schemaVersion(db);
    this.clock = opts.clock ?? SYSTEM_CLOCK;
    this.orderBy = this.schema >= 2 ? 'gseq' : 'id';
    this.ring = Number(metaValue(db, 'history_limit')) || this.limit;
    for (const row of db.prepare('SELECT ifname, MAX(seq) AS seq FROM history GROUP BY ifname').all() as Array<{ ifname: string; seq: number }>) {
      this.seqs.set(row.ifname, row.seq);
    }
    this.gseq = (db.prepare(`SELECT MAX(${this.orderBy}) AS g FROM history`).get() as { g: number | null }).g ?? 0;
  }

  /** The connection, for tables that must commit in the same transaction as the leases (export/outbox.ts). */
  get database(): Database.Database {
    return this.db;
  }

  /** Run `fn` (which calls the write methods) in one transaction; throws what SQLite throws. */
  transaction<T>(fn: () => T): T {
    if (!this.st) throw new Error(`store ${this.path} is read-only`);
    const gseqBefore = this.gseq;
    this.undo.clear();
    this.histRows = [];
    try {
      return this.txn!(fn) as T;
    } catch (err) {
      // Rolled back: forget the history sequence numbers handed out inside.
      for (const [k, v] of this.undo) {
        if (v === undefined) this.seqs.delete(k); else this.seqs.set(k, v);
      }
      this.gseq = gseqBefore;
      throw err;
    } finally {
      this.histRows = [];
    }
  }

  /** Several rows per statement: per-call overhead was a fifth of a history write. In order, so a slot written twice keeps the later. */
  private flushHistory(): void {
    const rows = this.histRows;
    const step = HIST_ROWS_PER_STATEMENT * HIST_COLS;
    let i = 0;
    for (; i + step <= rows.length; i += step) this.st!.histMany.run(rows.slice(i, i + step));
    for (; i < rows.length; i += HIST_COLS) this.st!.hist.run(rows.slice(i, i + HIST_COLS));
  }

  putInterface(ifname: string, instance: number): void {
    this.st!.iface.run(ifname, instance);
  }

  /** The record's bytes are bound at once (encodeRecordShared reuses its buffer). */
  putLease(ifname: string, version: 4 | 6, record: LeaseRecord, order: StoredOrder | null): void {
    this.st!.lease.run(ifname, version, encodeRecordShared(record),
      order ? order.bootId : null, order ? orderText(order.monotonicNs) : null, order ? orderText(order.wallUs) : null);
  }

  /**
   * Adds the event to its interface's ring (written at the end of the transaction). The events of
   * one transaction get consecutive `gseq`s, in the order added.
   */
  addHistory(event: LeaseEvent): HistoryRef {
    if (!this.st) throw new Error(`store ${this.path} is read-only`);
    const before = this.seqs.get(event.ifname);
    if (!this.undo.has(event.ifname)) this.undo.set(event.ifname, before);
    const seq = (before ?? 0) + 1;
    this.seqs.set(event.ifname, seq);
    const gseq = ++this.gseq;
    this.histRows.push(event.ifname, seq % this.limit, seq, gseq, eventJson(event));
    return { seq, gseq };
  }

  /** The JSON text of a committed event while the ring still holds it, else undefined. */
  historyEvent(ifname: string, ref: HistoryRef): string | undefined {
    this.histEvent ??= this.db.prepare('SELECT event FROM history WHERE ifname = ? AND slot = ? AND gseq = ?').pluck();
    return this.histEvent.get(ifname, ref.seq % this.limit, ref.gseq) as string | undefined;
  }

  /** The `gseq` the next event will get. */
  get nextGseq(): number {
    return this.gseq + 1;
  }

  /** Events the ring keeps per interface (--history-per-interface). */
  get historyLimit(): number {
    return this.limit;
  }

  interfaces(): Array<{ ifname: string; instance: number }> {
    return this.db.prepare('SELECT ifname, instance FROM interfaces ORDER BY instance').all() as Array<{ ifname: string; instance: number }>;
  }

  leases(): StoredLease[] {
    const rows = this.db.prepare('SELECT ifname, version, record, order_boot, order_mono, order_wall FROM leases').all() as Array<{
      ifname: string; version: 4 | 6; record: Buffer | string; order_boot: Buffer | null; order_mono: string | null; order_wall: string | null;
    }>;
    const upgrade = (rec: LeaseRecord, boot: Buffer | null) => (this.schema < 3 ? upgradeRecordV3(rec, boot, this.clock) : rec);
    return rows.map((r) => ({
      ifname: r.ifname, version: r.version, record: upgrade(decodeRecord(r.record), r.order_boot),
      order: r.order_boot && r.order_mono !== null && r.order_wall !== null
        ? { bootId: r.order_boot, monotonicNs: BigInt(r.order_mono), wallUs: BigInt(r.order_wall) } : null,
    }));
  }

  /** The last `limit` events (of one interface or all), oldest first. */
  history(ifname: string | undefined, limit: number): LeaseEvent[] {
    let rows: Array<{ event: string }>;
    if (ifname === undefined) {
      rows = (this.db.prepare(`SELECT event FROM history ORDER BY ${this.orderBy} DESC LIMIT ?`).all(limit) as Array<{ event: string }>).reverse();
    } else if (this.schema < 2) {
      rows = (this.db.prepare('SELECT event FROM history WHERE ifname = ? ORDER BY seq DESC LIMIT ?').all(ifname, limit) as Array<{ event: string }>).reverse();
    } else {
      // The ring's slots from the newest seq backwards: one index seek per event, by either index.
      const top = this.seqs.get(ifname) ?? 0;
      const low = Math.max(1, top - Math.min(limit, this.ring) + 1);
      rows = top === 0 ? [] : this.db.prepare(`WITH RECURSIVE k(s) AS (SELECT @top UNION ALL SELECT s - 1 FROM k WHERE s > @low)
        SELECT h.event FROM k JOIN history h ON h.slot = k.s % @ring AND h.ifname = @ifname AND h.seq = k.s ORDER BY h.seq`)
        .all({ top, low, ring: this.ring, ifname }) as Array<{ event: string }>;
    }
    return rows.map((r) => JSON.parse(r.event) as LeaseEvent);
  }

  /** SQLite's quick_check: [] when the file is sound, else its complaints. */
  quickCheck(): string[] {
    const rows = (this.db.prepare('PRAGMA quick_check').all() as Array<{ quick_check: string }>).map((r) => r.quick_check);
    return rows.length === 1 && rows[0] === 'ok' ? [] : rows;
  }

  /** Gives the page cache's memory back (SQLite's shrink_memory); pages are read again when needed. */
  shrinkMemory(): void {
    if (this.db.open) this.db.pragma('shrink_memory');
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
/**
 * An order column's value: the bigint itself, which SQLite turns into the same decimal text
 * (the columns have TEXT affinity) without a string built in JS per row; one past int64 (a u64
 * from the wire) cannot be bound as an integer and goes as text.
 */
function orderText(v: bigint): bigint | string {
  return v >= INT64_MIN && v <= INT64_MAX ? v : v.toString();
}

/** SQLite saying the file is not a (sound) database. */
export function isCorruption(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT';
}

export class NewerSchemaError extends Error {}

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

function metaValue(db: Database.Database, key: string): string | undefined {
  try {
    return (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  } catch {
    return undefined; // no meta table: an empty file
  }
}

function schemaVersion(db: Database.Database): number {
  return Number(metaValue(db, 'schema_version') ?? 0);
}

/**
 * Brings the file to SCHEMA_VERSION, then the history ring to `limit` slots, in one transaction.
 * 0 -> 2: create everything. 1 -> 2: the appended history becomes the ring (each interface's
 * newest `limit` events, whose seqs are consecutive, so `seq % limit` gives distinct slots;
 * `gseq` is the old rowid, which was the order across interfaces). 2 -> 3: lease records gain
 * their CLOCK_MONOTONIC deadlines and boot id (model/migrate.ts). 3 -> 4: lease records were
 * rewritten from JSON objects to JSON arrays, and the history index led by the slot. 4 -> 5: lease
 * records are rewritten from JSON (4's arrays or 1-3's objects) to the bytes of
 * store/record-codec.ts; a manager of schema 4 refuses such a file (newer schema) instead of
 * failing on its rows.
 */
function migrate(db: Database.Database, limit: number, clock: LeaseClock): void {
  db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
  const have = schemaVersion(db);
  if (have > SCHEMA_VERSION) {
    throw new NewerSchemaError(`schema version ${have} is newer than this manager's ${SCHEMA_VERSION}`);
  }
  const setMeta = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
  db.transaction(() => {
    if (have < 1) {
      db.exec(SCHEMA);
      db.exec(HISTORY_V2);
    } else if (have < 2) {
      db.exec('ALTER TABLE history RENAME TO history_v1');
      db.exec('DROP INDEX IF EXISTS history_if_seq');
      db.exec(HISTORY_V2);
      db.prepare(`INSERT INTO history (ifname, slot, seq, gseq, event)
        SELECT h.ifname, h.seq % ?, h.seq, h.id, h.event FROM history_v1 h
        JOIN (SELECT ifname, MAX(seq) AS top FROM history_v1 GROUP BY ifname) t ON t.ifname = h.ifname
        WHERE h.seq > t.top - ? ORDER BY h.id`).run(limit, limit);
      db.exec('DROP TABLE history_v1');
    } else if (Number(metaValue(db, 'history_limit')) !== limit) {
      reslot(db, limit);
    }
    if (have >= 1 && have < 3) upgradeLeasesV3(db, clock);
    if (have >= 1 && have < 5) recodeLeases(db);
    if (have < 4) {
      db.exec('DROP INDEX IF EXISTS history_if_slot');
      db.exec(HISTORY_INDEX);
    }
    if (have < SCHEMA_VERSION) setMeta.run('schema_version', String(SCHEMA_VERSION));
    setMeta.run('history_limit', String(limit));
  })();
}

function upgradeLeasesV3(db: Database.Database, clock: LeaseClock): void {
  const put = db.prepare('UPDATE leases SET record = ? WHERE ifname = ? AND version = ?');
  const rows = db.prepare('SELECT ifname, version, record, order_boot FROM leases').all() as Array<{ ifname: string; version: number; record: string; order_boot: Buffer | null }>;
  for (const r of rows) put.run(JSON.stringify(upgradeRecordV3(decodeRecord(r.record), r.order_boot, clock)), r.ifname, r.version);
}

/** Schema 5: each lease record as the bytes of store/record-codec.ts instead of JSON (schema 4's array, or 1-3's object). */
function recodeLeases(db: Database.Database): void {
  const put = db.prepare('UPDATE leases SET record = ? WHERE ifname = ? AND version = ?');
  const rows = db.prepare('SELECT ifname, version, record FROM leases').all() as Array<{ ifname: string; version: number; record: string | Buffer }>;
  for (const r of rows) put.run(encodeRecord(decodeRecord(r.record)), r.ifname, r.version);
}

/** Another ring size: keep each interface's newest `limit` events and move them to `seq % limit`. */
function reslot(db: Database.Database, limit: number): void {
  db.prepare(`DELETE FROM history WHERE seq <= (SELECT MAX(seq) FROM history h WHERE h.ifname = history.ifname) - ?`).run(limit);
  // Moving slots one row at a time would collide in the unique index on the way. A file of
  // schema 2 or 3 still has its (ifname, slot) index here; migrate() replaces it right after.
  db.exec('DROP INDEX IF EXISTS history_if_slot');
  db.exec('DROP INDEX IF EXISTS history_slot_if');
  db.prepare('UPDATE history SET slot = seq % ?').run(limit);
  db.exec(HISTORY_INDEX);
}
