/**
 * Transport error paths against real nanomsg sockets (ipc:// in a temp dir; TCP port 24600).
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { bindPub, bindPull, bindRep, pushOnce, Receiver, requestOnce, subscribe } from './transport';

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
    const addr = 'tcp://127.0.0.1:24600';
    keep(bindPull(addr, () => undefined));
    expect(() => keep(bindPull(addr, () => undefined))).toThrow(/cannot bind tcp:\/\/127\.0\.0\.1:24600: .*in use/i);
  });

  it('rejects a malformed address with a clear error', () => {
    expect(() => bindPull('nonsense://x', () => undefined)).toThrow(/cannot bind nonsense:\/\/x/);
    return expect(pushOnce('tcp://nohost', Buffer.from('x'), 100)).rejects.toThrow(/cannot connect tcp:\/\/nohost/);
  });

  it('closes each kind of socket twice without crashing, frees its address, and publish after close is a no-op', async () => {
    const [pullAddr, repAddr, pubAddr] = [ipc(), ipc(), ipc()];
    const heard: Buffer[] = [];
    const r: Receiver[] = [bindPull(pullAddr, () => undefined), bindRep(repAddr, (b) => b, () => Buffer.alloc(0))];
    const pub = bindPub(pubAddr);
    r.push(subscribe(pubAddr, [], (m) => heard.push(m)));
    for (const x of [...r, pub]) { x.close(); x.close(); }
    expect(() => pub.publish('t', 'after close')).not.toThrow();
    await sleep(20);
    expect(heard).toEqual([]);
    // Each closed endpoint's address is free again: a new REP binds it and answers a request
    // (REQ/REP, since a PUSH over ipc:// can be lost, docs/wire-format.md).
    for (const addr of [pullAddr, repAddr, pubAddr]) {
      keep(bindRep(addr, (b) => Buffer.concat([Buffer.from('echo '), b]), () => Buffer.alloc(0)));
      const r = await requestOnce(addr, Buffer.from(addr), 5000);
      expect(r.ok && r.reply.toString()).toBe(`echo ${addr}`);
    }
  });
});
