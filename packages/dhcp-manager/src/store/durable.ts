/**
 * The durable store as the daemon uses it: the SQLite store (store.ts), the WAL fsync off the
 * event loop (walsync.ts, `--durability full` only) and the checkpoint worker (checkpointer.ts),
 * opened together and closed together.
 *
 * With `--durability full` SQLite commits without its own fsync (synchronous = NORMAL) and
 * WalSync fsyncs the -wal file on a libuv pool thread; whatever must not be reported before it
 * is durable (acks, spool file removal) waits in `whenDurable`. With `normal` a commit is
 * durable enough when it returns (it survives kill -9) and `syncsOffLoop` is false.
 *
 * The store file itself is opened and watched by the keeper (keeper.ts): bad files at open are
 * moved aside (recover.ts), and a state dir that vanishes or turns read-only while running is
 * handled before each commit (guard.ts); the engine commits to `store` as the keeper has it now.
 */
import { Checkpointer } from './checkpointer';
import { storePath, walPath } from './files';
import { StoreKeeper } from './keeper';
import type { Store } from './store';
import { WalSync } from './walsync';

export interface DurableStoreOptions {
  stateDir: string;
  durability: 'full' | 'normal';
  historyPerInterface: number;
  /** Seconds each WAL fsync took (metrics). */
  fsyncSeconds?: (seconds: number) => void;
  /** An fsync or a checkpoint failed (logged and remembered by the daemon; nothing is thrown). */
  onError?: (where: 'fsync' | 'checkpoint', err: Error) => void;
}

export interface DurableStatus {
  walFsync?: { fsyncs: number; released: number; failures: number; waiting: number };
  checkpointer: { started: number; runs: number; frames: number; errors: number; running: boolean };
}

export class DurableStore {
  /** The store file, its recovery at open and its guard while running (EngineDeps.keeper). */
  readonly keeper: StoreKeeper;
  private readonly walSync: WalSync | undefined;
  private readonly checkpointer: Checkpointer;
  private readonly onError: NonNullable<DurableStoreOptions['onError']>;

  /** Opens (creating) the store; throws when it cannot be opened at all (see Store). */
  constructor(opts: DurableStoreOptions) {
    this.onError = opts.onError ?? (() => undefined);
    const full = opts.durability === 'full';
    this.walSync = full ? new WalSync(walPath(opts.stateDir), opts.stateDir, opts.fsyncSeconds) : undefined;
    this.keeper = new StoreKeeper({ stateDir: opts.stateDir, durability: full ? 'normal' : opts.durability, historyPerInterface: opts.historyPerInterface });
    this.checkpointer = new Checkpointer(storePath(opts.stateDir), { onError: (err) => this.onError('checkpoint', err) });
  }

  /** The store commits go to now (a reopen after the state dir vanished replaces it). */
  get store(): Store {
    return this.keeper.store;
  }

  /** True when commits become durable only after a later fsync (`whenDurable`), i.e. `--durability full`. */
  get syncsOffLoop(): boolean {
    return this.walSync !== undefined;
  }

  /** `cb` runs once everything committed before this call is durable, or with the fsync's error. */
  whenDurable(cb: (err?: Error) => void): void {
    if (!this.walSync) {
      cb();
      return;
    }
    this.walSync.whenDurable((err) => {
      if (err) this.onError('fsync', err);
      cb(err);
    });
  }

  /** Make everything committed so far durable now (start-up replay, shutdown); returns the fsync's error. */
  flush(): Error | undefined {
    const err = this.walSync?.flushSync();
    if (err) this.onError('fsync', err);
    return err;
  }

  /** The store was just written: keep the checkpoint worker running. */
  touch(): void {
    this.checkpointer.touch();
  }

  status(): DurableStatus {
    return {
      ...(this.walSync ? { walFsync: { ...this.walSync.stats, waiting: this.walSync.waiting } } : {}),
      checkpointer: { ...this.checkpointer.stats, running: this.checkpointer.running },
    };
  }

  /** Flush and stop the fsync, stop the checkpoint worker, close the database. */
  async close(): Promise<void> {
    this.walSync?.close();
    await this.checkpointer.close();
    this.keeper.close();
  }
}
