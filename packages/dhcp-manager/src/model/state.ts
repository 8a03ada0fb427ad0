/**
 * The lease state in memory: one record per (ifname, version), the ordering mark of the last
 * event applied to each, the interfaces' instance numbers, the active counts and the expiry
 * queue. It changes in one way only: `begin()` a change, stage records, instance numbers and
 * history events on it, then `commit(store)`, which writes all of it in ONE store transaction
 * and only after that succeeds applies it to memory. A failed commit throws and leaves memory as
 * it was.
 *
 * Each record carries its own lease clock (model/types.ts MonoStamp): the boot it was received
 * in and its CLOCK_MONOTONIC deadlines, so the expiry queue and every countdown run on the
 * monotonic clock; `entries()` lets the engine find the records of another boot at start.
 */
import type { LeaseEvent } from '../contract';
import type { HistoryRef, Store, StoredOrder } from '../store/store';
import { Due, ExpiryQueue } from './expiry';
import { LeaseRecord, isActive, recordKey } from './types';

export interface InstanceEntry { ifname: string; instance: number }

export class LeaseState {
  private readonly records = new Map<string, LeaseRecord>();
  private readonly orders = new Map<string, StoredOrder>();
  private readonly instances = new Map<string, number>();
  private readonly byInstance: InstanceEntry[] = [];
  private nextInstance = 1;
  private readonly expiry: ExpiryQueue;
  /** Records that hold an address or prefix, per version. */
  readonly active = { v4: 0, v6: 0 };

  constructor() {
    this.expiry = new ExpiryQueue();
  }

  /** Load what the store holds (at open; nothing is written). */
  load(store: Store): void {
    for (const { ifname, instance } of store.interfaces()) this.addInstance(ifname, instance);
    for (const row of store.leases()) {
      const key = recordKey(row.ifname, row.version);
      this.setRecord(key, row.record);
      if (row.order) this.orders.set(key, row.order);
      this.expiry.track(key, row.ifname, row.record);
    }
  }

  record(ifname: string, version: 4 | 6): LeaseRecord | undefined {
    return this.records.get(recordKey(ifname, version));
  }

  /** Ordering mark of the last event applied to (ifname, version). */
  order(ifname: string, version: 4 | 6): StoredOrder | undefined {
    return this.orders.get(recordKey(ifname, version));
  }

  instanceOf(ifname: string): number | undefined {
    return this.instances.get(ifname);
  }

  /** Interfaces by instance number, ascending. */
  interfaces(): InstanceEntry[] {
    return this.byInstance;
  }

  /** Every record with its interface name. */
  *entries(): IterableIterator<{ ifname: string; record: LeaseRecord }> {
    for (const [key, record] of this.records) yield { ifname: key.slice(key.indexOf('\0') + 1), record };
  }

  /** CLOCK_MONOTONIC ms of the next expiry, or undefined. */
  nextExpiry(): number | undefined {
    return this.expiry.next();
  }

  /** Remove and return every expiry due by `monoNow` (CLOCK_MONOTONIC ms); `putBack` them if their removal is not committed. */
  takeDue(monoNow: number): Due[] {
    return this.expiry.takeDue(monoNow);
  }

  putBack(due: Due[]): void {
    this.expiry.restore(due);
  }

  /** Write the whole state (instances, records with their ordering marks) into `store`, inside the caller's transaction: a store reopened at its path after the state dir vanished. */
  writeAll(store: Store): void {
    for (const { ifname, instance } of this.byInstance) store.putInterface(ifname, instance);
    for (const [key, r] of this.records) {
      const ifname = key.slice(key.indexOf('\0') + 1);
      store.putLease(ifname, r.version, r, this.orders.get(key) ?? null);
    }
  }

  begin(): StateChange {
    return new StateChange(this, this.nextInstance);
  }

