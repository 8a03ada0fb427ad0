/**
 * Who goes next, and who gets in when the queue is full: the IngestQueue's per-interface lanes.
 *
 * - One FIFO (lane) per interface name, peeked from the frame (plugin-msg peekFrame); frames it
 *   cannot peek (wrong size, bad version, unterminated or invalid name) share one `unparsed` lane
 *   and the validator refuses them. Nothing ever overtakes an earlier item of its own
 *   lane, so the order per interface is the order of arrival.
 * - An item is urgent when it ends a lease (v4 isExpired or deconfig/leasefail/nak, v6
 *   isExpired) or came on the acked channel or from the spool. A lane holding an urgent item is
 *   urgent as a whole (its earlier renewals go first, in order). Urgent lanes are served round
 *   robin, one item per turn, before the others, which are served round robin too. O(1) per item.
 * - Admission when full (see `evictFor`): a lane below its fair share (limit / lanes with items)
 *   gets in by evicting the newest renewal of the lane holding the most items; an urgent item may
 *   evict a renewal (of any lane, its own included) even above its share. Only legacy items are
 *   ever evicted: they have no sender waiting and no copy on disk.
 */
import { peekFrame } from '@dhcpmgr/plugin-msg';
import { ifnameProblem } from '../ifname';
import { V4_SET_STATES, V4_STATES } from '../validate';
import type { Pending } from './queue';

/** The lane of frames whose interface name could not be read. */
export const UNPARSED = '';
/** How far back from a lane's newest item eviction looks for a renewal (bounds its cost). */
const EVICT_SCAN = 32;

/** Lane key and urgency of one item, from a few bytes of its frame. */
export function classify(p: Pending): void {
  const peek = peekFrame(p.ingest.frame);
  const named = peek !== undefined && ifnameProblem(peek.ifname) === undefined;
  p.lane = named ? peek.ifname : UNPARSED;
  p.urgent = p.ingest.channel !== 'legacy' || (peek !== undefined && (peek.isExpired
    || (peek.version === 4 && V4_STATES.has(peek.dhcpState) && !V4_SET_STATES.has(peek.dhcpState))));
}

interface Lane {
  readonly key: string;
  items: Array<Pending | undefined>;
  head: number;
  /** Urgent items waiting in this lane. */
  urgent: number;
  ring: Ring | undefined;
  prev: Lane | undefined;
  next: Lane | undefined;
  /** Links in the list of lanes holding the same number of items (`Lanes.bySize`). */
  down: Lane | undefined;
  up: Lane | undefined;
}

const sizeOf = (l: Lane): number => l.items.length - l.head;

/** A round-robin ring of lanes: an intrusive doubly linked list, O(1) push, shift and unlink. */
class Ring {
  first: Lane | undefined;
  last: Lane | undefined;

  push(l: Lane): void {
    l.ring = this;
    l.prev = this.last;
    l.next = undefined;
    if (this.last) this.last.next = l;
    else this.first = l;
    this.last = l;
  }

  shift(): Lane | undefined {
    const l = this.first;
    if (l) this.unlink(l);
    return l;
  }

  unlink(l: Lane): void {
    if (l.prev) l.prev.next = l.next;
    else this.first = l.next;
    if (l.next) l.next.prev = l.prev;
    else this.last = l.prev;
    l.prev = l.next = l.ring = undefined;
  }
}

export class Lanes {
  private readonly byKey = new Map<string, Lane>();
  private readonly urgentRing = new Ring();
  private readonly normalRing = new Ring();
  /** bySize[n]: one lane holding n items, linked to the others holding n; `maxSize` the largest n. */
  private readonly bySize: Array<Lane | undefined> = [];
  private maxSize = 0;
  private total = 0;

  /** Items waiting. */
  get size(): number {
    return this.total;
  }

  /** Lanes holding an item. */
  get lanes(): number {
    return this.byKey.size;
  }

  /** Items waiting in the lane of `key`. */
  sizeOf(key: string): number {
    const l = this.byKey.get(key);
    return l ? sizeOf(l) : 0;
  }

