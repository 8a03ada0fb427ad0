/**
 * ADAPTER: the only module that touches the `nanomsg` npm package's private internals.
 *
 * nanomsg 4.2.1 (the version pinned in package.json; nanomsg-internals.test.ts fails when
 * another is installed) offers no public way to do three things this package needs:
 * - send or receive without the wrapper's per-message libuv poll and stream (transport.ts:
 *   REP replies, PUB sends and PULL bursts go straight to the addon's nn_send / nn_recv);
 * - stop its poll handles before nn_close (its close() stops them after, see closeOnce);
 * - drive libnanomsg from a short-lived plugin without loading the wrapper at all
 *   (transport-raw.ts opens the native addon, node_nanomsg.node, itself).
 * Everything here reads lib/index.js and src/node_nanomsg.cc of that version. Before moving to
 * another nanomsg version, re-read those two files against this one and update the pin.
 */
import { existsSync } from 'fs';
import type { Socket } from 'nanomsg';

export const NANOMSG_VERSION = '4.2.1';

// ---------------------------------------------------------------------------------------------
// The native addon (src/node_nanomsg.cc): what transport-raw.ts calls.

/** nn_* calls of the addon, and the constants it exports by name. */
export interface NnAddon {
  Socket(domain: number, protocol: number): number;
  Connect(s: number, addr: string): number;
  Setopt(s: number, level: number, option: number, value: number): number;
  Send(s: number, msg: Buffer, flags: number): number;
  Recv(s: number, flags: number): Buffer | number;
  Close(s: number): number;
  Errno(): number;
  Err(): string;
  AF_SP: number;
  NN_REQ: number;
  NN_PUSH: number;
  NN_SOL_SOCKET: number;
  NN_SNDTIMEO: number;
  NN_RCVTIMEO: number;
  NN_DONTWAIT: number;
  ETIMEDOUT: number;
  EAGAIN: number;
  EINTR: number;
}

let addon: NnAddon | undefined;

/**
 * Set only inside a plugin bundle (scripts/bundle-plugin.js defines it): the addon's path
 * relative to the bundle's directory where the bundle was built. Opening that file directly
 * skips node's node_modules search and realpath for the addon; when it is not there (another
 * install layout), the addon is found as below.
 */
declare const NANOMSG_ADDON_FROM_BUNDLE: string | undefined;

/**
 * The addon, opened from where node-gyp builds it; else found by the `bindings` package as the
 * wrapper finds it (a Debug build, another layout).
 */
export function nanomsgAddon(): NnAddon {
  if (addon) return addon;
  if (typeof NANOMSG_ADDON_FROM_BUNDLE === 'string') {
    const file = `${__dirname}/${NANOMSG_ADDON_FROM_BUNDLE}`;
    if (existsSync(file)) {
      const m = { exports: {} };
      process.dlopen(m, file); // what require() does for a .node file once it has the path
      return (addon = m.exports as NnAddon);
    }
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require('nanomsg/build/Release/node_nanomsg.node') as NnAddon;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const root = require('path').dirname(require.resolve('nanomsg/package.json')) as string;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = (require('bindings') as (o: object) => NnAddon)({ bindings: 'node_nanomsg.node', module_root: root });
  }
  return addon;
}

// ---------------------------------------------------------------------------------------------
// The JS wrapper's sockets (lib/index.js): what transport.ts reaches into.

/** Private members of a wrapper socket. */
interface SocketInternals {
  binding: number;
  queue: unknown[];
  /** nn_close's result, set by the wrapper's close(); undefined while the socket is open. */
  closed_status?: number;
  _receive(): void;
  _startPollReceive(): void;
  _stopPollReceive(): void;
  _stopPollSend(): void;
}

const inner = (sock: Socket): SocketInternals => sock as unknown as SocketInternals;

/** The addon as the wrapper loaded it (its `_bindings`): the same module as nanomsgAddon(). */
function bindings(): NnAddon {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('nanomsg') as { _bindings: NnAddon })._bindings;
}

/**
 * Whether close() ran. Not the wrapper's own `closed` flag: on a node whose streams have a
 * read-only `closed` getter (node 18 and later) its `this.closed = true` is silently lost, so the
 * flag stays false and the wrapper's close() would call nn_close again on a second call.
 */
export function isClosed(sock: Socket): boolean {
  return inner(sock).closed_status !== undefined;
}

/** Messages send() queued that have not reached nn_send yet (close() drops them). */
export function queuedSends(sock: Socket): number {
  return inner(sock).queue.length;
}

/** Stop the libuv polls watching the socket's descriptors (before closing it). */
export function stopPolls(sock: Socket): void {
  inner(sock)._stopPollSend();
  inner(sock)._stopPollReceive();
}

/**
 * One non-blocking nn_send of `buf`, bypassing the wrapper's queue; false when libnanomsg
 * cannot take it now. With `rearmReceive`, first what the wrapper's send does for REP before
 * each reply: poll for the next request.
 */
export function trySendNow(sock: Socket, buf: Buffer, rearmReceive = false): boolean {
  if (rearmReceive) inner(sock)._startPollReceive();
  const nn = bindings();
  return nn.Send(inner(sock).binding, buf, nn.NN_DONTWAIT) >= 0;
}

/** One non-blocking nn_recv: a frame, or undefined when none is waiting (or the socket is closed). */
export function receiveNow(sock: Socket): Buffer | undefined {
  const nn = bindings();
  const msg = nn.Recv(inner(sock).binding, nn.NN_DONTWAIT);
  return typeof msg === 'number' ? undefined : msg;
}

/**
 * Replace what the wrapper does when its receive poll fires (read one frame, push it through
 * its Readable stream) with `onReadable`.
 */
export function onReadable(sock: Socket, onReadable: () => void): void {
  inner(sock)._receive = onReadable;
}

/** Stop polling for requests until the reply is sent (trySendNow(..., true) starts it again). */
export function pauseReceive(sock: Socket): void {
  inner(sock)._stopPollReceive();
}
