/**
 * The engine: validate -> order check -> route -> handler -> stage -> ONE store transaction per
 * batch -> then the in-memory model, events and appliers. Synchronous (better-sqlite3 is) and
 * socket-free; the daemon drives it. Nothing is published or applied before its commit, and a
 * failed commit leaves the in-memory model as it was (answers 'unavailable').
 *
 * Ordering rule (docs/tr181.md, "Ordering and replays"): per (ifname, version) the engine keeps
 * the EnvelopeMeta of the last applied event, persisted with the record. An item whose order
 * compares equal (compareEvents) is a duplicate, older is stale; neither is applied. Legacy
 * items carry no order: they are stamped with this host's bootId, the manager's CLOCK_MONOTONIC
 * at ingest (strictly increasing) and their receive time, so a spooled event older than a
 * legacy one that arrived before it is refused as stale.
 *
 * Lease time runs on CLOCK_MONOTONIC with the boot id (model/clock.ts): records keep the boot and
 * monotonic time they were received at, expiry and countdowns use only those, and at start the
 * leases of another boot end as LEASE_DEL cause 'reboot' (handlers/reboot.ts). The wall clock is
 * for display (event times, history). Before each commit the store keeper (store/keeper.ts)
 * checks the state dir, and may hand over a store reopened at its path.
 */
import type { Logger } from 'pino';
import { EnvelopeMeta, bootId, compareEvents } from '@dhcpmgr/plugin-msg';
import type {
  Applier, Channel, EngineOptions, EngineStats, EventSink, Ingest, IngestResult, LeaseChange, LeaseEvent,
  LeaseView, ParamValue, RejectReason,
} from './contract';
import { buildEvent } from './events';
import { clearV4 } from './handlers/dhcpv4';
import { removeV6 } from './handlers/dhcpv6';
import { endPreviousBoot } from './handlers/reboot';
import { ManagerMetrics } from './metrics';
import type { HistogramSeries } from './metrics-histogram';
import { EventTime, LeaseClock, eventBase, leaseClockOf } from './model/clock';
import { LeaseState, StateChange } from './model/state';
import { ClientTreeView, getParams, TreeSource } from './model/tree';
import { LeaseRecord, V4Record, V6Record, isActive, recordKey } from './model/types';
import { leaseViews } from './model/views';
import { route } from './router';
import type { StoreKeeping } from './store/keeper';
import type { StoreRecovery } from './store/recover';
import type { HistoryRef, Store, StoredOrder } from './store/store';
import { escapeText, validate, ValidateContext } from './validate';
import { elapsedNow } from './elapsed';

export interface EngineDeps {
  logger: Logger; metrics: ManagerMetrics; sink: EventSink; applier: Applier;
  /** The store's recovery at open and its guard before each commit (store/keeper.ts); without it, `store` as given. */
  keeper?: StoreKeeping;
  /** Extra writes committed atomically with the leases (export/outbox.ts); absent: none. */
  commitHook?: CommitHook;
}

/**
 * Runs inside the store transaction of every ingest batch and expiry round, after the lease rows:
 * what it writes commits or rolls back with them. `records` are the records the transaction
 * wrote (final state per interface and version); `refs[i]` is where history keeps `events[i]`.
 * `open` gets the store before any commit to it: at start, and again when the store was reopened
 * at its path.
 */
export interface CommitHook {
  open(store: Store): void;
  inTransaction(events: LeaseEvent[], records: Array<{ ifname: string; record: LeaseRecord }>, refs: HistoryRef[]): void;
}

const CHANNELS: ReadonlySet<string> = new Set(['legacy', 'acked', 'spool']);
const REJECT_LOGS_PER_SECOND = 50;

interface StagedItem { index: number; event: LeaseEvent; change?: LeaseChange }