  /** For StateChange.commit only: its staged parts, once the store transaction succeeded. */
  applyCommitted(change: { instances: Map<string, number>; records: Map<string, Staged> }): void {
    for (const [ifname, instance] of change.instances) this.addInstance(ifname, instance);
    for (const [key, s] of change.records) {
      this.setRecord(key, s.record);
      if (s.order) this.orders.set(key, s.order);
      this.expiry.track(key, s.ifname, s.record);
    }
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
}

interface Staged { ifname: string; record: LeaseRecord; order: StoredOrder | undefined }

/** One change to the state: read through it (staged first, then committed), stage, commit. */
export class StateChange {
  private readonly instances = new Map<string, number>();
  private readonly records = new Map<string, Staged>();
  private readonly events: LeaseEvent[] = [];
  private done = false;

  constructor(private readonly state: LeaseState, private nextInstance: number) {}

  record(ifname: string, version: 4 | 6): LeaseRecord | undefined {
    return this.records.get(recordKey(ifname, version))?.record ?? this.state.record(ifname, version);
  }

  order(ifname: string, version: 4 | 6): StoredOrder | undefined {
    return this.records.get(recordKey(ifname, version))?.order ?? this.state.order(ifname, version);
  }

  /**
   * The interface's instance number, numbering a new interface with `wanted` when that number is
   * free, else with the next free one.
   */
  instance(ifname: string, wanted?: number): number {
    let n = this.state.instanceOf(ifname) ?? this.instances.get(ifname);
    if (n === undefined) {
      if (wanted !== undefined && !this.taken(wanted)) {
        n = wanted;
        this.nextInstance = Math.max(this.nextInstance, wanted + 1);
      } else {
        n = this.nextInstance++;
      }
      this.instances.set(ifname, n);
    }
    return n;
  }

  /** The interface has a number, committed or staged here. */
  numbered(ifname: string): boolean {
    return this.state.instanceOf(ifname) !== undefined || this.instances.has(ifname);
  }

  /** How many interfaces this change numbers for the first time. */
  get newInstances(): number {
    return this.instances.size;
  }

  private taken(instance: number): boolean {
    return this.state.interfaces().some((x) => x.instance === instance) || [...this.instances.values()].includes(instance);
  }

  /** Stage a record; `order` undefined keeps the ordering mark it has. */
  stage(ifname: string, record: LeaseRecord, order?: StoredOrder): void {
    const key = recordKey(ifname, record.version);
    this.records.set(key, { ifname, record, order: order ?? this.records.get(key)?.order });
  }

  /** Stage a history event (written in the order staged). */
  event(e: LeaseEvent): void {
    this.events.push(e);
  }

  /** Nothing staged. */
  get empty(): boolean {
    return this.instances.size === 0 && this.records.size === 0 && this.events.length === 0;
  }

  /**
   * Write everything staged in one store transaction, then apply it to memory. Throws what the
   * store throws, and memory stays as it was. `store` null: memory only (a read-only store at
   * open still numbers the allow-listed interfaces for reads). `alsoInTransaction` runs inside
   * the same transaction, after the lease rows and the history events were added, with where
   * history keeps each event (`refs[i]` for `events[i]`).
   */
  commit(store: Store | null, alsoInTransaction?: (events: LeaseEvent[], records: Array<{ ifname: string; record: LeaseRecord }>, refs: HistoryRef[]) => void): void {
    if (this.done) throw new Error('state change already committed');
    if (store) {
      store.transaction(() => {
        for (const [ifname, instance] of this.instances) store.putInterface(ifname, instance);
        for (const s of this.records.values()) {
          store.putLease(s.ifname, s.record.version, s.record, s.order ?? this.state.order(s.ifname, s.record.version) ?? null);
        }
        const refs = this.events.map((e) => store.addHistory(e));
        // Rows another module keeps with the leases (the MQTT outbox) commit or roll back with them.
        alsoInTransaction?.(this.events, [...this.records.values()].map((x) => ({ ifname: x.ifname, record: x.record })), refs);
      });
    }
    this.done = true;
    this.state.applyCommitted({ instances: this.instances, records: this.records });
  }
}
