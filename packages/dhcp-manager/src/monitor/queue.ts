/**
 * The bounded hand-off between the receive loops and the store. Receivers only `offer()` (never
 * blocking, never touching the store); a drain scheduled with setImmediate commits up to
 * `batchSize` items per engine.ingestBatch call (one transaction each, which is what keeps
 * durable commits fast).
 *
 * Priorities under load (lanes.ts). Items wait in one FIFO per interface (read from the frame's
 * fixed-offset ifname; unreadable frames share one lane), and a batch is filled one item per lane
 * in turn: first from lanes holding an urgent item (a lease end, or an acked or spooled event),
 * then from the others. So while one interface floods the legacy channel, a quiet interface, a
 * lease end and an acked delivery each wait for at most one item per busy lane, not for the whole
 * backlog, and the order within each interface is never changed (a lease end makes its whole
 * lane urgent instead of overtaking the renewals before it).
 * Admission: when `limit` items already wait, a legacy item is refused unless its interface holds
 * less than its fair share (limit / interfaces with items), in which case the interface holding
 * the most items loses its newest renewal instead; a lease end or spooled event may likewise
 * take a renewal's place. Every refused or evicted item is reported through `dropped` with its
 * interface (the caller counts it as OVERLOAD); a refused spooled event is not (its file stays
 * and the next scan offers it again). Acknowledged items bypass the limit because at most
 * `--ack-workers` of them are in the manager at once.
 *
 * Group commit without waiting: a commit (and its fsync) blocks the event loop, frames arriving
 * meanwhile wait in the sockets, and the next poll phase reads all of them (the legacy receiver
 * reads every waiting frame per wake-up) before the drain, which runs on setImmediate, takes them
 * as one batch. So batches grow with the load by themselves, and a message at low rates waits for
 * no timer (a fixed adaptive wait raised receive-to-commit latency: docs/performance.md).
 * An optional adaptive wait (`maxWaitMs`, about as long as the last commit took) and a fixed least
 * wait (`minWaitMs`, --commit-delay-ms) remain; an acknowledged item skips the adaptive part (its
 * sender is waiting; other acked items that arrive meanwhile join the next batch anyway).
 * With `durable` (--durability full), acks wait for an fsync that runs off the event loop
 * (store/walsync.ts), so receiving and committing go on while the disk works.
 *
 * Every item is stamped when offered (right after its receive callback) and `receiveToCommit`
 * gets, per item, the seconds from that stamp to the end of its commit (the
 * dhcpmgr_receive_to_commit_seconds histogram).
 */
import type { Channel, Ingest, IngestResult } from '../contract';
import { Lanes, UNPARSED, classify } from './lanes';
import { elapsedNow } from '../elapsed';

export interface Pending {
  ingest: Ingest;
  /** Called after the commit with this item's result (acks, spool file removal). */
  done?: (result: IngestResult) => void;
  /** elapsedNow() when offered; set by offer(). */
  queuedAt?: number;
  /** Its lane: the interface name, or '' when the frame's name could not be read; set by offer(). */
  lane?: string;
  /** A lease end, or an acked or spooled event; set by offer(). */
  urgent?: boolean;
}

/** Labels of drops that are not one interface's: unreadable names, and names beyond the cap. */
export const DROP_UNPARSED = ':unparsed';
export const DROP_OTHER = ':other';

export interface BatchIngest {
  ingestBatch(items: Ingest[]): IngestResult[];
}

export interface QueueOptions {
  limit: number;
  batchSize: number;
  /** After every committed batch (re-arm expiry, update gauges). */
  afterBatch?: (items: Pending[], results: IngestResult[]) => void;
  /** A batch call threw (a bug in the engine): every item gets `unavailable`. */
  onError?: (err: unknown) => void;
  /** Longest adaptive group-commit wait (about the last commit's duration); default 0: none. */
  maxWaitMs?: number;
  /** Least wait before a drain while fewer than batchSize items wait (`--commit-delay-ms`). */
  minWaitMs?: number;
  /** Per committed item: seconds from offer() to the end of its batch's commit (durable). */
  receiveToCommit?: (seconds: number) => void;
  /**
   * `--durability full` (store/walsync.ts): calls back once everything committed so far is on stable
   * storage. When set, an item's `done` (its ack, its spool file's removal) and its
   * receive-to-commit time wait for that, and a failed fsync turns its result into `unavailable`
   * (the sender keeps its copy and retries; the retry is answered `duplicate`). Absent: the
   * commit itself is durable enough (`--durability normal`) and `done` runs right after it.
   */
  durable?: (cb: (err?: Error) => void) => void;
  /** Synchronous form of `durable` for drainAll (shutdown): flush and release every waiter. */
  flushDurable?: () => void;
  /**
   * An item refused for want of room, or evicted for a fairer one (never a spooled event, which
   * stays on disk). `ifname` is its interface's label (see `overloadByInterface`).
   */
  dropped?: (channel: Channel, ifname: string) => void;
  /** Most interface names that get their own drop label; later ones count as DROP_OTHER. Default 64. */
  maxDropLabels?: number;
}

export class IngestQueue {
  private readonly lanes = new Lanes();
  /** Drops per interface label, at most `maxDropLabels` names plus the two shared labels. */
  private readonly drops = new Map<string, number>();
  private dropNames = 0;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private lastCommitMs = 0;
  private idleWaiters: Array<() => void> = [];
  /** Committed batches whose items wait for `durable`. */
  private awaitingDurable = 0;