  /** Append a classified item to its lane. */
  push(p: Pending): void {
    const key = p.lane ?? UNPARSED;
    let l = this.byKey.get(key);
    if (!l) {
      l = { key, items: [], head: 0, urgent: 0, ring: undefined, prev: undefined, next: undefined, down: undefined, up: undefined };
      this.byKey.set(key, l);
    }
    l.items.push(p);
    this.total++;
    this.resized(l, sizeOf(l) - 1);
    if (p.urgent) l.urgent++;
    if (l.ring === undefined) (l.urgent > 0 ? this.urgentRing : this.normalRing).push(l);
    else if (p.urgent && l.ring === this.normalRing) {
      this.normalRing.unlink(l);
      this.urgentRing.push(l);
    }
  }

  /** The next item: the oldest of the next urgent lane, else of the next other lane. */
  shift(): Pending | undefined {
    const l = this.urgentRing.shift() ?? this.normalRing.shift();
    if (!l) return undefined;
    const p = l.items[l.head]!;
    l.items[l.head++] = undefined;
    if (p.urgent) l.urgent--;
    this.total--;
    this.resized(l, sizeOf(l) + 1);
    if (sizeOf(l) === 0) {
      this.byKey.delete(l.key);
      return p;
    }
    if (l.head > 1024 && l.head * 2 > l.items.length) {
      l.items = l.items.slice(l.head);
      l.head = 0;
    }
    (l.urgent > 0 ? this.urgentRing : this.normalRing).push(l);
    return p;
  }

  /**
   * The queue holds `limit` items or more and `p` (classified) asks to get in. Returns the item
   * removed to make room for it, or undefined when `p` is refused:
   * - `p`'s lane holds less than its fair share (limit / lanes with items, its own counted):
   *   the lane holding the most items gives up its newest renewal, or failing that (a lane
   *   flooding lease ends) its newest legacy item;
   * - otherwise, an urgent `p` takes the place of the newest renewal of the largest lane (which
   *   may be its own: a lease end supersedes the renewals before it);
   * - otherwise `p` is refused.
   */
  evictFor(p: Pending, limit: number): Pending | undefined {
    const own = this.byKey.get(p.lane ?? UNPARSED);
    const lanes = this.byKey.size + (own ? 0 : 1);
    const belowShare = (own ? sizeOf(own) : 0) * lanes < limit;
    if (!belowShare && !p.urgent) return undefined;
    const largest = this.bySize[this.maxSize];
    if (!largest || (belowShare && largest === own)) return undefined;
    let at = -1;
    let legacy = -1;
    for (let k = largest.items.length - 1; k >= largest.head && k >= largest.items.length - EVICT_SCAN; k--) {
      const q = largest.items[k]!;
      if (q.ingest.channel !== 'legacy') continue;
      if (!q.urgent) { at = k; break; }
      if (legacy < 0) legacy = k;
    }
    if (at < 0 && belowShare) at = legacy;
    if (at < 0) return undefined;
    const victim = largest.items.splice(at, 1)[0]!;
    if (victim.urgent) largest.urgent--;
    this.total--;
    this.resized(largest, sizeOf(largest) + 1);
    if (sizeOf(largest) === 0) {
      largest.ring?.unlink(largest);
      this.byKey.delete(largest.key);
    } else if (largest.urgent === 0 && largest.ring === this.urgentRing) {
      this.urgentRing.unlink(largest);
      this.normalRing.push(largest);
    }
    return victim;
  }

  /** Move `l` from the size list of `from` items to the one of its size now (one more or less). */
  private resized(l: Lane, from: number): void {
    const to = sizeOf(l);
    if (from > 0) {
      if (l.down) l.down.up = l.up;
      if (l.up) l.up.down = l.down;
      else this.bySize[from] = l.down;
    }
    l.up = l.down = undefined;
    if (to > 0) {
      const top = this.bySize[to];
      l.down = top;
      if (top) top.up = l;
      this.bySize[to] = l;
    }
    if (to > this.maxSize) this.maxSize = to;
    else if (from === this.maxSize && this.bySize[from] === undefined) this.maxSize = to;
  }
}
