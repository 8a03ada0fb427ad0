/**
 * nanomsg transport helpers, written around the npm package's pitfalls (see docs/wire-format.md):
 * - `send()` only queues in JS; the bytes reach libnanomsg when the socket polls writable, and
 *   `close()` drops whatever is still queued. Short-lived senders must wait for the queue to drain.
 * - `close()` twice, or `send()` after `close()`, can abort the process: every socket here is
 *   closed exactly once through `closeOnce`.
 * - Errors arrive as 'error' events and crash the process with no listener: every socket gets one.
 * - Frames above `rcvmaxsize` are dropped by libnanomsg without a trace: receivers set it
 *   explicitly, larger than any frame they accept, so oversized frames reach the validator and
 *   are counted.
 */
import * as nano from 'nanomsg';
import { isClosed, onReadable, pauseReceive, queuedSends, receiveNow, stopPolls, trySendNow } from './nanomsg-internals';
import type { RequestResult } from './runtime/deliver';

type Sock = nano.Socket;

export type ErrorSink = (err: Error) => void;

/** Default receive limit: far above any valid frame so that bad sizes are seen and counted. */
export const DEFAULT_RCVMAXSIZE = 16 * 1024 * 1024;

function open(type: nano.SocketType, onError: ErrorSink | undefined, opts: nano.SocketOptions = {}): Sock {
  const sock = nano.socket(type, opts);
  sock.on('error', (err: Error) => (onError ? onError(err) : undefined));
  return sock;
}

function closeOnce(sock: Sock): void {
  if (isClosed(sock)) return;
  try {
    // The wrapper's close() calls nn_close before it stops its libuv poll handles, so for a
    // moment libuv watches descriptors that are already closed; a socket opened right then can
    // reuse the numbers (seen as uv_poll_start assertions and segfaults in tests that open and
    // close many sockets). Stop the polls first, then close.
    stopPolls(sock);
    sock.close();
  } catch {
    // The wrapper can throw on a socket whose endpoint failed; it is closed either way.
  }
}

/** A bind/connect failure is reported by the wrapper as an 'error' event and a null return. */
function attach(sock: Sock, how: 'bind' | 'connect', addr: string): void {
  let failure: Error | undefined;
  const grab = (err: Error): void => { failure = err; };
  sock.once('error', grab);
  const eid = how === 'bind' ? sock.bind(addr) : sock.connect(addr);
  sock.removeListener('error', grab);
  if (eid === null || eid === undefined || (typeof eid === 'number' && eid < 0) || failure) {
    closeOnce(sock);
    throw new Error(`cannot ${how} ${addr}: ${failure?.message ?? 'nanomsg refused the address'}`);
  }
}

/**
 * The wrapper's send() queues every message and starts a writable poll for it: a libuv poll
 * handle created and stopped per message plus one more loop turn (a large share of the
 * manager's time under acked load, docs/performance.md). PUB sends never block and a REP reply
 * goes to the peer that is waiting for it, so those try one non-blocking nn_send first, and only
 * when libnanomsg cannot take the message now (or something is already queued, to keep the
 * order) do they take the wrapper's queued path, which also reports its errors.
 */