  constructor(private readonly engine: BatchIngest, private readonly opts: QueueOptions) {}

  get depth(): number {
    return this.lanes.size;
  }

  /** Interfaces (lanes) with an item waiting. */
  get interfaces(): number {
    return this.lanes.lanes;
  }

  /**
   * Queue an item; false when it was refused because the queue is full (reported through
   * `dropped` unless it is a spooled event). Getting in may evict another interface's renewal.
   */
  offer(p: Pending, bypassLimit = false): boolean {
    classify(p);
    if (!bypassLimit && this.lanes.size >= this.opts.limit) {
      const evicted = this.lanes.evictFor(p, this.opts.limit);
      if (!evicted) {
        if (p.ingest.channel !== 'spool') this.drop(p);
        return false;
      }
      this.drop(evicted);
    }
    p.queuedAt = elapsedNow();
    this.lanes.push(p);
    this.schedule(bypassLimit);
    return true;
  }

  /** Items lost to overload so far, by interface label (a copy). */
  overloadByInterface(): Record<string, number> {
    return Object.fromEntries(this.drops);
  }

  private drop(p: Pending): void {
    const label = this.dropLabel(p.lane ?? UNPARSED);
    this.drops.set(label, (this.drops.get(label) ?? 0) + 1);
    this.opts.dropped?.(p.ingest.channel, label);
  }

  private dropLabel(lane: string): string {
    if (lane === UNPARSED) return DROP_UNPARSED;
    if (this.drops.has(lane)) return lane;
    if (this.dropNames >= (this.opts.maxDropLabels ?? 64)) return DROP_OTHER;
    this.dropNames++;
    return lane;
  }

  /** Commit everything queued now, synchronously (shutdown); with `durable`, flush it too. */
  drainAll(): void {
    while (this.depth > 0) this.drainOnce();
    if (this.awaitingDurable > 0) this.opts.flushDurable?.();
    this.notifyIdle();
  }

  /** Resolves once the queue is empty and every committed item has been settled. */
  idle(): Promise<void> {
    return this.isIdle() ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.depth === 0 && this.awaitingDurable === 0;
  }

  private readonly run = (): void => {
    this.scheduled = false;
    this.timer = undefined;
    this.drainOnce();
    if (this.depth > 0) this.schedule();
    else this.notifyIdle();
  };

  /** `urgent`: an acked item is waiting, so skip the adaptive group-commit wait. */
  private schedule(urgent = false): void {
    const minWait = this.opts.minWaitMs ?? 0;
    if (this.scheduled) {
      // A drain already waits on a timer for more items: an acked item should not wait with it.
      if (urgent && this.timer && minWait < 1) {
        clearTimeout(this.timer);
        this.timer = undefined;
        setImmediate(this.run);
      }
      return;
    }
    this.scheduled = true;
    const adaptive = urgent ? 0 : Math.min(this.lastCommitMs, this.opts.maxWaitMs ?? 0);
    const wait = this.depth >= this.opts.batchSize ? 0 : Math.max(minWait, adaptive);
    if (wait < 1) setImmediate(this.run);
    else this.timer = setTimeout(this.run, Math.round(wait));
  }

  private drainOnce(): void {
    const batch: Pending[] = [];
    while (batch.length < this.opts.batchSize) {
      const p = this.lanes.shift();
      if (!p) break;
      batch.push(p);
    }
    if (batch.length === 0) return;
    let results: IngestResult[];
    const t0 = elapsedNow();
    try {
      results = this.engine.ingestBatch(batch.map((p) => p.ingest));
      this.lastCommitMs = elapsedNow() - t0;
    } catch (err) {
      this.opts.onError?.(err);
      results = batch.map(() => ({ status: 'unavailable', detail: `engine error: ${(err as Error)?.message ?? String(err)}` }));
    }
    this.opts.afterBatch?.(batch, results);
    const durable = this.opts.durable;
    if (!durable || results.every((r) => r.status === 'unavailable')) {
      this.settle(batch, results);
      return;
    }
    this.awaitingDurable++;
    let settled = false;
    durable((err) => {
      if (settled) return;
      settled = true;
      this.awaitingDurable--;
      const detail = `the commit could not be made durable: ${err?.message ?? ''}`;
      this.settle(batch, err ? results.map((): IngestResult => ({ status: 'unavailable', detail })) : results);
      this.notifyIdle();
    });
  }

  private settle(batch: Pending[], results: IngestResult[]): void {
    const observe = this.opts.receiveToCommit;
    if (observe) {
      const now = elapsedNow();
      for (const p of batch) if (p.queuedAt !== undefined) observe((now - p.queuedAt) / 1000);
    }
    batch.forEach((p, i) => p.done?.(results[i] ?? { status: 'unavailable', detail: 'no result from the engine' }));
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}

/** Log at most once per `intervalMs` (with the arguments of that call), reporting how many were suppressed in between. */
export function rateLimited<A extends unknown[] = []>(intervalMs: number, log: (suppressed: number, ...args: A) => void): (...args: A) => void {
  let last = 0;
  let suppressed = 0;
  return (...args: A) => {
    const now = Date.now();
    if (now - last >= intervalMs) {
      log(suppressed, ...args);
      suppressed = 0;
      last = now;
    } else {
      suppressed++;
    }
  };
}
