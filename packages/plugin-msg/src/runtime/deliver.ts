/**
 * Delivery of one encoded PLUGIN_MSG to the manager: acked (REQ/REP with a bounded wait) or the
 * C plugins' fire-and-forget PUSH, with the spool as the fallback. The transport is passed in,
 * never imported here, so that the native nanomsg addon is loaded only when a plugin sends.
 */
import type { Logger } from 'pino';
import { EnvelopeMeta, decodeAck, encodeEnvelope } from '../envelope';
import { writeSpool } from '../spool';
import type { PluginConfig } from './config';
import { EXIT } from './exit';
/** What one REQ/REP round trip gave (both transports return it). */
export type RequestResult =
  | { ok: true; reply: Buffer }
  | { ok: false; reason: 'timeout' | 'error'; error?: Error };

/**
 * The transport calls delivery needs (`@dhcpmgr/plugin-msg/transport-raw` provides them all,
 * `/transport` the first two).
 */
export interface DeliveryTransport {
  pushOnce(addr: string, payload: Buffer, timeoutMs: number): Promise<boolean>;
  requestOnce(addr: string, payload: Buffer, timeoutMs: number): Promise<RequestResult>;
  /** Start connecting before the message is built; the next call to `addr` uses the socket. */
  preconnect?(addr: string, kind: 'req' | 'push'): void;
  /** Close what `preconnect` opened if no call used it. */
  release?(): void;
}

export type DeliveryOutcome =
  | { outcome: 'applied' | 'duplicate' | 'stale' | 'sent'; exitCode: typeof EXIT.ok }
  | { outcome: 'rejected'; reason: string; exitCode: typeof EXIT.rejected }
  | { outcome: 'spooled'; path: string; why: string; exitCode: typeof EXIT.ok }
  | { outcome: 'lost'; why: string; error: string; exitCode: typeof EXIT.lost };

/**
 * Deliver one encoded PLUGIN_MSG. Acked: one REQ/REP round trip bounded by `timeoutMs`; no
 * answer, an unreadable answer or `unavailable` -> spool. Legacy: PUSH, returning only once the
 * bytes left the process; nobody took them in time -> spool. Spool files are envelopes in both
 * modes, so the manager replays them through its acked path.
 */
export async function deliver(
  payload: Buffer, meta: EnvelopeMeta, cfg: PluginConfig, transport: DeliveryTransport, log: Logger,
): Promise<DeliveryOutcome> {
  const request = encodeEnvelope(payload, meta, cfg.key);
  let why: string;
  if (cfg.mode === 'legacy') {
    let sent = false;
    try {
      sent = await transport.pushOnce(cfg.addr, payload, cfg.timeoutMs);
    } catch (err) {
      log.debug({ addr: cfg.addr, err: (err as Error).message }, 'push failed');
    }
    if (sent) return { outcome: 'sent', exitCode: EXIT.ok };
    why = `no receiver took the message on ${cfg.addr} within ${cfg.timeoutMs} ms`;
  } else {
    const r = await transport.requestOnce(cfg.ackAddr, request, cfg.timeoutMs);
    if (r.ok) {
      let status: string;
      let reason = '';
      try {
        const ack = decodeAck(r.reply);
        status = ack.status;
        reason = ack.reason;
      } catch {
        status = 'garbled';
      }
      if (status === 'applied' || status === 'duplicate' || status === 'stale') {
        return { outcome: status, exitCode: EXIT.ok };
      }
      if (status === 'rejected') return { outcome: 'rejected', reason, exitCode: EXIT.rejected };
      why = status === 'unavailable' ? `manager unavailable${reason ? ` (${reason})` : ''}` : 'unreadable reply';
    } else {
      why = r.reason === 'timeout' ? `no reply from ${cfg.ackAddr} within ${cfg.timeoutMs} ms` : `cannot reach ${cfg.ackAddr}: ${r.error?.message ?? 'error'}`;
    }
  }
  try {
    return { outcome: 'spooled', path: writeSpool(cfg.spoolDir, request, meta), why, exitCode: EXIT.ok };
  } catch (err) {
    return { outcome: 'lost', why, error: (err as Error).message, exitCode: EXIT.lost };
  }
}