function sendNow(sock: Sock, buf: Buffer, rep = false): void {
  if (isClosed(sock)) return;
  if (queuedSends(sock) === 0 && trySendNow(sock, buf, rep)) return;
  sock.send(buf);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Wait until the wrapper's JS queue has handed every message to libnanomsg, then close.
 * Resolves true when drained, false when `timeoutMs` passed first (the message may be lost).
 */
async function drainThenClose(sock: Sock, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let wait = 0;
  while (queuedSends(sock) > 0 && Date.now() < deadline) {
    await sleep(wait);
    wait = Math.min(wait + 1, 5);
  }
  const drained = queuedSends(sock) === 0;
  // libnanomsg hands the frame to its worker thread asynchronously after nn_send returns and has
  // no working linger; a short grace lets the worker write it to the kernel before nn_close.
  // It covers frames of PLUGIN_MSG size over TCP, not ipc:// (docs/wire-format.md, Transport notes).
  if (drained) await sleep(2);
  closeOnce(sock);
  return drained;
}

/**
 * Legacy fire-and-forget send (the C plugins' PUSH): connect, send one message, and return only
 * after libnanomsg took it, or `false` when nobody took it within `timeoutMs`.
 */
export async function pushOnce(addr: string, payload: Buffer, timeoutMs: number): Promise<boolean> {
  let error: Error | undefined;
  const sock = open('push', (err) => { error = err; });
  attach(sock, 'connect', addr);
  sock.send(payload);
  const drained = await drainThenClose(sock, timeoutMs);
  return drained && !error;
}

export type { RequestResult };

/** One REQ/REP round trip with a bounded wait. The socket is always closed once. */
export function requestOnce(addr: string, payload: Buffer, timeoutMs: number): Promise<RequestResult> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: RequestResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // Close after this tick: closing inside the wrapper's own data callback is not safe.
      setImmediate(() => closeOnce(sock));
      resolve(r);
    };
    const sock = open('req', (err) => finish({ ok: false, reason: 'error', error: err }));
    const timer = setTimeout(() => finish({ ok: false, reason: 'timeout' }), timeoutMs);
    sock.on('data', (reply: Buffer) => finish({ ok: true, reply }));
    try {
      attach(sock, 'connect', addr);
    } catch (err) {
      finish({ ok: false, reason: 'error', error: err as Error });
      return;
    }
    sock.send(payload);
  });
}

export interface Receiver {
  close(): void;
}

export interface PullOptions {
  rcvmaxsize?: number;
  onError?: ErrorSink;
}

/** Bind a PULL socket; `onFrame` runs for each frame, in arrival order. */
export function bindPull(addr: string, onFrame: (frame: Buffer) => void, opts: PullOptions = {}): Receiver {
  const sock = open('pull', opts.onError);
  sock.rcvmaxsize(opts.rcvmaxsize ?? DEFAULT_RCVMAXSIZE);
  attach(sock, 'bind', addr);
  readBursts(sock, onFrame);
  return { close: () => closeOnce(sock) };
}

/** Most frames a PULL socket reads per poll wake-up (see readBursts). */
const PULL_BURST = 256;

/**
 * The wrapper reads ONE frame per poll wake-up, i.e. per event-loop turn, and hands it through
 * its Readable stream ('data' event), so under load every frame paid a loop turn and the
 * manager's queue saw frames one at a time (its group commit got batches of 1). This replaces the
 * wrapper's read for this socket: on each wake-up it reads on, without blocking, while frames
 * are waiting (up to PULL_BURST), and gives each frame straight to `onFrame` (no stream
 * machinery). nn_recv returns -1 when nothing is waiting (EAGAIN) or the socket is closed.
 */
function readBursts(sock: Sock, onFrame: (frame: Buffer) => void): void {
  onReadable(sock, () => {
    for (let i = 0; i < PULL_BURST; i++) {
      if (isClosed(sock)) return;
      const msg = receiveNow(sock);
      if (msg === undefined) return;
      onFrame(msg);
    }
  });
}

export interface RepOptions extends PullOptions {
  /**
   * Requests served at once. 1: one cooked REP socket on `addr` (one request at a time). More:
   * see bindRep.
   */
  workers?: number;
}

let inprocSeq = 0;

