/**
 * The two receive loops. Both only wrap bytes into an Ingest and offer it to the queue: no
 * decoding, no store access, so the receive path never waits on slow work.
 * - legacy PULL: fire-and-forget frames from the C plugins; when the queue is full the frame is
 *   dropped (or takes a busier interface's place, queue.ts) and the queue reports it as OVERLOAD.
 * - acked REP: the envelope is parsed here (bad envelopes are answered at once); the item joins
 *   the current batch and the reply goes out only after the commit. At most `workers` requests
 *   are in the manager at once (transport.ts bindRep), so acked items may bypass the queue
 *   limit: they are bounded by the worker count, and each one has a sender waiting for it.
 */
import { encodeAck } from '@dhcpmgr/plugin-msg';
import type { Ack } from '@dhcpmgr/plugin-msg';
import type { Receiver } from '@dhcpmgr/plugin-msg/transport';
import type { IngestResult } from '../contract';
import type { IngestQueue } from './queue';
import { SenderAuth } from '../auth';

export interface ReceiveHooks {
  badEnvelope(code: string, detail: string): void;
  socketError(where: string, err: Error): void;
}

export interface ReceiverOptions {
  rcvmaxsize: number;
  /** Verifies the HMAC and the replay window (auth.ts); none: envelopes accepted unauthenticated. */
  auth?: SenderAuth;
  /** Acked requests served at once (transport.ts bindRep); default 1. */
  workers?: number;
}

export function ackFor(r: IngestResult): Ack {
  switch (r.status) {
    case 'applied': return { status: 'applied', reason: '' };
    case 'duplicate': return { status: 'duplicate', reason: '' };
    case 'stale': return { status: 'stale', reason: '' };
    case 'rejected': return { status: 'rejected', reason: r.reason };
    case 'unavailable': return { status: 'unavailable', reason: r.detail };
  }
}

export function bindLegacy(addr: string, queue: IngestQueue, hooks: ReceiveHooks, opts: ReceiverOptions): Receiver {
  // Lazy: only the daemon loads the native addon.
  const { bindPull } = require('@dhcpmgr/plugin-msg/transport') as typeof import('@dhcpmgr/plugin-msg/transport');
  return bindPull(addr, (frame) => {
    queue.offer({ ingest: { frame, channel: 'legacy', receivedAt: Date.now() } });
  }, { rcvmaxsize: opts.rcvmaxsize, onError: (err) => hooks.socketError('listen', err) });
}

export function bindAcked(addr: string, queue: IngestQueue, hooks: ReceiveHooks, opts: ReceiverOptions): Receiver {
  const { bindRep } = require('@dhcpmgr/plugin-msg/transport') as typeof import('@dhcpmgr/plugin-msg/transport');
  const auth = opts.auth ?? new SenderAuth({ requireAuth: false });
  return bindRep(addr, (req) => {
    const checked = auth.check(req);
    if (!checked.ok) {
      hooks.badEnvelope(checked.reason, checked.detail);
      return encodeAck({ status: 'rejected', reason: checked.reason });
    }
    const env = checked.envelope;
    const { bootId, monotonicNs, wallUs, senderPid } = env;
    return new Promise<Buffer>((resolve) => {
      const ok = queue.offer({
        ingest: { frame: env.payload, channel: 'acked', receivedAt: Date.now(), order: { bootId, monotonicNs, wallUs, senderPid }, authenticated: env.authenticated },
        done: (r) => resolve(encodeAck(ackFor(r))),
      }, true);
      if (!ok) resolve(encodeAck({ status: 'unavailable', reason: 'OVERLOAD' }));
    });
  }, (err) => encodeAck({ status: 'unavailable', reason: `internal error: ${(err as Error)?.message ?? String(err)}` }),
  { rcvmaxsize: opts.rcvmaxsize, workers: opts.workers, onError: (err) => hooks.socketError('ack-listen', err) });
}
