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
  return a.length === b.length && a.every((x, k) => x === b[k]);
}
