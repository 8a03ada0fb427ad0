/**
 * The checkpoint worker against a real SQLite file: it checkpoints from its own thread while the
 * test's connection (the "store", automatic checkpoints off) writes, so the writer restarts the
 * WAL from its beginning; and it stops when writes stop.
 */
import Database = require('better-sqlite3');
import { mkdtempSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Checkpointer } from './checkpointer';

let dir: string;
let db: Database.Database;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-ckpt-'));
  db = new Database(join(dir, 'x.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)');
});
afterEach(() => { db.close(); rmSync(dir, { recursive: true, force: true }); });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const write = (n: number, from = 0) => { const ins = db.prepare('INSERT OR REPLACE INTO t (k, v) VALUES (?, ?)'); for (let i = 0; i < n; i++) ins.run(from + i, 'x'.repeat(200)); };
/** Frames now in the WAL, without checkpointing anything (a PASSIVE checkpoint would). */
const walFrames = (): number => (db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>)[0]!.log;

describe('Checkpointer', () => {
  it('checkpoints from its own thread, so the writer restarts the WAL instead of growing it', async () => {
    write(2000);
    // Frames in the -wal file (32-byte header, then a 24-byte header per page): every PASSIVE run
    // reports all of them as checkpointed until the writer restarts the WAL.
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const frames = (statSync(join(dir, 'x.sqlite-wal')).size - 32) / (pageSize + 24);
    expect(frames).toBeGreaterThan(100);
    const c = new Checkpointer(join(dir, 'x.sqlite'), { intervalMs: 50 });
    c.touch();
    expect(c.running).toBe(true);
    await sleep(500);
    await c.close();
    expect(c.running).toBe(false);
    expect(c.stats.started).toBe(1);
    expect(c.stats.runs).toBeGreaterThanOrEqual(1);
    expect(c.stats.frames).toBe(c.stats.runs * frames);
    expect(c.stats.errors).toBe(0);
    // Everything was backfilled by the worker: this write starts the WAL over (a few frames)
    // instead of appending after the 2,000 rows' frames.
    write(1, 5000);
    expect(walFrames()).toBeLessThan(10);
  });

  it('control: without the worker the same writes leave the WAL growing', () => {
    write(2000);
    write(1, 5000);
    expect(walFrames()).toBeGreaterThan(100);
  });

  it('stops the worker after idleStopMs without writes and starts it again on the next one', async () => {
    const c = new Checkpointer(join(dir, 'x.sqlite'), { intervalMs: 50, idleStopMs: 200 });
    c.touch();
    expect(c.running).toBe(true);
    const deadline = Date.now() + 5000;
    while (c.running && Date.now() < deadline) await sleep(50);
    expect(c.running).toBe(false);
    c.touch();
    expect(c.running).toBe(true);
    expect(c.stats.started).toBe(2);
    await c.close();
    c.touch();
    expect(c.running).toBe(false);
  });

  it('reports a database it cannot open through onError and keeps the caller running', async () => {
    const errors: Error[] = [];
    const c = new Checkpointer(join(dir, 'missing.sqlite'), { intervalMs: 50, onError: (e) => errors.push(e) });
    c.touch();
    const deadline = Date.now() + 5000;
    while (errors.length === 0 && Date.now() < deadline) await sleep(50);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/^checkpoint: cannot open .*missing\.sqlite: /);
    // No new worker per write after a failure (it backs off).
    while (c.running && Date.now() < deadline) await sleep(20);
    c.touch();
    expect(c.running).toBe(false);
    expect(c.stats.started).toBe(1);
    expect(c.stats.errors).toBe(1);
    expect(errors).toHaveLength(1);
    await c.close();
  });
});
