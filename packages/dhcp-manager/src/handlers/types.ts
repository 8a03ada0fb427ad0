import type { LeaseChange, MsgTypeName } from '../contract';
import type { LeaseRecord } from '../model/types';

/** What a handler decides for one message; the engine stages, commits, then publishes/applies. */
export interface HandlerOutput<R extends LeaseRecord = LeaseRecord> {
  record: R;
  msgType: MsgTypeName;
  /** The event's lease payload. */
  lease: Record<string, unknown>;
  cause: string;
  /** Asked of the applier after the commit, if anything on the system should change. */
  change?: LeaseChange;
}

/** Whitespace-separated tokens; a value cut by its C array loses its last (partial) token. */
export function tokens(value: string, truncated: boolean): string[] {
  const t = value.split(/\s+/).filter(Boolean);
  if (truncated) t.pop();
  return t;
}

export function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((x, k) => x === b[k]));
}

/*
 * A new record takes its predecessor's strings and lists where they did not change (records are
 * never changed in place, so they can share them). The copies just decoded from the message then
 * die with the batch, instead of surviving with the record: at 1,000 interfaces a record stays
 * current for several batches, and what it holds is copied by every scavenge it lives through
 * (docs/performance.md, "Session 5").
 */

/** `next`, or `prev` when equal. */
export function keptText(next: string, prev: string | undefined): string {
  return prev === next ? prev : next;
}

/** `next`, or `prev` when it holds the same strings. */
export function keptList(next: string[], prev: string[] | undefined): string[] {
  return prev !== undefined && sameList(prev, next) ? prev : next;
}
