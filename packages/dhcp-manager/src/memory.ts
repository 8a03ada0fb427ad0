/**
 * Gives memory back once the manager is idle after work.
 *
 * V8 keeps its young generation at the size the last burst grew it to (up to 2 x 16 MiB on
 * 64-bit) and keeps old-space pages it no longer needs, until its memory reducer runs. The reducer
 * is started by a full collection; a manager that has gone quiet allocates too little to cause
 * one, so without help the memory of start-up or of the last burst stays resident for good
 * (measured: about 30 MiB of private memory right after start, and it stays there with HTTP on).
 *
 * So once no work has been done for `idleMs` after some was, this empties the native caches
 * (`before`: the store's SQLite page cache, which a burst fills), turns on V8's memory-saving mode
 * (`--optimize-for-size`) and runs one full collection. The collection starts V8's memory reducer,
 * which about eight seconds later runs memory-reducing collections: they shrink the young
 * generation and release free pages. Without the saving mode the reducer acts only when its
 * allocation-rate heuristic agrees, which in measurements was sometimes after 20 s and sometimes
 * not within a minute. The saving mode is left after `savingMs`, or at once when work arrives, so
 * a burst never runs in it; a window that ends quiet with the heap still large is tried again, at
 * most RETRIES times. The collection takes 10-50 ms and runs only after a quiet period.
 *
 * The collection is reached through V8's `gc` extension: `--expose-gc` set at run time, then
 * `gc` taken from a fresh context (the main context was created before the flag was set). When
 * the manager was started with `--expose-gc` the global one is used.
 *
 * When a saving window ends with no work in it, `afterQuiet` runs: the daemon has glibc hand the
 * C heap's free pages back to the kernel (malloc_trim). glibc keeps what a burst freed (received
 * frames, SQLite's and nanomsg's buffers, V8's thread-local allocations) in its arenas; the
 * window's end is the point where the collections have freed what they will.
 */
import { getHeapStatistics, setFlagsFromString } from 'v8';
import { runInNewContext } from 'vm';
import { elapsedNow } from './elapsed';

export type CollectFn = () => void;

/** V8's full collection, or undefined when this runtime does not offer it. */
export function fullCollection(): CollectFn | undefined {
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') return existing as CollectFn;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as CollectFn) : undefined;
  } catch {
    return undefined;
  }
}

function savingMode(on: boolean): void {
  setFlagsFromString(on ? '--optimize-for-size' : '--no-optimize-for-size');
}

export interface IdleReleaseOptions {
  /** Quiet time after the last work before memory is given back (ms). */
  idleMs: number;
  /** How long the memory-saving mode stays on after a release (ms); default 20 s. */
  savingMs?: number;
  /**
   * After a saving window with no work: true when the heap still holds much more than it uses,
   * and the release is tried again (at most RETRIES times). Default: heapTotal > 2 x heapUsed + 8 MiB.
   */
  heapSlack?: () => boolean;
  /** Runs first on each release: native caches give their memory back (the store's page cache). */
  before?: () => void;
  /** Runs when a saving window ends with no work in it (the C heap's free pages to the kernel). */
  afterQuiet?: () => void;
  /** Turns V8's memory-saving mode on or off; default: setFlagsFromString. Tests pass a recorder. */
  saving?: (on: boolean) => void;
  /** The full collection; default: fullCollection(); null: none (tests of the unavailable case). */
  collect?: CollectFn | null;
  /** Clock in ms; default Date.now. */
  now?: () => number;
}

export interface IdleReleaseStatus {
  releases: number;
  /** Saving windows that ended quiet, each followed by afterQuiet. */
  quietEnds: number;
  lastReleaseAt?: string;
  lastReleaseMs?: number;
  available: boolean;
}

/** Further releases after one whose saving window ended with the heap still large. */
const RETRIES = 2;

function heapSlack(): boolean {
  const h = getHeapStatistics();
  return h.total_heap_size > 2 * h.used_heap_size + 8 * 1024 * 1024;
}

export class IdleRelease {
  private readonly collect: CollectFn | undefined;
  private readonly now: () => number;
  private lastWork: number;
  /** Work was done since the last release (start-up counts as work). */
  private pending = true;
  private timer: NodeJS.Timeout | undefined;
  private releases = 0;
  private quietEnds = 0;
  private lastReleaseAt: number | undefined;
  private lastReleaseMs: number | undefined;
  private readonly setSaving: (on: boolean) => void;
  private savingUntil: number | undefined;
  private retriesLeft = 0;

  constructor(private readonly opts: IdleReleaseOptions) {
    this.collect = opts.collect === null ? undefined : (opts.collect ?? fullCollection());
    this.now = opts.now ?? Date.now;
    this.lastWork = this.now();
    this.setSaving = opts.saving ?? savingMode;
  }

  /** Starts the check; it runs every idleMs / 2 and does not keep the process alive. */
  start(): void {
    if (this.timer || !this.collect) return;
    this.timer = setInterval(() => this.check(), Math.max(50, Math.floor(this.opts.idleMs / 2)));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.leaveSaving();
  }

  /** Work happened (the daemon calls it after each committed batch); the next release waits for quiet. */
  worked(): void {
    this.lastWork = this.now();
    this.pending = true;
    this.retriesLeft = 0;
    this.leaveSaving();
  }

  /** Runs the release when work was done and the manager has been quiet since; true if it ran. */
  check(): boolean {
    const now = this.now();
    if (this.savingUntil !== undefined && now >= this.savingUntil) {
      this.leaveSaving();
      this.quietEnds++;
      this.opts.afterQuiet?.();
      // V8's reducer did not shrink the heap within the window (its state machine can skip a
      // round): try again, a bounded number of times, while nothing else happens.
      if (this.retriesLeft > 0 && (this.opts.heapSlack ?? heapSlack)()) {
        this.retriesLeft--;
        return this.release(now);
      }
    }
    if (!this.pending || !this.collect) return false;
    if (now - this.lastWork < this.opts.idleMs) return false;
    this.pending = false;
    this.retriesLeft = RETRIES;
    return this.release(now);
  }

  private release(now: number): boolean {
    if (!this.collect) return false;
    this.savingUntil = now + (this.opts.savingMs ?? 20_000);
    this.setSaving(true);
    const t0 = elapsedNow();
    this.opts.before?.();
    this.collect();
    this.lastReleaseMs = elapsedNow() - t0;
    this.lastReleaseAt = now;
    this.releases++;
    return true;
  }

  /** True while the memory-saving mode is on. */
  get saving(): boolean {
    return this.savingUntil !== undefined;
  }

  private leaveSaving(): void {
    if (this.savingUntil === undefined) return;
    this.savingUntil = undefined;
    this.setSaving(false);
  }

  status(): IdleReleaseStatus {
    return {
      available: this.collect !== undefined,
      releases: this.releases,
      quietEnds: this.quietEnds,
      ...(this.lastReleaseAt !== undefined ? { lastReleaseAt: new Date(this.lastReleaseAt).toISOString() } : {}),
      ...(this.lastReleaseMs !== undefined ? { lastReleaseMs: Math.round(this.lastReleaseMs * 10) / 10 } : {}),
    };
  }
}
