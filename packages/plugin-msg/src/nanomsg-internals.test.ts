/**
 * Pins the nanomsg package that nanomsg-internals.ts was written against: a different installed
 * version fails here first, by name, before any transport test fails in a stranger way. Then
 * checks that each private member the adapter uses is there and does what it assumes, on real
 * sockets (inproc://, nothing leaves the process).
 */
import { readFileSync } from 'fs';
import * as nano from 'nanomsg';
import {
  NANOMSG_VERSION, isClosed, nanomsgAddon, onReadable, queuedSends, receiveNow, stopPolls, trySendNow,
} from './nanomsg-internals';

const installed = (JSON.parse(readFileSync(require.resolve('nanomsg/package.json'), 'utf8')) as { version: string }).version;
const declared = (JSON.parse(readFileSync(require.resolve('../package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies.nanomsg;

describe('the nanomsg internals adapter', () => {
  it('was written for the installed nanomsg version, which package.json pins exactly', () => {
    expect(installed).toBe(NANOMSG_VERSION);
    expect(declared).toBe(NANOMSG_VERSION);
  });

  it('opens the addon that the wrapper uses, with the calls and constants transport-raw needs', () => {
    const n = nanomsgAddon();
    expect(n).toBe((nano as unknown as { _bindings: unknown })._bindings);
    for (const f of ['Socket', 'Connect', 'Setopt', 'Send', 'Recv', 'Close', 'Errno', 'Err'] as const) expect(typeof n[f]).toBe('function');
    for (const c of ['AF_SP', 'NN_REQ', 'NN_PUSH', 'NN_SOL_SOCKET', 'NN_SNDTIMEO', 'NN_RCVTIMEO', 'NN_DONTWAIT', 'ETIMEDOUT', 'EAGAIN', 'EINTR'] as const) {
      expect(Number.isInteger(n[c])).toBe(true);
    }
  });

  it('sends, receives, counts the queue and closes through the wrapper\'s private members', async () => {
    const addr = `inproc://nanomsg-internals-${process.pid}`;
    const pull = nano.socket('pull');
    const push = nano.socket('push');
    try {
      expect(pull.bind(addr)).toBeGreaterThanOrEqual(0);
      expect(push.connect(addr)).toBeGreaterThanOrEqual(0);
      expect(queuedSends(push)).toBe(0);
      expect(receiveNow(pull)).toBeUndefined();
      const got: Buffer[] = [];
      onReadable(pull, () => { for (let m = receiveNow(pull); m !== undefined; m = receiveNow(pull)) got.push(m); });
      expect(trySendNow(push, Buffer.from('one'))).toBe(true);
      for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(got.map((b) => b.toString())).toEqual(['one']);
    } finally {
      for (const s of [push, pull]) {
        expect(isClosed(s)).toBe(false);
        stopPolls(s);
        expect(s.close()).toBe(0);
        expect(isClosed(s)).toBe(true);
        // Why isClosed does not read the wrapper's own flag: node's stream getter hides it.
        expect((s as unknown as { closed: boolean }).closed).toBe(false);
      }
    }
  });
});