export class Engine {
  private readonly state = new LeaseState();
  private readonly allow: ReadonlySet<string> | undefined;
  private readonly vctx: ValidateContext;
  /** --max-interfaces with --accept-unconfigured: instances beyond it are refused (TOO_MANY_INTERFACES). */
  private readonly maxInterfaces: number | undefined;
  private clientView: ClientTreeView | undefined;
  private readonly clock: () => number;
  private readonly lclock: LeaseClock;
  /** This boot's id, hex and raw, read once (the per-message path compares it). */
  private readonly boot: string;
  private readonly bootBuf: Buffer;
  private readonly log: Logger;
  private readonly counts = { applied: 0, duplicates: 0, stale: 0, unavailable: 0, expired: 0 };
  private readonly rejectedBy: Partial<Record<RejectReason, number>> = {};
  private lastCommitError: { time: number; message: string } | undefined;
  private storeRecovery: StoreRecovery | undefined;
  private storeHealthy = true;
  /** The store the commit hook was last opened on. */
  private hookStore: Store | undefined;
  private lastMono = 0n;
  private rejectLog = { second: 0, logged: 0, suppressed: 0 };
  private readonly tree: TreeSource;
  private readonly handlerSecondsV4: HistogramSeries;
  private readonly handlerSecondsV6: HistogramSeries;

  /** Loads the model from `store` (which the caller opened and closes) and numbers the allow-listed interfaces. */
  constructor(private store: Store, opts: EngineOptions, private readonly deps: EngineDeps) {
    this.lclock = leaseClockOf(opts);
    this.boot = this.lclock.boot;
    this.bootBuf = Buffer.from(this.boot, 'hex');
    this.clock = this.lclock.wall;
    this.log = deps.logger.child({ component: 'engine' });
    this.allow = opts.interfaces && opts.interfaces.length > 0 ? new Set(opts.interfaces) : undefined;
    this.vctx = { abi: opts.abi, allow: this.allow };
    this.maxInterfaces = opts.maxInterfaces;
    this.handlerSecondsV4 = deps.metrics.handlerSeconds.labels('4');
    this.handlerSecondsV6 = deps.metrics.handlerSeconds.labels('6');
    this.tree = {
      interfaces: () => this.state.interfaces(),
      record: (ifname, v) => this.state.record(ifname, v),
      listed: (ifname) => this.allow?.has(ifname) ?? false,
      client: (version, ifname) => this.clientView?.client(version, ifname),
    };
    if (deps.keeper?.recovery) this.recovered(deps.keeper.recovery);
    if (deps.commitHook && !store.readOnly) {
      deps.commitHook.open(store);
      this.hookStore = store;
    }
    this.restore();
  }

  private restore(): void {
    this.state.load(this.store);
    this.endOtherBoot();
    const fresh = (this.allow ? [...this.allow] : []).filter((n) => this.state.instanceOf(n) === undefined);
    if (fresh.length > 0) {
      const change = this.state.begin();
      for (const ifname of fresh) change.instance(ifname);
      if (this.store.readOnly) {
        this.markStoreFailure(new Error('store is read-only'), 'open');
        change.commit(null);
      } else {
        this.commitToStore(change);
      }
    }
    if (this.store.readOnly) {
      this.storeHealthy = false;
      this.log.error({ store: this.store.path }, 'store opened read-only: reads work, every message will be answered unavailable');
    }
    this.log.info({ store: this.store.path, interfaces: this.state.interfaces().length, v4: this.state.active.v4, v6: this.state.active.v6 }, 'model restored');
  }

  /**
   * Leases received in another boot are gone from the kernel and their countdowns mean nothing
   * here (handlers/reboot.ts): committed and published as LEASE_DEL cause 'reboot', not applied
   * (the applier's reconcile at start removes what its ledger still lists for them). When the
   * store cannot take the commit they end in memory all the same. The clients start over and
   * their next events rebuild the model.
   */
  private endOtherBoot(): void {
    const at = this.clock();
    const ends = endPreviousBoot(this.state.entries(), this.boot, this.lclock.mono(), at);
    if (ends.length === 0) return;
    const change = this.state.begin();
    const events: LeaseEvent[] = [];
    for (const { ifname, out } of ends) {
      const event = buildEvent(out.record.version, this.state.instanceOf(ifname) ?? 0, ifname, out.msgType, out.lease, out.cause, at);
      change.stage(ifname, out.record);
      change.event(event);
      events.push(event);
    }
    if (this.commit(change, 'reboot')) {
      change.commit(null);
      this.updateGauges();
    }
    for (const event of events) this.emit(event, undefined);
    this.log.warn({ ended: ends.length, boot: this.boot }, 'leases of a previous boot ended (LEASE_DEL, cause reboot)');
  }

