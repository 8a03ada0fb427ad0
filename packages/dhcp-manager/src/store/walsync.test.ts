/**
 * WalSync against real files and real fsync calls (durability itself cannot be observed without
 * cutting the power; what is tested is who is released by which fsync, errors, and reopening).
 */
import { mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { WalSync } from './walsync';
import { STORE_FILE, WAL_FILE, storePath, walPath } from './files';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-walsync-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const wait = (w: WalSync): Promise<Error | undefined> => new Promise((resolve) => w.whenDurable(resolve));

describe('WalSync', () => {
  it('names the store\'s WAL file', () => {
    expect(STORE_FILE).toBe('dhcpmgr.sqlite');
    expect(WAL_FILE).toBe('dhcpmgr.sqlite-wal');
    expect(storePath('/var/lib/dhcpmgr')).toBe('/var/lib/dhcpmgr/dhcpmgr.sqlite');
    expect(walPath('/var/lib/dhcpmgr')).toBe('/var/lib/dhcpmgr/dhcpmgr.sqlite-wal');
  });

  it('releases a waiter after an fsync, and waiters that come while one runs share the next one', async () => {
    const wal = join(dir, 'x-wal');
    writeFileSync(wal, 'frames');
    const seconds: number[] = [];
    const w = new WalSync(wal, dir, (s) => seconds.push(s));
    const order: string[] = [];
    const a = wait(w).then((e) => { order.push('a'); return e; });
    // `a`'s fsync is now running on the pool: b and c must not be released by it.
    const b = wait(w).then((e) => { order.push('b'); return e; });
    const c = wait(w).then((e) => { order.push('c'); return e; });
    expect(w.waiting).toBe(3);
    expect(await Promise.all([a, b, c])).toEqual([undefined, undefined, undefined]);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(w.stats).toEqual({ fsyncs: 2, released: 3, failures: 0 });
    expect(seconds).toHaveLength(2);
    expect(w.waiting).toBe(0);
    w.close();
  });

  it('flushSync releases every waiter at once, including those of a running fsync, once each', async () => {
    const wal = join(dir, 'x-wal');
    writeFileSync(wal, 'frames');
    const w = new WalSync(wal, dir);
    const calls: string[] = [];
    w.whenDurable(() => calls.push('running'));
    w.whenDurable(() => calls.push('next'));
    expect(w.flushSync()).toBeUndefined();
    expect(calls).toEqual(['running', 'next']);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toEqual(['running', 'next']);
    expect(w.waiting).toBe(0);
    w.close();
  });

  it('hands the error to the waiters when the WAL cannot be opened, and recovers when it appears', async () => {
    const wal = join(dir, 'missing-wal');
    const w = new WalSync(wal, dir);
    const err = await wait(w);
    // (fs errors come from another realm than jest's Error: compare by shape)
    expect(err).toMatchObject({ code: 'ENOENT' });
    expect(w.flushSync()).toMatchObject({ code: 'ENOENT' });
    expect(w.stats.failures).toBe(2);
    writeFileSync(wal, 'frames');
    expect(await wait(w)).toBeUndefined();
    w.close();
  });

  it('follows the path when the WAL file is replaced by another one', async () => {
    const wal = join(dir, 'x-wal');
    writeFileSync(wal, 'one');
    const w = new WalSync(wal, dir);
    expect(await wait(w)).toBeUndefined();
    const first = (w as unknown as { ino: number }).ino;
    writeFileSync(join(dir, 'new'), 'two');
    renameSync(join(dir, 'new'), wal);
    expect(await wait(w)).toBeUndefined();
    const second = (w as unknown as { ino: number }).ino;
    expect(second).toBe(statSync(wal).ino);
    expect(second).not.toBe(first);
    w.close();
  });

  it('after close, a waiter gets an error instead of waiting forever', async () => {
    const wal = join(dir, 'x-wal');
    writeFileSync(wal, 'frames');
    const w = new WalSync(wal, dir);
    w.close();
    expect(await wait(w)).toMatchObject({ message: 'the store is closing' });
  });
});
