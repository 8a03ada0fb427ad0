/**
 * Binding a listening endpoint whose port is taken. The C manager's port 50324 (and our
 * 50325-50327) lie inside Linux's default ephemeral range (32768-60999): an outgoing connection
 * of any program on the box may use one as its local port, and its TIME_WAIT then refuses our
 * bind for up to a minute although nothing listens there. A daemon that exits on that is
 * restarted into the same wall, so the bind is retried with back-off for a bounded time
 * (`--bind-retry-s`), logging why each time; any other bind error fails at once. The operator's
 * lasting fix (`net.ipv4.ip_local_reserved_ports`) is in docs/operations.md.
 */
import type { Logger } from 'pino';

export interface BindRetryOptions {
  /** Give up after this many seconds (0: no retry). */
  limitS: number;
  log: Logger;
  /** Stop retrying (the daemon is stopping). */
  cancelled?: () => boolean;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/** The port is taken (EADDRINUSE from Node, "Address already in use" from nanomsg). */
export function isAddressInUse(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === 'EADDRINUSE' || /address already in use|EADDRINUSE/i.test(e?.message ?? '');
}

export async function bindWithRetry<T>(endpoint: string, bind: () => T | Promise<T>, opts: BindRetryOptions): Promise<T> {
  const start = Date.now();
  let delay = opts.firstDelayMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    try {
      const bound = await bind();
      if (attempt > 1) opts.log.warn({ component: 'daemon', endpoint, attempts: attempt, waitedS: (Date.now() - start) / 1000 }, 'bound after the address was in use');
      return bound;
    } catch (err) {
      const left = opts.limitS * 1000 - (Date.now() - start);
      if (!isAddressInUse(err) || left <= 0 || opts.cancelled?.()) throw err;
      const wait = Math.min(delay, left);
      opts.log.warn({
        component: 'daemon', endpoint, attempt, retryInMs: wait, retryUntilS: opts.limitS, reason: (err as Error).message,
        hint: 'a listener or a TIME_WAIT connection holds the port; reserve the manager ports with net.ipv4.ip_local_reserved_ports (docs/operations.md)',
      }, 'address in use: retrying the bind');
      await new Promise((resolve) => setTimeout(resolve, wait));
      delay = Math.min(delay * 2, opts.maxDelayMs ?? 5000);
    }
  }
}
