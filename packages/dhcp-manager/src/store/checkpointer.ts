/**
 * WAL checkpoints off the event loop.
 *
 * SQLite copies the WAL back into the database file in a checkpoint, which also syncs the WAL and
 * the database file. Left to itself (wal_autocheckpoint) it runs inside the COMMIT that crosses
 * the threshold, on the event loop, which holds the loop for tens of milliseconds and shows in the
 * receive-to-commit tail (docs/performance.md). Here a worker thread with its own connection runs a PASSIVE
 * checkpoint every `intervalMs` while the store is being written; PASSIVE never blocks the writer,
 * and once a checkpoint has caught up the writer restarts the WAL from its beginning, so the -wal
 * file stops growing (its fdatasync, which acks wait for, is cheaper without size changes).
 * The store keeps SQLite's own automatic checkpoint as a safety net, at a threshold this worker
 * normally keeps the WAL below.
 *
 * The worker (its own V8 isolate: docs/tr181.md, "Persistence") exists only while the store is written:
 * started by the first `touch()`, stopped after `idleStopMs` without one.
 */
import { Worker } from 'worker_threads';

export interface CheckpointerOptions {
  /** Between two checkpoints while written (ms). */
  intervalMs?: number;
  /** Stop the worker after this long without writes (ms). */
  idleStopMs?: number;
  onError?: (err: Error) => void;
}

/** The worker: plain JS, evaluated in the thread (no file to find at run time). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('worker_threads');
function main() {
  let db;
  try {
    const Database = require(workerData.sqlite);
    db = new Database(workerData.path, { fileMustExist: true });
    db.pragma('busy_timeout = 0');
    db.pragma('synchronous = NORMAL');
    // A checkpoint copies WAL frames into the database file; it needs no large page cache.
    db.pragma('cache_size = -256');
  } catch (err) {
    parentPort.postMessage({ error: 'cannot open ' + workerData.path + ': ' + String((err && err.message) || err) });
    parentPort.close();
    return;
  }
  const timer = setInterval(() => {
    try {
      const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
      parentPort.postMessage({ ran: r.checkpointed > 0 ? r.checkpointed : 0 });
    } catch (err) {
      parentPort.postMessage({ error: String((err && err.message) || err) });
    }
  }, workerData.intervalMs);
  parentPort.on('message', (m) => {
    if (m === 'stop') {
      clearInterval(timer);
      db.close();
      parentPort.close();
    }
  });
}
main();
`;

export class Checkpointer {
  private worker: Worker | undefined;
  private lastTouch = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** After a failure no new worker before this time (SQLite's own checkpoints still run). */
  private retryAt = 0;
  /** Workers started and checkpoints run (for status and tests). */
  readonly stats = { started: 0, runs: 0, frames: 0, errors: 0 };

  constructor(private readonly dbPath: string, private readonly opts: CheckpointerOptions = {}) {}

  get running(): boolean {
    return this.worker !== undefined;
  }

  /** The store was just written: make sure a worker checkpoints it. */
  touch(): void {
    if (this.closed) return;
    this.lastTouch = Date.now();
    if (!this.worker && this.lastTouch >= this.retryAt) this.start();
  }

  /** Stop the worker (if any); resolves when it has closed its connection. */
  close(): Promise<void> {
    this.closed = true;
    return this.stop();
  }

  private start(): void {
    const intervalMs = this.opts.intervalMs ?? 500;
    let worker: Worker;
    try {
      worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { path: this.dbPath, sqlite: require.resolve('better-sqlite3'), intervalMs },
        resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
      });
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    this.worker = worker;
    this.stats.started++;
    worker.unref();
    worker.on('message', (m: { error?: string; ran?: number }) => {
      if (m.error) this.fail(new Error(`checkpoint: ${m.error}`));
      if (m.ran !== undefined) { this.stats.runs++; this.stats.frames += m.ran; }
    });
    worker.on('error', (err: unknown) => { this.fail(new Error(`checkpoint worker: ${(err as Error)?.message ?? String(err)}`)); });
    worker.on('exit', () => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      if (this.idleTimer) clearInterval(this.idleTimer);
      this.idleTimer = undefined;
    });
    const idleStopMs = this.opts.idleStopMs ?? 10_000;
    this.idleTimer = setInterval(() => {
      if (Date.now() - this.lastTouch >= idleStopMs) void this.stop();
    }, Math.min(idleStopMs, 1000));
    this.idleTimer.unref();
  }

  private stop(): Promise<void> {
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.idleTimer = undefined;
    const worker = this.worker;
    if (!worker) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => { clearTimeout(kill); resolve(); };
      // A worker stuck in a checkpoint is terminated; its connection closes with the thread.
      const kill = setTimeout(() => { void worker.terminate(); }, 2000);
      worker.once('exit', done);
      worker.postMessage('stop');
    });
  }

  private fail(err: Error): void {
    this.stats.errors++;
    this.retryAt = Date.now() + 30_000;
    this.opts.onError?.(err);
  }
}
