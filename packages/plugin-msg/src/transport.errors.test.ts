/**
 * Transport error paths against real nanomsg sockets (ipc:// in a temp dir; TCP port 52007).
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { bindPub, bindPull, bindRep, pushOnce, Receiver, subscribe } from './transport';

let dir: string;
const opened: Array<{ close(): void }> = [];
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'plugin-msg-transport-err-')); });
afterEach(() => { while (opened.length) opened.pop()!.close(); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let seq = 0;
const ipc = (): string => `ipc://${join(dir, `ep${++seq}.ipc`)}`;
const keep = <T extends { close(): void }>(r: T): T => { opened.push(r); return r; };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('errors and closing', () => {
  it('refuses to bind an address in use with an error naming the address (tcp)', () => {
    const addr = 'tcp://127.0.0.1:52007';
    keep(bindPull(addr, () => undefined));
    expect(() => keep(bindPull(addr, () => undefined))).toThrow(/cannot bind tcp:\/\/127\.0\.0\.1:52007: .*in use/i);
  });

  it('rejects a malformed address with a clear error', () => {
    expect(() => bindPull('nonsense://x', () => undefined)).toThrow(/cannot bind nonsense:\/\/x/);
    return expect(pushOnce('tcp://nohost', Buffer.from('x'), 100)).rejects.toThrow(/cannot connect tcp:\/\/nohost/);
  });

  it('closes each kind of socket twice without crashing, and publish after close is a no-op', async () => {
    const r: Receiver[] = [bindPull(ipc(), () => undefined), bindRep(ipc(), (b) => b, () => Buffer.alloc(0))];
    const pub = bindPub(ipc());
    r.push(subscribe(ipc(), [], () => undefined));
    for (const x of [...r, pub]) { x.close(); x.close(); }
    pub.publish('t', 'after close');
    await sleep(20);
    // The process is still alive and the sockets' addresses are free again.
    const again = ipc();
    keep(bindPull(again, () => undefined));
  });
});