  /** The store's files were bad and moved aside (store/recover.ts): say so in the log, status and metrics. */
  private recovered(r: StoreRecovery): void {
    this.storeRecovery = r;
    this.deps.metrics.storeRecovered.inc({ reason: r.reason });
    this.log.error({ store: this.store.path, reason: r.reason, detail: r.detail, movedAside: r.movedAside },
      'STORE RECOVERED: the store could not be used and was moved aside; starting with an empty model, the clients\' next events rebuild it');
  }

  // -------------------------------------------------------------------------------------------
  // Ingest

  /** Validate, route and apply a batch in ONE SQLite transaction; results in input order. Never throws on bad input. */
  ingestBatch(items: Ingest[]): IngestResult[] {
    const list = Array.isArray(items) ? items : [];
    const results: IngestResult[] = new Array(list.length);
    const change = this.state.begin();
    const pending: StagedItem[] = [];
    this.deps.metrics.batchSize.observe(list.length);

    for (let i = 0; i < list.length; i++) {
      const item = list[i] as Ingest | undefined;
      const channel: Channel = item && CHANNELS.has(item.channel) ? item.channel : 'legacy';
      const t0 = elapsedNow();
      try {
        const v = validate(item?.frame, this.vctx);
        this.deps.metrics.message(channel, v.ok ? v.msg.version : v.version ?? 'unknown');
        if (!v.ok) { results[i] = this.reject(channel, v.reason, v.detail, v.ifname); continue; }
        const { msg } = v;
        for (const f of v.truncated) this.deps.metrics.truncatedField(f);
        const order = item!.order && isMeta(item!.order) ? item!.order : this.stampLegacy(item!.receivedAt);
        const last = change.order(msg.ifname, msg.version);
        const cmp = last ? compareEvents(order as EnvelopeMeta, last as EnvelopeMeta) : 1;
        if (cmp <= 0) {
          results[i] = { status: cmp === 0 ? 'duplicate' : 'stale', ifname: msg.ifname };
          if (cmp === 0) this.counts.duplicates++; else this.counts.stale++;
          this.deps.metrics.result(cmp === 0 ? 'duplicate' : 'stale');
          continue;
        }
        if (this.maxInterfaces !== undefined && !change.numbered(msg.ifname)) {
          const n = this.state.interfaces().length + change.newInstances;
          if (n >= this.maxInterfaces) {
            results[i] = this.reject(channel, 'TOO_MANY_INTERFACES', `${msg.ifname} would be interface number ${n + 1}; --max-interfaces is ${this.maxInterfaces}`, msg.ifname);
            continue;
          }
        }
        const instance = change.instance(msg.ifname);
        const at = this.eventTime(item!, item!.order ? order as EnvelopeMeta : undefined);
        const routed = route(msg, change.record(msg.ifname, msg.version), at, v.truncated);
        if (!routed.ok) { results[i] = this.reject(channel, 'BAD_VERSION', routed.detail, msg.ifname); continue; }
        const out = routed.out;
        const event = buildEvent(msg.version, instance, msg.ifname, out.msgType, out.lease, out.cause, at.wall);
        change.stage(msg.ifname, out.record, { bootId: order.bootId, monotonicNs: order.monotonicNs, wallUs: order.wallUs });
        change.event(event);
        pending.push({ index: i, event, change: out.change });
        (msg.version === 4 ? this.handlerSecondsV4 : this.handlerSecondsV6).observe((elapsedNow() - t0) / 1000);
      } catch (err) {
        this.log.error({ err, index: i }, 'engine bug while handling a message; message refused');
        results[i] = this.reject(channel, 'INTERNAL_ERROR', 'internal error (logged)');
      }
    }
    if (pending.length === 0) return results;

    const failed = this.commit(change, 'ingest');
    if (failed) {
      const detail = `store commit failed: ${failed.message}`;
      for (const p of pending) results[p.index] = { status: 'unavailable', detail };
      this.counts.unavailable += pending.length;
      this.deps.metrics.result('unavailable', pending.length);
      return results;
    }
    this.counts.applied += pending.length;
    this.deps.metrics.result('applied', pending.length);
    for (const p of pending) {
      results[p.index] = { status: 'applied', event: p.event };
      this.emit(p.event, p.change);
    }
    return results;
  }

