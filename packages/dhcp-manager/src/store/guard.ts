/**
 * The state directory while running. SQLite writes through the descriptors it opened, so it does
 * not notice when the directory is deleted (commits go on into files no path names any more, and
 * are lost at the next start) or when the path becomes read-only (a read-only mount over it); a
 * commit that "succeeds" there is a lie to an acknowledged sender. Before each commit the guard
 * looks at the path itself: the store file must be the one we opened (same device and inode) and
 * the directory writable. When it is not:
 * - read-only, or a store that was opened read-only at start: the commit is refused (the engine
 *   answers `unavailable`, acked senders spool) until the directory is writable again; then the
 *   store is reopened read-write;
 * - gone or replaced: the directory is created again when its parent exists, a store opened at the path,
 *   and the in-memory model (what was acknowledged) written into it; history before that point
 *   stays in the lost file.
 * Two syscalls per batch (stat, access), not per message.
 */
import { accessSync, constants, mkdirSync, statSync } from 'fs';
import { Store, StoreOptions } from './store';

export type GuardProblem = { reason: 'gone' | 'replaced' | 'read-only'; detail: string };

export class StoreGuard {
  private id: { dev: number; ino: number } | undefined;

  constructor(private readonly opts: StoreOptions, store: Store) {
    this.id = identity(store.path);
  }

  /** What is wrong with the path now, or undefined. */
  check(store: Store): GuardProblem | undefined {
    let st;
    try {
      st = statSync(store.path);
    } catch (err) {
      return { reason: 'gone', detail: `store ${store.path} is gone (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
    }
    if (!this.id || st.dev !== this.id.dev || st.ino !== this.id.ino) return { reason: 'replaced', detail: `store ${store.path} is another file than the one open` };
    if (!writable(this.opts.stateDir)) return { reason: 'read-only', detail: `state dir ${this.opts.stateDir} is not writable` };
    if (store.readOnly) return { reason: 'read-only', detail: `store ${store.path} was opened read-only` };
    return undefined;
  }

  /**
   * The store to commit to: `store` when the path is fine; a store reopened at the path (with
   * `fill` writing the model into it) when that is possible; else throws the problem.
   */
  ensure(store: Store, fill: (s: Store) => void): { store: Store; reopened?: GuardProblem } {
    const problem = this.check(store);
    if (!problem) return { store };
    if (problem.reason === 'read-only' && !store.readOnly) throw new Error(problem.detail);
    if (!writable(this.opts.stateDir)) {
      try {
        // Only the state dir itself: a missing parent may be a file system not mounted (yet),
        // and creating the chain would put the store somewhere nobody looks.
        mkdirSync(this.opts.stateDir, { mode: 0o750 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`${problem.detail}; cannot create it again: ${(err as Error).message}`);
      }
      if (!writable(this.opts.stateDir)) throw new Error(problem.detail);
    }
    const next = new Store(this.opts);
    if (next.readOnly) {
      next.close();
      throw new Error(`${problem.detail}; reopening gave a read-only store`);
    }
    try {
      next.transaction(() => fill(next));
    } catch (err) {
      next.close();
      throw err;
    }
    store.close();
    this.id = identity(next.path);
    return { store: next, reopened: problem };
  }
}

function identity(path: string): { dev: number; ino: number } | undefined {
  try {
    const st = statSync(path);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return undefined;
  }
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
