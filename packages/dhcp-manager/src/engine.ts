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
import type { HandlerOutput } from './handlers/types';
import { ManagerMetrics } from './metrics';
import { EventTime, LeaseClock, SYSTEM_CLOCK, eventBase } from './model/clock';
import { ExpiryQueue } from './model/expiry';
import { getParams, TreeSource } from './model/tree';
import { LeaseRecord, V4Record, V6Record, isActive, recordKey, remaining } from './model/types';
import { route } from './router';
import { StoreGuard } from './store/guard';
import { openStoreRecovering, StoreRecovery } from './store/recover';
import { Store, StoredOrder } from './store/store';
import { escapeText, validate, ValidateContext } from './validate';

export interface EngineDeps { logger: Logger; metrics: ManagerMetrics; sink: EventSink; applier: Applier }

const CHANNELS: ReadonlySet<string> = new Set(['legacy', 'acked', 'spool']);
const REJECT_LOGS_PER_SECOND = 50;

interface Pending { index: number; key: string; event: LeaseEvent; change?: LeaseChange }

export class Engine {
  private readonly records = new Map<string, LeaseRecord>();
  private readonly orders = new Map<string, StoredOrder>();
  private readonly instances = new Map<string, number>();
  private readonly byInstance: Array<{ ifname: string; instance: number }> = [];
  private nextInstance = 1;
  private readonly allow: ReadonlySet<string> | undefined;
  private readonly vctx: ValidateContext;
  private readonly clock: () => number;
  private readonly lclock: LeaseClock;
  /** This boot's id, hex and raw, read once (the per-message path compares it). */
  private readonly boot: string;
  private readonly bootBuf: Buffer;
  private readonly log: Logger;
  private readonly expiry: ExpiryQueue;
  private readonly active = { v4: 0, v6: 0 };
  private readonly counts = { applied: 0, duplicates: 0, stale: 0, unavailable: 0, expired: 0 };
  private readonly rejectedBy: Partial<Record<RejectReason, number>> = {};
  private lastCommitError: { time: number; message: string } | undefined;
  private storeRecovery: StoreRecovery | undefined;
  private guard: StoreGuard | undefined;
  private storeHealthy = true;
  private lastMono = 0n;
  private rejectLog = { second: 0, logged: 0, suppressed: 0 };
  private closed = false;
  private readonly tree: TreeSource;
  private readonly handler4: { observe(v: number): void };
  private readonly handler6: { observe(v: number): void };

  private constructor(opts: EngineOptions, private readonly deps: EngineDeps, private store: Store) {
    this.lclock = leaseClockOf(opts);
    this.boot = this.lclock.boot;
    this.bootBuf = Buffer.from(this.boot, 'hex');
    this.clock = this.lclock.wall;
    this.log = deps.logger.child({ component: 'engine' });
    this.allow = opts.interfaces && opts.interfaces.length > 0 ? new Set(opts.interfaces) : undefined;
    this.vctx = { abi: opts.abi, allow: this.allow };
    this.handler4 = deps.metrics.handlerSeconds.labels('4');
    this.handler6 = deps.metrics.handlerSeconds.labels('6');
    this.expiry = new ExpiryQueue((ifname, v) => this.records.get(recordKey(ifname, v)), () => this.records.entries());
    this.tree = {
      interfaces: () => this.byInstance,
      record: (ifname, v) => this.records.get(recordKey(ifname, v)),
      listed: (ifname) => this.allow?.has(ifname) ?? false,
    };
  }

  static open(opts: EngineOptions, deps: EngineDeps): Engine {
    const storeOpts = {
      stateDir: opts.stateDir, durability: opts.durability ?? 'full', historyPerInterface: opts.historyPerInterface ?? 100,
      clock: leaseClockOf(opts),
    } as const;
    const { store, recovery } = openStoreRecovering(storeOpts);
    const engine = new Engine(opts, deps, store);
    engine.guard = new StoreGuard(storeOpts, store);
    if (recovery) engine.recovered(recovery);
    engine.restore();
    return engine;
  }

  private restore(): void {
    for (const { ifname, instance } of this.store.interfaces()) this.addInstance(ifname, instance);
    for (const row of this.store.leases()) {
      const key = recordKey(row.ifname, row.version);
      this.setRecord(key, row.record);
      if (row.order) this.orders.set(key, row.order);
      this.expiry.track(row.ifname, row.record);
    }
    this.endOtherBoot();
    const fresh = (this.allow ? [...this.allow] : []).filter((n) => !this.instances.has(n));
    if (fresh.length > 0) {
      const numbered = fresh.map((ifname) => ({ ifname, instance: this.nextInstance++ }));
      if (this.store.readOnly) this.markStoreFailure(new Error('store is read-only'), 'open');
      else this.store.transaction(() => { for (const n of numbered) this.store.putInterface(n.ifname, n.instance); });
      for (const n of numbered) this.addInstance(n.ifname, n.instance);
    }
    if (this.store.readOnly) {
      this.storeHealthy = false;
      this.log.error({ store: this.store.path }, 'store opened read-only: reads work, every message will be answered unavailable');
    }
    this.log.info({ store: this.store.path, interfaces: this.byInstance.length, v4: this.active.v4, v6: this.active.v6 }, 'model restored');
  }

