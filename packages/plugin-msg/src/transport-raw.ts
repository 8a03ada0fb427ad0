/**
 * The plugins' transport: the two calls a plugin makes (`requestOnce`, `pushOnce`), driving the
 * nanomsg addon's bindings (opened by nanomsg-internals.ts) directly instead of through the
 * npm package's JS wrapper (transport.ts). The wrapper is a stream.Duplex, so it
 * loads node's `stream` module, and it queues sends until a libuv poll says writable; a plugin
 * process sends one message and exits, and udhcpc waits for it on every lease event, so these
 * calls are plain blocking libnanomsg calls bounded by NN_SNDTIMEO / NN_RCVTIMEO. That blocks
 * the event loop for up to `timeoutMs`: fine for a process that has nothing else to do, wrong
 * for anything long-lived (use transport.ts there).
 *
 * Every socket is closed exactly once, in `finally`, after the last call on it.
 */
import type { DeliveryTransport, RequestResult } from './runtime/deliver';
import { NnAddon, nanomsgAddon as nn } from './nanomsg-internals';

export type { RequestResult };

class NnError extends Error {
  constructor(readonly errno: number, message: string) {
    super(message);
  }
}

/** A socket connected to `addr`; throws NnError when nanomsg refuses the address. */
function connect(n: NnAddon, protocol: number, addr: string): number {
  const s = n.Socket(n.AF_SP, protocol);
  if (s < 0) throw new NnError(n.Errno(), `cannot create a nanomsg socket: ${n.Err()}`);
  if (n.Connect(s, addr) < 0) {
    const e = new NnError(n.Errno(), `cannot connect ${addr}: ${n.Err()}`);
    n.Close(s);
    throw e;
  }
  return s;
}

/** A socket `preconnect` opened that no call has used yet. */
let pending: { s: number; protocol: number; addr: string } | undefined;

/**
 * Start connecting to `addr` now: libnanomsg sets the connection up (connect, protocol
 * handshake) in its worker thread while the plugin builds its message, and the next call to the
 * same address and kind uses this socket. Errors are left for that call to report.
 */
export function preconnect(addr: string, kind: 'req' | 'push'): void {
  release();
  const n = nn();
  const protocol = kind === 'req' ? n.NN_REQ : n.NN_PUSH;
  try {
    pending = { s: connect(n, protocol, addr), protocol, addr };
  } catch {
    // requestOnce / pushOnce connect again and report the error
  }
}

/** Close the socket `preconnect` opened when no call used it (an ignored event, bad input). */
export function release(): void {
  if (pending) nn().Close(pending.s);
  pending = undefined;
}

/** The pre-connected socket when it fits, else a new connected one. */
function take(n: NnAddon, protocol: number, addr: string): number {
  if (pending && pending.protocol === protocol && pending.addr === addr) {
    const { s } = pending;
    pending = undefined;
    return s;
  }
  release();
  return connect(n, protocol, addr);
}

/**
 * Run `call` (an nn_send or nn_recv) with the time left before `deadline` as its timeout
 * `option`, again when a signal interrupted it. Returns its result, or the errno it failed with.
 */
function bounded<T>(n: NnAddon, s: number, option: number, deadline: number, call: () => T | number): T | { errno: number } {
  for (;;) {
    const left = Math.ceil(deadline - now());
    if (left <= 0) return { errno: n.ETIMEDOUT };
    n.Setopt(s, n.NN_SOL_SOCKET, option, left);
    const r = call();
    if (typeof r !== 'number' || r >= 0) return r as T;
    const errno = n.Errno();
    if (errno !== n.EINTR) return { errno };
  }
}

/** Milliseconds on the monotonic clock (the global `performance` would load perf_hooks). */
const now = (): number => Number(process.hrtime.bigint()) / 1e6;

const failed = (r: unknown): r is { errno: number } => typeof r === 'object' && r !== null && 'errno' in r;

/**
 * One REQ/REP round trip within `timeoutMs` (connect, send and the wait for the reply together).
 * libnanomsg's REQ keeps the request until a peer is connected, so a manager that is not up yet
 * is a timeout, as with the wrapper.
 */
export function requestOnce(addr: string, payload: Buffer, timeoutMs: number): Promise<RequestResult> {
  const deadline = now() + timeoutMs;
  const n = nn();
  let s: number;
  try {
    s = take(n, n.NN_REQ, addr);
  } catch (err) {
    return Promise.resolve({ ok: false, reason: 'error', error: err as Error });
  }
  try {
    const sent = bounded(n, s, n.NN_SNDTIMEO, deadline, () => n.Send(s, payload, 0));
    if (failed(sent)) return Promise.resolve(outcome(n, sent.errno, 'send'));
    const reply = bounded(n, s, n.NN_RCVTIMEO, deadline, () => n.Recv(s, 0));
    if (failed(reply)) return Promise.resolve(outcome(n, reply.errno, 'receive'));
    return Promise.resolve({ ok: true, reply: reply as Buffer });
  } finally {
    n.Close(s);
  }
}

function outcome(n: NnAddon, errno: number, what: string): RequestResult {
  if (errno === n.ETIMEDOUT || errno === n.EAGAIN) return { ok: false, reason: 'timeout' };
  return { ok: false, reason: 'error', error: new NnError(errno, `cannot ${what}: ${n.Err()}`) };
}

/**
 * How long a pushed frame is left to libnanomsg's worker thread before nn_close: nn_send returns
 * once the frame is queued on the connection, the worker writes it to the kernel afterwards, and
 * libnanomsg has no working linger (transport.ts drainThenClose uses the same grace). Over
 * ipc:// no grace makes PUSH reliable (docs/wire-format.md, Transport notes).
 */
const PUSH_GRACE_MS = 2;

/**
 * Legacy fire-and-forget send (the C plugins' PUSH): connect, send one message, and return true
 * once libnanomsg took it, or false when no receiver took it within `timeoutMs`.
 */
export function pushOnce(addr: string, payload: Buffer, timeoutMs: number): Promise<boolean> {
  const deadline = now() + timeoutMs;
  const n = nn();
  let s: number;
  try {
    s = take(n, n.NN_PUSH, addr);
  } catch (err) {
    return Promise.reject(err);
  }
  try {
    const sent = bounded(n, s, n.NN_SNDTIMEO, deadline, () => n.Send(s, payload, 0));
    if (failed(sent)) return Promise.resolve(false);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, PUSH_GRACE_MS);
    return Promise.resolve(true);
  } finally {
    n.Close(s);
  }
}

/** All four, as `runPlugin`'s transport. */
export const rawTransport: DeliveryTransport = { requestOnce, pushOnce, preconnect, release };
