/**
 * The store file as the engine commits to it: opened with recovery (recover.ts: bad files moved
 * aside, an empty store instead) and watched by the guard (guard.ts: before each commit the path
 * must still hold this store and be writable; when it is gone or writable again, a store is
 * reopened at the path and the model written into it). The engine asks `ensure()` before each
 * commit and then commits to `store`, which may be a new Store after a reopen.
 */
import { StoreGuard, GuardProblem } from './guard';
import { openStoreRecovering, StoreRecovery } from './recover';
import type { Store, StoreOptions } from './store';

/** What the engine needs of it (EngineDeps.keeper). */
export interface StoreKeeping {
  /** The store to commit to now. */
  readonly store: Store;
  /** Set when the files were unusable at open and moved aside. */
  readonly recovery?: StoreRecovery;
  /** Before a commit: throws while the path cannot take one; `fill` writes the model into a reopened store. */
  ensure(fill: (s: Store) => void): GuardProblem | undefined;
}

export class StoreKeeper implements StoreKeeping {
  private current: Store;
  readonly recovery?: StoreRecovery;
  private readonly guard: StoreGuard;

  /** Opens (creating) the store, recovering from bad files; throws only what recovery cannot fix. */
  constructor(opts: StoreOptions) {
    const { store, recovery } = openStoreRecovering(opts);
    this.current = store;
    if (recovery) this.recovery = recovery;
    this.guard = new StoreGuard(opts, store);
  }

  get store(): Store {
    return this.current;
  }

  ensure(fill: (s: Store) => void): GuardProblem | undefined {
    const { store, reopened } = this.guard.ensure(this.current, fill);
    this.current = store;
    return reopened;
  }

  close(): void {
    this.current.close();
  }
}
