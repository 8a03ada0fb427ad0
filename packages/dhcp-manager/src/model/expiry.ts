/**
 * When the next lease, address or prefix runs out, on CLOCK_MONOTONIC ms (model/clock.ts). A
 * binary min-heap with one entry per (record, slot) that can expire, found by its record's key:
 * a change moves the entry to its new time (sift up or down) instead of pushing another, so the
 * heap holds exactly the live expiries and a renewal allocates nothing.
 *
 * Before (session 4 and earlier) every change pushed a new entry and left the old one to be
 * dropped when popped, with a rebuild once stale entries outnumbered live ones: at 1,000
 * interfaces each message's entry lived until the next rebuild (thousands of messages), so it was
 * copied by the scavenges on the way and promoted, a fifth of the bytes promoted per message
 * (docs/performance.md, "Session 5").
 */
import { LeaseRecord, recordKey } from './types';

export type Slot = 'v4' | 'na' | 'pd';
export interface Due { at: number; ifname: string; version: 4 | 6; slot: Slot }

/** A heap entry: where it sits in the heap array is kept in it, so it can be moved. */
interface Entry extends Due { pos: number }
/** The entries of one record, by slot. */
type Slots = Partial<Record<Slot, Entry>>;

/** The slot's expiry (CLOCK_MONOTONIC ms), or undefined when it has none (no lease, infinite). */
function deadline(r: LeaseRecord, slot: Slot): number | undefined {
  if (r.version === 4) return slot === 'v4' ? r.lease?.expiresMono ?? undefined : undefined;
  if (slot === 'na') return r.na?.validMono ?? undefined;
  if (slot === 'pd') return r.pd?.validMono ?? undefined;
  return undefined;
}

const SLOTS: Record<4 | 6, readonly Slot[]> = { 4: ['v4'], 6: ['na', 'pd'] };

export class ExpiryQueue {
  private readonly heap: Entry[] = [];
  /** Per record key (model/types.ts recordKey): its entries. */
  private readonly byRecord = new Map<string, Slots>();

  /** Call after the record under `key` changed (or appeared). */
  track(key: string, ifname: string, r: LeaseRecord): void {
    let slots = this.byRecord.get(key);
    for (const slot of SLOTS[r.version]) {
      const at = deadline(r, slot);
      const e = slots?.[slot];
      if (e) {
        if (at === undefined) {
          this.remove(e);
          slots![slot] = undefined;
        } else if (at !== e.at) {
          const earlier = at < e.at;
          e.at = at;
          if (earlier) this.up(e.pos); else this.down(e.pos);
        }
      } else if (at !== undefined) {
        if (!slots) this.byRecord.set(key, (slots = {}));
        slots[slot] = this.insert({ at, ifname, version: r.version, slot, pos: 0 });
      }
    }
  }

  /** The earliest expiry. */
  next(): number | undefined {
    return this.heap[0]?.at;
  }

  /** Remove and return every expiry due at or before `now`, earliest first. */
  takeDue(now: number): Due[] {
    const out: Due[] = [];
    for (;;) {
      const top = this.heap[0];
      if (!top || top.at > now) break;
      this.remove(top);
      const slots = this.byRecord.get(recordKey(top.ifname, top.version));
      if (slots) slots[top.slot] = undefined;
      out.push({ at: top.at, ifname: top.ifname, version: top.version, slot: top.slot });
    }
    return out;
  }

  /** Put entries back (their removal could not be committed; their records did not change). */
  restore(due: Due[]): void {
    for (const d of due) {
      const key = recordKey(d.ifname, d.version);
      let slots = this.byRecord.get(key);
      if (slots?.[d.slot]) continue;
      if (!slots) this.byRecord.set(key, (slots = {}));
      slots[d.slot] = this.insert({ ...d, pos: 0 });
    }
  }

  /** Entries in the heap (the live expiries). */
  get size(): number {
    return this.heap.length;
  }

  private insert(e: Entry): Entry {
    e.pos = this.heap.length;
    this.heap.push(e);
    this.up(e.pos);
    return e;
  }

  private remove(e: Entry): void {
    const h = this.heap;
    const last = h.pop()!;
    if (last === e) return;
    h[e.pos] = last;
    last.pos = e.pos;
    if (last.at < e.at) this.up(last.pos); else this.down(last.pos);
  }

  private up(k: number): void {
    const h = this.heap;
    const e = h[k]!;
    while (k > 0) {
      const parent = (k - 1) >> 1;
      const p = h[parent]!;
      if (p.at <= e.at) break;
      h[k] = p;
      p.pos = k;
      k = parent;
    }
    h[k] = e;
    e.pos = k;
  }

  private down(k: number): void {
    const h = this.heap;
    const e = h[k]!;
    for (;;) {
      const l = 2 * k + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]!.at < h[l]!.at ? r : l;
      const child = h[c]!;
      if (child.at >= e.at) break;
      h[k] = child;
      child.pos = k;
      k = c;
    }
    h[k] = e;
    e.pos = k;
  }
}