  /**
   * The one place a change reaches the store: commit it (timed), then mark the store healthy and
   * update the gauges; on failure count and log it and return the error (memory is unchanged).
   */
  private commit(change: StateChange, during: string): Error | undefined {
    const endCommit = this.deps.metrics.commitSeconds.startTimer();
    try {
      this.ensureStore();
      this.commitToStore(change);
    } catch (err) {
      endCommit();
      this.markStoreFailure(err as Error, during);
      return err as Error;
    }
    endCommit();
    this.storeHealthy = true;
    this.updateGauges();
    return undefined;
  }

  /** The change and, with a commit hook, its rows in one transaction; the hook is opened on a store it has not seen yet (a reopened one). */
  private commitToStore(change: StateChange): void {
    const hook = this.deps.commitHook;
    if (hook && this.hookStore !== this.store) {
      hook.open(this.store);
      this.hookStore = this.store;
    }
    change.commit(this.store, hook ? (events, records, refs) => hook.inTransaction(events, records, refs) : undefined);
  }

  /**
   * The event's time. Wall (display): the sender's wall clock (acked/spool) or the receive time,
   * never later than now. Monotonic (lifetimes): the sender's CLOCK_MONOTONIC stamp when made in
   * this boot, else now (model/clock.ts eventBase).
   */
  private eventTime(item: Ingest, order: EnvelopeMeta | undefined): EventTime {
    const now = this.clock();
    const t = order ? Number(order.wallUs / 1000n) : item.receivedAt;
    return { wall: Number.isFinite(t) && t > 0 && t < now ? t : now, mono: eventBase(this.lclock.mono(), order, this.bootBuf), boot: this.boot };
  }

  /**
   * Before a commit: the state dir must still hold our store and be writable (store/guard.ts).
   * Throws (-> unavailable) while it is not; once it can, the keeper reopens the store at the
   * path and the in-memory model is written into it.
   */
  private ensureStore(): void {
    const keeper = this.deps.keeper;
    if (!keeper) {
      if (this.store.readOnly) throw new Error(`store ${this.store.path} is read-only`);
      return;
    }
    const reopened = keeper.ensure((s) => this.state.writeAll(s));
    if (!reopened) return;
    this.store = keeper.store;
    this.deps.metrics.storeReopened.inc({ reason: reopened.reason });
    this.log.warn({ store: this.store.path, reason: reopened.reason, detail: reopened.detail, interfaces: this.state.interfaces().length },
      'store reopened at its path and the model written into it');
  }

  private stampLegacy(receivedAt: number): StoredOrder {
    let mono = process.hrtime.bigint();
    if (mono <= this.lastMono) mono = this.lastMono + 1n;
    this.lastMono = mono;
    const wall = Number.isFinite(receivedAt) && receivedAt > 0 ? receivedAt : this.clock();
    return { bootId: bootId(), monotonicNs: mono, wallUs: BigInt(Math.floor(wall)) * 1000n };
  }

  private emit(event: LeaseEvent, change: LeaseChange | undefined): void {
    this.deps.metrics.event(event.msgTypeName, event.version);
    try { this.deps.sink.publish(event); } catch (err) { this.log.error({ err }, 'event sink failed'); }
    if (change) {
      try { this.deps.applier.apply(change); } catch (err) { this.log.error({ err }, 'applier threw'); }
    }
  }

