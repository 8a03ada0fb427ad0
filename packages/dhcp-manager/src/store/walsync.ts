/**
 * Group commit for `--durability full` without blocking the event loop on fsync.
 *
 * The store runs SQLite in WAL mode. A transaction is committed once its frames, ending with the
 * commit frame, are in the -wal file, and it survives power loss once that file is on stable
 * storage: what `PRAGMA synchronous = FULL` does is an fsync of the -wal file inside every COMMIT,
 * which blocks the (synchronous) better-sqlite3 caller, i.e. the whole event loop, for the length
 * of the fsync. Instead the store commits with `synchronous = NORMAL` (SQLite itself still syncs
 * the WAL before each checkpoint, the database after it, and the WAL header when the WAL is
 * reused) and this class fsyncs the -wal file on a libuv pool thread (fdatasync: the frames and
 * the file size, not the modification time, which would cost a journal commit per call). Whoever must not report a
 * commit before it is durable (acks, spool file removal, the receive-to-commit histogram) waits in
 * `whenDurable`: the callback runs after an fsync that STARTED after the call, so it covers every
 * commit made before the call. While one fsync runs the loop goes on receiving and committing, and
 * everything committed meanwhile shares the next fsync.
 *
 * The first time the -wal file is opened the state directory is fsynced too, so that the new
 * file's directory entry is durable. If the -wal file is replaced (another inode at the path), it
 * is reopened.
 */
import { closeSync, fdatasync, fdatasyncSync, fstatSync, fsyncSync, openSync, statSync, constants } from 'fs';
import { elapsedNow } from '../elapsed';

export type DurableCallback = (err?: Error) => void;

export class WalSync {
  private fd: number | undefined;
  private ino = -1;
  private dirSynced = false;
  /** Waiters for the fsync that starts next. */
  private next: DurableCallback[] = [];
  /** Waiters of the fsync now running on the pool. */
  private running: DurableCallback[] | undefined;
  private closing = false;
  /** Descriptors replaced while an fsync on them was running: closed when it is done. */
  private stale: number[] = [];
  /** fsyncs done and the callbacks they released (status / tests). */
  readonly stats = { fsyncs: 0, released: 0, failures: 0 };

  constructor(
    private readonly walPath: string,
    private readonly dirPath: string,
    /** After each fsync: its duration in seconds (metrics). */
    private readonly observe?: (seconds: number) => void,
  ) {}

  /** `cb` runs once everything committed before this call is on stable storage, or with the error. */
  whenDurable(cb: DurableCallback): void {
    if (this.closing) {
      cb(new Error('the store is closing'));
      return;
    }
    this.next.push(cb);
    if (!this.running) this.start();
  }

  /** Waiters not released yet. */
  get waiting(): number {
    return this.next.length + (this.running?.length ?? 0);
  }

  /**
   * Synchronously make everything committed so far durable and release every waiter, including
   * those of an fsync still running on the pool (its own completion then releases nobody). For
   * shutdown and the start-up spool replay. Returns the error, if the fsync failed.
   */
  flushSync(): Error | undefined {
    const waiters = [...(this.running ?? []), ...this.next];
    if (this.running) this.running.length = 0;
    this.next = [];
    let error: Error | undefined;
    try {
      const t0 = elapsedNow();
      fdatasyncSync(this.open());
      this.observe?.((elapsedNow() - t0) / 1000);
      this.stats.fsyncs++;
    } catch (err) {
      error = err as Error;
      this.stats.failures++;
    }
    this.release(waiters, error);
    return error;
  }

  /** Flush, then close the descriptor (after a running fsync, if one is on the pool). */
  close(): void {
    this.flushSync();
    this.closing = true;
    if (!this.running) this.closeFd();
  }

  private start(): void {
    const waiters = this.next;
    this.next = [];
    let fd: number;
    try {
      fd = this.open();
    } catch (err) {
      this.stats.failures++;
      this.release(waiters, err as Error);
      return;
    }
    this.running = waiters;
    const t0 = elapsedNow();
    fdatasync(fd, (err) => {
      this.observe?.((elapsedNow() - t0) / 1000);
      const done = this.running ?? [];
      this.running = undefined;
      if (err) this.stats.failures++;
      else this.stats.fsyncs++;
      for (const old of this.stale.splice(0)) { try { closeSync(old); } catch { /* gone */ } }
      this.release(done, err ?? undefined);
      if (this.closing) this.closeFd();
      else if (this.next.length) this.start();
    });
  }

  private release(waiters: DurableCallback[], err: Error | undefined): void {
    this.stats.released += waiters.length;
    for (const w of waiters) w(err);
  }

  private open(): number {
    if (this.fd !== undefined) {
      // The path may now name another file (the WAL was deleted and recreated): follow it.
      let ino = this.ino;
      try { ino = statSync(this.walPath).ino; } catch { /* gone for now: keep syncing what we have */ }
      if (ino === this.ino) return this.fd;
      if (this.running) this.stale.push(this.fd);
      else closeSync(this.fd);
      this.fd = undefined;
      // A new file (the state dir was recreated, store/guard.ts): its directory entry needs a sync too.
      this.dirSynced = false;
    }
    const fd = openSync(this.walPath, constants.O_RDONLY);
    this.fd = fd;
    this.ino = fstatSync(fd).ino;
    if (!this.dirSynced) {
      const dfd = openSync(this.dirPath, constants.O_RDONLY | constants.O_DIRECTORY);
      try { fsyncSync(dfd); } finally { closeSync(dfd); }
      this.dirSynced = true;
    }
    return fd;
  }

  private closeFd(): void {
    if (this.fd === undefined) return;
    try { closeSync(this.fd); } catch { /* already gone */ }
    this.fd = undefined;
    this.ino = -1;
  }
}
