/**
 * When the next lease, address or prefix runs out, on CLOCK_MONOTONIC ms (model/clock.ts). A binary min-heap with lazy deletion: every
 * change pushes the new expiry and leaves the old entry; a popped entry counts only if the
 * record still expires at exactly that time. The heap is rebuilt from the live set when stale
 * entries outnumber live ones, so memory stays bounded under endless renewals.
 */
import { LeaseRecord, ifnameOfKey, recordKey } from './types';

export type Slot = 'v4' | 'na' | 'pd';
export interface Due { at: number; ifname: string; version: 4 | 6; slot: Slot }

/** The (slot, expiry) pairs of a record that can expire. */
export function expiriesOf(r: LeaseRecord): Array<{ slot: Slot; at: number }> {
  const out: Array<{ slot: Slot; at: number }> = [];
  if (r.version === 4) {
    if (r.lease && r.lease.expiresMono !== null) out.push({ slot: 'v4', at: r.lease.expiresMono });
  } else {
    if (r.na && r.na.validMono !== null) out.push({ slot: 'na', at: r.na.validMono });
    if (r.pd && r.pd.validMono !== null) out.push({ slot: 'pd', at: r.pd.validMono });
  }
  return out;
}

export class ExpiryQueue {
  private heap: Due[] = [];

  constructor(private readonly current: (ifname: string, version: 4 | 6) => LeaseRecord | undefined,
              private readonly live: () => Iterable<[string, LeaseRecord]>) {}

  /** Call after a record changed (or appeared). */
  track(ifname: string, r: LeaseRecord): void {
    for (const { slot, at } of expiriesOf(r)) this.push({ at, ifname, version: r.version, slot });
    if (this.heap.length > this.threshold) this.rebuild();
  }

  /** Heap size that triggers the next rebuild: 4x the live entries at the last one (amortised O(1)). */
  private threshold = 1024;

  rebuild(): void {
    this.heap = [];
    for (const [key, r] of this.live()) {
      const ifname = ifnameOfKey(key);
      for (const { slot, at } of expiriesOf(r)) this.push({ at, ifname, version: r.version, slot });
    }
    this.threshold = Math.max(1024, 4 * this.heap.length);
  }

  private valid(d: Due): boolean {
    const r = this.current(d.ifname, d.version);
    return !!r && expiriesOf(r).some((e) => e.slot === d.slot && e.at === d.at);
  }

  /** The earliest live expiry, dropping stale entries on the way. */
  next(): number | undefined {
    while (this.heap.length > 0 && !this.valid(this.heap[0]!)) this.pop();
    return this.heap[0]?.at;
  }

  /** Remove and return every live entry due at or before `now`. */
  takeDue(now: number): Due[] {
    const out: Due[] = [];
    const seen = new Set<string>();
    for (;;) {
      const top = this.heap[0];
      if (!top || top.at > now) break;
      this.pop();
      const k = `${recordKey(top.ifname, top.version)}\0${top.slot}`;
      if (this.valid(top) && !seen.has(k)) { seen.add(k); out.push(top); }
    }
    return out;
  }

  /** Put entries back (their removal could not be committed). */
  restore(due: Due[]): void {
    for (const d of due) this.push(d);
  }

  private push(d: Due): void {
    const h = this.heap;
    h.push(d);
    let k = h.length - 1;
    while (k > 0) {
      const parent = (k - 1) >> 1;
      if (h[parent]!.at <= d.at) break;
      h[k] = h[parent]!;
      k = parent;
    }
    h[k] = d;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let k = 0;
    for (;;) {
      const l = 2 * k + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]!.at < h[l]!.at ? r : l;
      if (h[c]!.at >= last.at) break;
      h[k] = h[c]!;
      k = c;
    }
    h[k] = last;
  }
}