  private reject(channel: Channel, reason: RejectReason, rawDetail: string, rawIfname?: string): IngestResult {
    const detail = escapeText(rawDetail);
    const ifname = rawIfname === undefined ? undefined : escapeText(rawIfname, 64);
    this.rejectedBy[reason] = (this.rejectedBy[reason] ?? 0) + 1;
    this.deps.metrics.reject(reason, channel);
    this.deps.metrics.result('rejected');
    this.logReject(reason, channel, detail, ifname);
    try {
      this.deps.sink.publishReject({ reason, detail, ...(ifname !== undefined ? { ifname } : {}), channel, time: this.clock() });
    } catch (err) { this.log.error({ err }, 'event sink failed on a reject'); }
    return { status: 'rejected', reason, detail, ...(ifname !== undefined ? { ifname } : {}) };
  }

  /** One line per reject, at most REJECT_LOGS_PER_SECOND; the rest are summed (counters stay exact). */
  private logReject(reason: RejectReason, channel: Channel, detail: string, ifname: string | undefined): void {
    const second = Math.floor(Date.now() / 1000);
    const rl = this.rejectLog;
    if (second !== rl.second) {
      if (rl.suppressed > 0) this.log.warn({ suppressed: rl.suppressed }, 'reject log lines suppressed (see dhcpmgr_rejected_total)');
      this.rejectLog = { second, logged: 0, suppressed: 0 };
    }
    if (this.rejectLog.logged++ < REJECT_LOGS_PER_SECOND) this.log.warn({ reason, ifname, channel, detail }, 'message rejected');
    else this.rejectLog.suppressed++;
  }

  private markStoreFailure(err: Error, during: string): void {
    this.storeHealthy = false;
    this.lastCommitError = { time: this.clock(), message: err.message };
    this.deps.metrics.storeFailures.inc();
    this.log.error({ err: { message: err.message, code: (err as { code?: string }).code }, store: this.store.path, during },
      'store commit failed; messages answered unavailable, reads still served from memory');
  }

  private updateGauges(): void {
    this.deps.metrics.setActiveLeases(this.state.active.v4, this.state.active.v6);
  }

  // -------------------------------------------------------------------------------------------
  // The client table (clients/manager.ts) hooks in here

  /**
   * Attach the client table: its objects appear in the tree, and (unless `acceptUnconfigured`)
   * only interfaces with a client pass validation (UNCONFIGURED_INTERFACE).
   */
  attachClients(view: ClientTreeView, configured: ((ifname: string, version: 4 | 6) => boolean) | undefined): void {
    this.clientView = view;
    this.vctx.configured = configured;
  }

  instanceOf(ifname: string): number | undefined {
    return this.state.instanceOf(ifname);
  }

  /** Give `ifname` an instance number (`wanted` when free, else the next free one), committed at once. */
  reserveInterface(ifname: string, wanted: number): number {
    const have = this.state.instanceOf(ifname);
    if (have !== undefined) return have;
    const change = this.state.begin();
    const instance = change.instance(ifname, wanted);
    const err = this.commit(change, 'client table');
    if (err) throw err;
    return instance;
  }

  /** A client lifecycle event (CLIENT_STARTED/STOPPED/FAILED): history, then the event sink. */
  clientEvent(version: 4 | 6, ifname: string, type: 'CLIENT_STARTED' | 'CLIENT_STOPPED' | 'CLIENT_FAILED', detail: Record<string, unknown>, cause: string): LeaseEvent {
    const event = buildEvent(version, this.state.instanceOf(ifname) ?? 0, ifname, type, detail, cause, this.clock());
    const change = this.state.begin();
    change.event(event);
    // A store that cannot take the history row still lets subscribers see the event.
    this.commit(change, 'client event');
    this.emit(event, undefined);
    return event;
  }

  /**
   * End what the model holds for a client that was stopped (Enable=false): LEASE_DEL with
   * `cause`, and the applier removes what it added. Nothing when there is no lease.
   */
  endLease(ifname: string, version: 4 | 6, cause: string): LeaseEvent | undefined {
    const prev = this.state.record(ifname, version);
    if (!prev || !isActive(prev)) return undefined;
    const now = this.clock();
    const out = version === 4
      ? clearV4(ifname, prev as V4Record, cause, now)
      : removeV6(ifname, prev as V6Record, { na: true, pd: true }, cause, now);
    const event = buildEvent(version, this.state.instanceOf(ifname) ?? 0, ifname, out.msgType, out.lease, out.cause, now);
    const change = this.state.begin();
    change.stage(ifname, out.record);
    change.event(event);
    if (this.commit(change, 'client stop')) return undefined;
    this.emit(event, out.change);
    return event;
  }

