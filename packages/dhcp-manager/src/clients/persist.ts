/**
 * The client table on disk: table `clients` in the manager's SQLite file (store/store.ts owns
 * the lease tables; this is a second connection to the same WAL database, synchronous FULL, so
 * an accepted write is on disk before the manager acts on it).
 *
 * Each row keeps the entry of the config file it was seeded from (`seed`) and the live
 * configuration (`config`, changed by writes). At start, for each entry of the config file:
 * the same seed as stored -> the stored configuration wins (writes survive restarts); a new or
 * edited entry -> the file's entry is taken and stored (the operator edited the file). Rows whose
 * entry left the file are deleted: the file says which clients exist.
 */
import Database = require('better-sqlite3');
import { mkdirSync } from 'fs';
import { storePath } from '../store/files';
import { ClientConfig, ClientTable, V4Client, V6Client, allClients } from './table';

export class ClientStore {
  private readonly db: Database.Database;
  /**
   * Why the table lives in memory only: the state dir could not be written at start (the lease
   * store then opens read-only too). The config file's table is used as it is, and every write is
   * refused, since an accepted write must be on disk before the manager acts on it.
   */
  readonly unwritable: string | undefined;

  constructor(stateDir: string) {
    let db: Database.Database | undefined;
    let unwritable: string | undefined;
    try {
      mkdirSync(stateDir, { recursive: true, mode: 0o750 });
      db = new Database(storePath(stateDir));
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      // A table of a few rows, read at start and written on a change: a small page cache is plenty.
      db.pragma('cache_size = -128');
      ClientStore.createTable(db);
    } catch (err) {
      if (db?.open) db.close();
      unwritable = `${storePath(stateDir)}: ${(err as Error).message}`;
      db = new Database(':memory:');
      ClientStore.createTable(db);
    }
    this.db = db;
    this.unwritable = unwritable;
  }

  private static createTable(db: Database.Database): void {
    db.exec(`CREATE TABLE IF NOT EXISTS clients (version INTEGER NOT NULL, instance INTEGER NOT NULL,
      seed TEXT NOT NULL, config TEXT NOT NULL, PRIMARY KEY (version, instance)) WITHOUT ROWID`);
  }

  /** Merge the config file's table with what is stored (see the file comment) and store the result. */
  load(seed: ClientTable): ClientTable {
    const rows = this.db.prepare('SELECT version, instance, seed, config FROM clients').all() as Array<{ version: number; instance: number; seed: string; config: string }>;
    const stored = new Map(rows.map((r) => [`${r.version}.${r.instance}`, r]));
    const out: ClientTable = { dhcpv4: [], dhcpv6: [] };
    const put = this.db.prepare('INSERT OR REPLACE INTO clients (version, instance, seed, config) VALUES (?, ?, ?, ?)');
    const del = this.db.prepare('DELETE FROM clients WHERE version = ? AND instance = ?');
    this.db.transaction(() => {
      const keep = new Set<string>();
      for (const c of allClients(seed)) {
        const key = `${c.version}.${c.instance}`;
        keep.add(key);
        const seedText = JSON.stringify(c);
        const row = stored.get(key);
        let live: ClientConfig = c;
        if (row && row.seed === seedText) live = { ...c, ...(JSON.parse(row.config) as ClientConfig) };
        else put.run(c.version, c.instance, seedText, seedText);
        if (live.version === 4) out.dhcpv4.push(live as V4Client); else out.dhcpv6.push(live as V6Client);
      }
      for (const r of rows) if (!keep.has(`${r.version}.${r.instance}`)) del.run(r.version, r.instance);
    })();
    return out;
  }

  /** Commit the live configuration of these clients in one transaction; throws what SQLite throws. */
  save(clients: ClientConfig[]): void {
    if (this.unwritable) throw new Error(`the client table cannot be saved (${this.unwritable})`);
    const upd = this.db.prepare('UPDATE clients SET config = ? WHERE version = ? AND instance = ?');
    this.db.transaction(() => {
      for (const c of clients) {
        const r = upd.run(JSON.stringify(c), c.version, c.instance);
        if (r.changes !== 1) throw new Error(`client dhcpv${c.version}.${c.instance} has no row in the store`);
      }
    })();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
