/**
 * Opening the store when its files are bad. A file that cannot be used (truncated, random
 * bytes, a schema newer than this build, a WAL that does not belong to it) must not make the
 * daemon exit and be restarted into the same failure forever: the bad files are moved aside
 * (`dhcpmgr.sqlite.bad-<UTC time>`, with its -wal and -shm), the store starts empty, and the
 * caller reports it loudly (error log, status, dhcpmgr_store_recovered_total). The clients' next
 * events (renewals, spooled events) rebuild the model. docs/reliability.md has the table.
 *
 * A foreign WAL is the case SQLite cannot see: it replays any well-formed WAL over the database
 * (measured: another database's WAL turned our file into that database, quick_check "ok", and
 * the close checkpointed it for good). So when a WAL is present, a copy of the pair is opened
 * first, in a scratch dir, and compared with the database file alone: the WAL must keep our
 * tables and pass quick_check.
 */
import Database = require('better-sqlite3');
import { copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'fs';
import { basename, join } from 'path';
import { NewerSchemaError, STORE_FILE, Store, StoreOptions, isCorruption } from './store';

export type StoreFault = 'corrupt' | 'newer-schema' | 'foreign-wal';

export interface StoreRecovery {
  reason: StoreFault;
  detail: string;
  /** Where the bad files went (full paths). */
  movedAside: string[];
  /** Wall-clock time of the recovery (ISO). */
  time: string;
}

const TABLES = ['meta', 'interfaces', 'leases', 'history'];

class StoreFaultError extends Error {
  constructor(readonly fault: StoreFault, message: string) { super(message); }
}

/** Opens the store; on a bad file moves it aside and opens a fresh one. Throws only what recovery cannot fix. */
export function openStoreRecovering(opts: StoreOptions, now: () => Date = () => new Date()): { store: Store; recovery?: StoreRecovery } {
  const path = join(opts.stateDir, STORE_FILE);
  let fault: StoreFaultError | undefined;
  try {
    checkWal(path);
    const store = new Store(opts);
    const problems = store.readOnly ? [] : store.quickCheck();
    if (problems.length === 0) return { store };
    store.close();
    fault = new StoreFaultError('corrupt', `quick_check: ${problems.slice(0, 3).join('; ')}`);
  } catch (err) {
    fault = classify(err);
    if (!fault) throw err;
  }
  const movedAside = moveAside(path, now());
  const store = new Store(opts);
  return { store, recovery: { reason: fault.fault, detail: fault.message, movedAside, time: now().toISOString() } };
}

function classify(err: unknown): StoreFaultError | undefined {
  if (err instanceof StoreFaultError) return err;
  if (err instanceof NewerSchemaError) return new StoreFaultError('newer-schema', err.message);
  const message = (err as Error)?.message ?? String(err);
  if (isCorruption(err) || /file is not a database|malformed|corrupt/i.test(message)) return new StoreFaultError('corrupt', message);
  return undefined;
}

/** Throws StoreFaultError('foreign-wal') when the WAL would turn the database into something else. */
function checkWal(path: string): void {
  const wal = `${path}-wal`;
  if (!existsSync(path) || !existsSync(wal) || statSync(wal).size === 0) return;
  const alone = tablesOf(() => {
    const image = readFileSync(path);
    if (image.length >= 20) { image[18] = 1; image[19] = 1; } // WAL -> rollback mode: the file alone
    return new Database(image);
  });
  if (alone instanceof Error) return; // the file itself is bad: the open reports it
  let scratch: string;
  try {
    scratch = mkdtempSync(`${path}.check-`);
  } catch {
    return; // a state dir we cannot write: the store opens read-only and changes nothing
  }
  try {
    const copy = join(scratch, basename(path));
    copyFileSync(path, copy);
    copyFileSync(wal, `${copy}-wal`);
    const combined = tablesOf(() => new Database(copy), true);
    const ours = TABLES.filter((t) => alone.has(t));
    if (combined instanceof Error) throw new StoreFaultError('foreign-wal', `the WAL does not fit the database: ${combined.message}`);
    const lost = ours.filter((t) => !combined.has(t));
    if (lost.length > 0) throw new StoreFaultError('foreign-wal', `the WAL does not belong to the database: with it, tables ${lost.join(', ')} are gone`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function tablesOf(open: () => Database.Database, check = false): Set<string> | Error {
  let db: Database.Database | undefined;
  try {
    db = open();
    const names = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name));
    if (check) {
      const rows = (db.prepare('PRAGMA quick_check').all() as Array<{ quick_check: string }>).map((r) => r.quick_check);
      if (rows.length !== 1 || rows[0] !== 'ok') return new Error(`quick_check: ${rows.slice(0, 3).join('; ')}`);
    }
    return names;
  } catch (err) {
    return err as Error;
  } finally {
    if (db?.open) db.close();
  }
}

/** Renames the database, its WAL and shared-memory file to `<name>.bad-<UTC time>`; returns the new paths. */
function moveAside(path: string, at: Date): string[] {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const moved: string[] = [];
  for (const suffix of ['', '-wal', '-shm']) {
    const from = `${path}${suffix}`;
    if (!existsSync(from)) continue;
    let to = `${path}.bad-${stamp}${suffix}`;
    for (let n = 1; existsSync(to); n++) to = `${path}.bad-${stamp}.${n}${suffix}`;
    renameSync(from, to);
    moved.push(to);
  }
  return moved;
}