  /**
   * Leases received in another boot are gone from the kernel and their countdowns mean nothing
   * here (handlers/reboot.ts): committed and published as LEASE_DEL cause 'reboot', not applied.
   * The clients start over and their next events rebuild the model.
   */
  private endOtherBoot(): void {
    const at = this.clock();
    const outs = endPreviousBoot(this.records, ifnameOf, this.boot, this.lclock.mono(), at).map(({ key, ifname, out }) => (
      { key, out, event: buildEvent(out.record.version, this.instances.get(ifname) ?? 0, ifname, out.msgType, out.lease, out.cause, at) }));
    if (outs.length === 0) return;
    try {
      if (this.store.readOnly) throw new Error(`store ${this.store.path} is read-only`);
      this.store.transaction(() => {
        for (const o of outs) {
          this.store.putLease(ifnameOf(o.key), o.out.record.version, o.out.record, this.orders.get(o.key) ?? null);
          this.store.addHistory(o.event);
        }
      });
    } catch (err) {
      this.markStoreFailure(err as Error, 'reboot');
    }
    for (const o of outs) {
      this.setRecord(o.key, o.out.record);
      this.expiry.track(ifnameOf(o.key), o.out.record);
      this.deps.metrics.event(o.event.msgTypeName, o.event.version);
      try { this.deps.sink.publish(o.event); } catch (err) { this.log.error({ err }, 'event sink failed'); }
    }
    this.log.warn({ ended: outs.length, boot: this.boot }, 'leases of a previous boot ended (LEASE_DEL, cause reboot)');
  }

  /** The store's files were bad and moved aside (store/recover.ts): say so in the log, status and metrics. */
  private recovered(r: StoreRecovery): void {
    this.storeRecovery = r;
    this.deps.metrics.storeRecovered.inc({ reason: r.reason });
    this.log.error({ store: this.store.path, reason: r.reason, detail: r.detail, movedAside: r.movedAside },
      'STORE RECOVERED: the store could not be used and was moved aside; starting with an empty model, the clients\' next events rebuild it');
  }

  private addInstance(ifname: string, instance: number): void {
    this.instances.set(ifname, instance);
    this.byInstance.push({ ifname, instance });
    this.byInstance.sort((a, b) => a.instance - b.instance);
    this.nextInstance = Math.max(this.nextInstance, instance + 1);
  }

  private setRecord(key: string, r: LeaseRecord): void {
    const prev = this.records.get(key);
    const v = r.version === 4 ? 'v4' : 'v6';
    this.active[v] += (isActive(r) ? 1 : 0) - (prev && isActive(prev) ? 1 : 0);
    this.records.set(key, r);
  }

  // -------------------------------------------------------------------------------------------
  // Ingest