  // -------------------------------------------------------------------------------------------
  // Expiry

  /** Expire every lease/address/prefix whose valid lifetime passed by `monoNow` (CLOCK_MONOTONIC ms; LEASE_DEL, cause 'expired-by-manager'). */
  expireDue(monoNow: number = this.lclock.mono()): LeaseEvent[] {
    const due = this.state.takeDue(monoNow);
    if (due.length === 0) return [];
    const now = this.clock();
    const groups = new Map<string, { ifname: string; version: 4 | 6; na: boolean; pd: boolean }>();
    for (const d of due) {
      const key = recordKey(d.ifname, d.version);
      const g = groups.get(key) ?? { ifname: d.ifname, version: d.version, na: false, pd: false };
      if (d.slot === 'na') g.na = true;
      if (d.slot === 'pd') g.pd = true;
      groups.set(key, g);
    }
    const change = this.state.begin();
    const outs: Array<{ event: LeaseEvent; change?: LeaseChange }> = [];
    for (const g of groups.values()) {
      const prev = this.state.record(g.ifname, g.version);
      const out = g.version === 4
        ? clearV4(g.ifname, prev as V4Record | undefined, 'expired-by-manager', now)
        : removeV6(g.ifname, prev as V6Record | undefined, { na: g.na, pd: g.pd }, 'expired-by-manager', now);
      const event = buildEvent(g.version, this.state.instanceOf(g.ifname) ?? 0, g.ifname, out.msgType, out.lease, out.cause, now);
      change.stage(g.ifname, out.record);
      change.event(event);
      outs.push({ event, change: out.change });
    }
    if (this.commit(change, 'expiry')) {
      this.state.putBack(due);
      return [];
    }
    this.counts.expired += due.length;
    for (const o of outs) this.emit(o.event, o.change);
    return outs.map((o) => o.event);
  }

  /** CLOCK_MONOTONIC ms of the next expiry, or undefined; the daemon arms one timer from it. */
  nextExpiry(): number | undefined {
    return this.state.nextExpiry();
  }

  // -------------------------------------------------------------------------------------------
  // Reads (from memory, except history)

  get(paths: string[]): { ok: true; values: ParamValue[] } | { ok: false; error: string } {
    if (!Array.isArray(paths) || paths.length === 0) return { ok: false, error: 'no path given' };
    return getParams(this.tree, { wall: this.clock(), mono: this.lclock.mono() }, paths);
  }

  leases(): LeaseView[] {
    return leaseViews(this.tree, this.lclock.mono());
  }

  /** The last `limit` events (default 100), oldest first, of one interface or all. */
  history(ifname?: string, limit = 100): LeaseEvent[] {
    const n = Number.isInteger(limit) && limit > 0 ? Math.min(limit, 100_000) : 100;
    try {
      return this.store.history(ifname, n);
    } catch (err) {
      this.log.error({ err }, 'history read failed');
      return [];
    }
  }

  stats(): EngineStats {
    return {
      ...this.counts,
      rejected: { ...this.rejectedBy },
      activeLeases: { ...this.state.active },
      interfaces: this.state.interfaces().length,
      storePath: this.store.path,
      ...(this.lastCommitError ? { lastCommitError: { ...this.lastCommitError } } : {}),
      storeHealthy: this.storeHealthy,
      ...(this.storeRecovery ? { storeRecovery: { ...this.storeRecovery, movedAside: [...this.storeRecovery.movedAside] } } : {}),
    };
  }
}

function isMeta(o: EnvelopeMeta): boolean {
  return Buffer.isBuffer(o.bootId) && o.bootId.length === 16 && typeof o.monotonicNs === 'bigint' && typeof o.wallUs === 'bigint';
}
