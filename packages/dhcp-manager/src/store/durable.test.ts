/**
 * DurableStore on a real state dir: which parts each durability opens, that whenDurable and
 * flush go through a real fsync of the -wal file with --durability full, and that close closes
 * the database.
 */
import { existsSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { DurableStore } from './durable';
import { walPath } from './files';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-durable-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (d: DurableStore, ifname: string) => d.store.transaction(() => d.store.putInterface(ifname, d.store.interfaces().length + 1));

describe('DurableStore', () => {
  it('shrinkMemory empties the page cache and the store still reads and writes', () => {
    const d = new DurableStore({ stateDir: dir, durability: 'normal', historyPerInterface: 10, onError: () => undefined });
    for (let i = 0; i < 50; i++) write(d, `wan${i}`);
    d.store.shrinkMemory();
    expect(d.store.interfaces().map((x) => x.ifname)).toEqual(Array.from({ length: 50 }, (_, i) => `wan${i}`));
    write(d, 'lan0');
    expect(d.store.interfaces()).toHaveLength(51);
    void d.close();
  });

  it('with full: commits land in the -wal file and are released by an fsync of it', async () => {
    const errors: string[] = [];
    const fsyncs: number[] = [];
    const d = new DurableStore({ stateDir: dir, durability: 'full', historyPerInterface: 10, fsyncSeconds: (s) => fsyncs.push(s), onError: (w, e) => errors.push(`${w}: ${e.message}`) });
    expect(d.syncsOffLoop).toBe(true);
    write(d, 'wan0');
    expect(existsSync(walPath(dir))).toBe(true);
    const err = await new Promise<Error | undefined>((resolve) => d.whenDurable(resolve));
    expect(err).toBeUndefined();
    expect(d.flush()).toBeUndefined();
    expect(d.status().walFsync).toEqual({ fsyncs: 2, released: 1, failures: 0, waiting: 0 });
    expect(fsyncs).toHaveLength(2);
    expect(d.status().checkpointer).toEqual({ started: 0, runs: 0, frames: 0, errors: 0, running: false });
    d.touch();
    expect(d.status().checkpointer.running).toBe(true);
    await d.close();
    expect(d.status().checkpointer.running).toBe(false);
    expect(() => d.store.interfaces()).toThrow(/not open/);
    expect(errors).toEqual([]);
  });

  it('with normal: no WAL fsync of its own; whenDurable calls back at once', async () => {
    const d = new DurableStore({ stateDir: dir, durability: 'normal', historyPerInterface: 10 });
    expect(d.syncsOffLoop).toBe(false);
    write(d, 'wan0');
    let called = false;
    d.whenDurable((err) => { called = err === undefined; });
    expect(called).toBe(true);
    expect(d.flush()).toBeUndefined();
    expect(d.status().walFsync).toBeUndefined();
    expect(d.store.interfaces()).toEqual([{ ifname: 'wan0', instance: 1 }]);
    await d.close();
  });
});