  /** Validate, route and apply a batch in ONE SQLite transaction; results in input order. Never throws on bad input. */
  ingestBatch(items: Ingest[]): IngestResult[] {
    const list = Array.isArray(items) ? items : [];
    const results: IngestResult[] = new Array(list.length);
    const staged = new Map<string, LeaseRecord>();
    const stagedOrders = new Map<string, StoredOrder>();
    const newInstances = new Map<string, number>();
    const pending: Pending[] = [];
    let nextInstance = this.nextInstance;
    this.deps.metrics.batchSize.observe(list.length);

    for (let i = 0; i < list.length; i++) {
      const item = list[i] as Ingest | undefined;
      const channel: Channel = item && CHANNELS.has(item.channel) ? item.channel : 'legacy';
      const t0 = process.hrtime.bigint();
      try {
        const v = validate(item?.frame, this.vctx);
        this.deps.metrics.message(channel, v.ok ? v.msg.version : v.version ?? 'unknown');
        if (!v.ok) { results[i] = this.reject(channel, v.reason, v.detail, v.ifname); continue; }
        const { msg } = v;
        for (const f of v.truncated) this.deps.metrics.truncatedField(f);
        const key = recordKey(msg.ifname, msg.version);
        const order = item!.order && isMeta(item!.order) ? item!.order : this.stampLegacy(item!.receivedAt);
        const last = stagedOrders.get(key) ?? this.orders.get(key);
        const cmp = last ? compareEvents(order as EnvelopeMeta, last as EnvelopeMeta) : 1;
        if (cmp <= 0) {
          results[i] = { status: cmp === 0 ? 'duplicate' : 'stale', ifname: msg.ifname };
          if (cmp === 0) this.counts.duplicates++; else this.counts.stale++;
          this.deps.metrics.result(cmp === 0 ? 'duplicate' : 'stale');
          continue;
        }
        let instance = this.instances.get(msg.ifname) ?? newInstances.get(msg.ifname);
        if (instance === undefined) { instance = nextInstance++; newInstances.set(msg.ifname, instance); }
        const at = this.eventTime(item!, item!.order ? order as EnvelopeMeta : undefined);
        const routed = route(msg, staged.get(key) ?? this.records.get(key), at, v.truncated);
        if (!routed.ok) { results[i] = this.reject(channel, 'BAD_VERSION', routed.detail, msg.ifname); continue; }
        staged.set(key, routed.out.record);
        stagedOrders.set(key, { bootId: order.bootId, monotonicNs: order.monotonicNs, wallUs: order.wallUs });
        pending.push(this.pendingOf(i, key, msg.ifname, msg.version, instance, routed.out, at));
        (msg.version === 4 ? this.handler4 : this.handler6).observe(Number(process.hrtime.bigint() - t0) / 1e9);
      } catch (err) {
        this.log.error({ err, index: i }, 'engine bug while handling a message; message refused');
        results[i] = this.reject(channel, 'INTERNAL_ERROR', 'internal error (logged)');
      }
    }
    if (pending.length === 0) return results;

    const endCommit = this.deps.metrics.commitSeconds.startTimer();
    try {
      this.ensureStore();
      this.store.transaction(() => {
        for (const [ifname, instance] of newInstances) this.store.putInterface(ifname, instance);
        for (const [key, record] of staged) this.store.putLease(ifnameOf(key), record.version, record, stagedOrders.get(key)!);
        for (const p of pending) this.store.addHistory(p.event);
      });
    } catch (err) {
      endCommit();
      this.markStoreFailure(err as Error, 'ingest');
      const detail = `store commit failed: ${(err as Error).message}`;
      for (const p of pending) results[p.index] = { status: 'unavailable', detail };
      this.counts.unavailable += pending.length;
      this.deps.metrics.result('unavailable', pending.length);
      return results;
    }
    endCommit();
    this.storeHealthy = true;
    for (const [ifname, instance] of newInstances) this.addInstance(ifname, instance);
    for (const [key, record] of staged) {
      this.setRecord(key, record);
      this.orders.set(key, stagedOrders.get(key)!);
      this.expiry.track(ifnameOf(key), record);
    }
    this.updateGauges();
    this.counts.applied += pending.length;
    this.deps.metrics.result('applied', pending.length);
    for (const p of pending) {
      results[p.index] = { status: 'applied', event: p.event };
      this.emit(p.event, p.change);
    }
    return results;
  }

