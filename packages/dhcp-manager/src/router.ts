/**
 * One switch on the version; anything else is refused (validation already narrowed it, this
 * is the second line). Per-interface ordering is the engine's: it applies a batch in order.
 */
import type { PluginMsg } from '@dhcpmgr/plugin-msg';
import { handleV4 } from './handlers/dhcpv4';
import { handleV6 } from './handlers/dhcpv6';
import type { HandlerOutput } from './handlers/types';
import type { EventTime } from './model/clock';
import type { LeaseRecord, V4Record, V6Record } from './model/types';

export type Routed = { ok: true; out: HandlerOutput } | { ok: false; detail: string };

export function route(msg: PluginMsg, prev: LeaseRecord | undefined, at: EventTime, truncated: ReadonlySet<string>): Routed {
  switch (msg.version) {
    case 4: return { ok: true, out: handleV4(msg, prev as V4Record | undefined, at, truncated) };
    case 6: return { ok: true, out: handleV6(msg, prev as V6Record | undefined, at, truncated) };
    default: return { ok: false, detail: `no handler for version ${String((msg as { version: unknown }).version)}` };
  }
}