/**
 * Bind a REP endpoint. Each request gets exactly one reply: `handle` must always produce one; a
 * thrown error or rejection is answered with `onFailure`'s bytes so a socket never stalls.
 *
 * The npm wrapper's REP socket serves one request at a time (it stops polling for the next
 * request until the reply is sent, and libnanomsg's cooked REP drops a request it has not
 * answered when the next one is read), so with one socket every acknowledged lease waited for
 * the previous one's commit. With `workers` > 1 the endpoint is a raw REP socket joined by
 * nn_device (in a libuv pool thread) to a raw REQ socket on a private inproc:// endpoint, and
 * `workers` cooked REP sockets connect to that: the raw REQ hands each incoming request to the
 * next worker socket, the reply travels back with the request's routing header, and up to
 * `workers` requests are in the manager at once, so one store commit can acknowledge all of them.
 * The wire protocol on `addr` is unchanged (a REQ peer cannot tell the difference).
 */
export function bindRep(
  addr: string,
  handle: (req: Buffer) => Promise<Buffer> | Buffer,
  onFailure: (err: unknown) => Buffer,
  opts: RepOptions = {},
): Receiver {
  const workers = Math.max(1, Math.floor(opts.workers ?? 1));
  const serve = (sock: Sock): void => {
    sock.rcvmaxsize(opts.rcvmaxsize ?? DEFAULT_RCVMAXSIZE);
    const onRequest = (req: Buffer): void => {
      Promise.resolve()
        .then(() => handle(req))
        .catch((err: unknown) => onFailure(err))
        .then((reply) => { if (!isClosed(sock)) sendNow(sock, reply, true); });
    };
    // The wrapper's read for REP: nn_recv, stop polling until the reply is sent (sendNow starts
    // the poll again), push through its Readable stream. Same here without the stream, and the
    // poll is only stopped when a request was actually read.
    onReadable(sock, () => {
      if (isClosed(sock)) return;
      const req = receiveNow(sock);
      if (req === undefined) return;
      pauseReceive(sock);
      onRequest(req);
    });
  };
  if (workers === 1) {
    const sock = open('rep', opts.onError);
    attach(sock, 'bind', addr);
    serve(sock);
    return { close: () => closeOnce(sock) };
  }
  const front = open('rep', opts.onError, { raw: true });
  front.rcvmaxsize(opts.rcvmaxsize ?? DEFAULT_RCVMAXSIZE);
  attach(front, 'bind', addr);
  const back = open('req', opts.onError, { raw: true });
  const inner = `inproc://dhcpmgr-rep-${process.pid}-${++inprocSeq}`;
  const reps: Sock[] = [];
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    // The device's two forwarder threads sit in blocking receives on front and back; closing
    // a socket makes that receive fail, the device returns, and its callback (an 'error' event,
    // ignored once closed) runs on the loop.
    for (const r of reps) closeOnce(r);
    closeOnce(back);
    closeOnce(front);
  };
  try {
    attach(back, 'bind', inner);
    for (let i = 0; i < workers; i++) {
      const r = open('rep', opts.onError);
      reps.push(r);
      attach(r, 'connect', inner);
      serve(r);
    }
  } catch (err) {
    close();
    throw err;
  }
  const device = nano.device(front, back);
  device.on('error', (err: Error) => { if (!closed) opts.onError?.(new Error(`REP device stopped: ${err.message}`)); });
  return { close };
}

export interface Publisher {
  publish(topic: string, body: string): void;
  close(): void;
}

/** Bind a PUB socket. Messages are `topic` + ' ' + body; subscribers filter on the prefix. */
export function bindPub(addr: string, onError?: ErrorSink): Publisher {
  const sock = open('pub', onError);
  attach(sock, 'bind', addr);
  return {
    publish: (topic, body) => { if (!isClosed(sock)) sendNow(sock, Buffer.from(`${topic} ${body}`)); },
    close: () => closeOnce(sock),
  };
}

/** Connect a SUB socket to `addr`, receiving messages whose topic starts with one of `topics`. */
export function subscribe(addr: string, topics: string[], onMessage: (msg: Buffer) => void, onError?: ErrorSink): Receiver {
  const sock = open('sub', onError, { chan: topics.length ? topics : [''] });
  attach(sock, 'connect', addr);
  sock.on('data', onMessage);
  return { close: () => closeOnce(sock) };
}