  private pendingOf(index: number, key: string, ifname: string, version: 4 | 6, instance: number, out: HandlerOutput, at: EventTime): Pending {
    return { index, key, event: buildEvent(version, instance, ifname, out.msgType, out.lease, out.cause, at.wall), change: out.change };
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

  /**
   * Before a commit: the state dir must still hold our store and be writable (store/guard.ts).
   * Throws (-> unavailable) while it is not; reopens the store at the path once it can, writing
   * the in-memory model into it.
   */
  private ensureStore(): void {
    if (!this.guard) {
      if (this.store.readOnly) throw new Error(`store ${this.store.path} is read-only`);
      return;
    }
    const { store, reopened } = this.guard.ensure(this.store, (s) => {
      for (const { ifname, instance } of this.byInstance) s.putInterface(ifname, instance);
      for (const [key, r] of this.records) s.putLease(ifnameOf(key), r.version, r, this.orders.get(key) ?? null);
    });
    if (!reopened) return;
    this.store = store;
    this.deps.metrics.storeReopened.inc({ reason: reopened.reason });
    this.log.warn({ store: store.path, reason: reopened.reason, detail: reopened.detail, records: this.records.size },
      'store reopened at its path and the model written into it');
  }

  private markStoreFailure(err: Error, during: string): void {
    this.storeHealthy = false;
    this.lastCommitError = { time: this.clock(), message: err.message };
    this.deps.metrics.storeFailures.inc();
    this.log.error({ err: { message: err.message, code: (err as { code?: string }).code }, store: this.store.path, during },
      'store commit failed; messages answered unavailable, reads still served from memory');
  }

  private updateGauges(): void {
    this.deps.metrics.activeLeases.set({ version: '4' }, this.active.v4);
    this.deps.metrics.activeLeases.set({ version: '6' }, this.active.v6);
  }

  // -------------------------------------------------------------------------------------------
  // Expiry

  /** Expire every lease/address/prefix whose valid lifetime passed by `monoNow` (CLOCK_MONOTONIC ms; LEASE_DEL, cause 'expired-by-manager'). */
  expireDue(monoNow: number = this.lclock.mono()): LeaseEvent[] {
    const due = this.expiry.takeDue(monoNow);
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
    const outs: Array<{ key: string; out: HandlerOutput; event: LeaseEvent }> = [];
    for (const [key, g] of groups) {
      const prev = this.records.get(key);
      const out = g.version === 4
        ? clearV4(g.ifname, prev as V4Record | undefined, 'expired-by-manager', now)
        : removeV6(g.ifname, prev as V6Record | undefined, { na: g.na, pd: g.pd }, 'expired-by-manager', now);
      const event = buildEvent(g.version, this.instances.get(g.ifname) ?? 0, g.ifname, out.msgType, out.lease, out.cause, now);
      outs.push({ key, out, event });
    }
    const endCommit = this.deps.metrics.commitSeconds.startTimer();
    try {
      this.ensureStore();
      this.store.transaction(() => {
        for (const o of outs) {
          this.store.putLease(ifnameOf(o.key), o.out.record.version, o.out.record, this.orders.get(o.key) ?? null);
          this.store.addHistory(o.event);
        }
      });
    } catch (err) {
      endCommit();
      this.markStoreFailure(err as Error, 'expiry');
      this.expiry.restore(due);
      return [];
    }
    endCommit();
    this.storeHealthy = true;
    this.counts.expired += due.length;
    for (const o of outs) {
      this.setRecord(o.key, o.out.record);
      this.expiry.track(ifnameOf(o.key), o.out.record);
      this.emit(o.event, o.out.change);
    }
    this.updateGauges();
    return outs.map((o) => o.event);
  }

  /** CLOCK_MONOTONIC ms of the next expiry, or undefined; the daemon arms one timer from it. */
  nextExpiry(): number | undefined {
    return this.expiry.next();
  }

  // -------------------------------------------------------------------------------------------
  // Reads (from memory, except history)

  get(paths: string[]): { ok: true; values: ParamValue[] } | { ok: false; error: string } {
    if (!Array.isArray(paths) || paths.length === 0) return { ok: false, error: 'no path given' };
    return getParams(this.tree, { wall: this.clock(), mono: this.lclock.mono() }, paths);
  }

  leases(): LeaseView[] {
    const now = this.lclock.mono();
    const out: LeaseView[] = [];
    for (const { ifname, instance } of this.byInstance) {
      for (const version of [4, 6] as const) {
        const r = this.records.get(recordKey(ifname, version));
        if (!r) continue;
        const view: LeaseView = { ifname, version, instance, status: isActive(r) ? 'bound' : 'none', state: r.state, addresses: [], dnsServers: [], updatedAt: r.updatedAt };
        if (r.version === 4 && r.lease) {
          const left = remaining(r.lease.expiresMono, now);
          view.addresses.push({ kind: 'ipv4', value: `${r.lease.address}/${r.lease.prefixLength}`, preferredRemaining: left, validRemaining: left });
          view.dnsServers = r.lease.dnsServers;
        } else if (r.version === 6) {
          if (r.na) view.addresses.push({ kind: 'ia_na', value: `${r.na.address}/128`, preferredRemaining: remaining(r.na.preferredMono, now), validRemaining: remaining(r.na.validMono, now) });
          if (r.pd) view.addresses.push({ kind: 'ia_pd', value: `${r.pd.prefix}/${r.pd.length}`, preferredRemaining: remaining(r.pd.preferredMono, now), validRemaining: remaining(r.pd.validMono, now) });
          view.dnsServers = r.dnsServers;
        }
        out.push(view);
      }
    }
    return out;
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
      activeLeases: { ...this.active },
      interfaces: this.byInstance.length,
      storePath: this.store.path,
      ...(this.lastCommitError ? { lastCommitError: { ...this.lastCommitError } } : {}),
      storeHealthy: this.storeHealthy,
      ...(this.storeRecovery ? { storeRecovery: { ...this.storeRecovery, movedAside: [...this.storeRecovery.movedAside] } } : {}),
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.store.close();
  }
}

/** An injected wall clock alone (unit tests) also drives the monotonic one. */
function leaseClockOf(opts: EngineOptions): LeaseClock {
  return opts.leaseClock ?? (opts.clock ? { wall: opts.clock, mono: opts.clock, boot: SYSTEM_CLOCK.boot } : SYSTEM_CLOCK);
}

function ifnameOf(key: string): string {
  return key.slice(key.indexOf('\0') + 1);
}

function isMeta(o: EnvelopeMeta): boolean {
  return Buffer.isBuffer(o.bootId) && o.bootId.length === 16 && typeof o.monotonicNs === 'bigint' && typeof o.wallUs === 'bigint';
}
