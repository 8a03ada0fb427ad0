/**
 * The store's file names inside the state directory. No SQLite here: code that only needs the
 * names (the daemon's wiring, the CLI) must not load the native addon.
 */
import { join } from 'path';

export const STORE_FILE = 'dhcpmgr.sqlite';
/** As a state dir: a store in memory, without files (tests of the engine and model). */
export const IN_MEMORY = ':memory:';
/** SQLite's write-ahead log beside the database (WAL mode). */
export const WAL_FILE = `${STORE_FILE}-wal`;

export function storePath(stateDir: string): string {
  return stateDir === IN_MEMORY ? IN_MEMORY : join(stateDir, STORE_FILE);
}

export function walPath(stateDir: string): string {
  return join(stateDir, WAL_FILE);
}
