import type { Ingest, IngestResult } from '../contract';
import { IngestQueue, rateLimited } from './queue';

/** A fake engine: records batch sizes and answers from the frame's first byte. */
function fakeEngine() {
  const batches: number[] = [];
  return {
    batches,
    ingestBatch(items: Ingest[]): IngestResult[] {
      batches.push(items.length);
      return items.map((i) => (i.frame[0] === 0 ? { status: 'rejected', reason: 'BAD_SIZE', detail: 'x' } : { status: 'duplicate', ifname: 'eth0' }));
    },
  };
}

const item = (b = 1): { ingest: Ingest } => ({ ingest: { frame: Buffer.from([b]), channel: 'legacy', receivedAt: 0 } });

describe('IngestQueue', () => {
  it('commits queued items in batches of at most batchSize, in arrival order', async () => {
    const engine = fakeEngine();
    const q = new IngestQueue(engine, { limit: 100, batchSize: 4 });
    const seen: number[] = [];
    for (let k = 0; k < 10; k++) q.offer({ ...item(k + 1), done: () => seen.push(k) });
    expect(q.depth).toBe(10);
    await q.idle();
    expect(engine.batches).toEqual([4, 4, 2]);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(q.depth).toBe(0);
  });

  it('refuses items beyond the limit instead of growing, but lets a bypassing item in', async () => {
    const engine = fakeEngine();
    const q = new IngestQueue(engine, { limit: 3, batchSize: 10 });
    const accepted = [1, 2, 3, 4, 5].map(() => q.offer(item()));
    expect(accepted).toEqual([true, true, true, false, false]);
    expect(q.offer(item(), true)).toBe(true);
    await q.idle();
    expect(engine.batches).toEqual([4]);
  });

  it('answers every item unavailable when the engine throws, and keeps draining', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const q = new IngestQueue({ ingestBatch: () => { if (calls++ === 0) throw new Error('boom'); return [{ status: 'duplicate', ifname: 'x' }]; } }, { limit: 10, batchSize: 1, onError: (e) => errors.push(e) });
    const results: IngestResult[] = [];
    q.offer({ ...item(), done: (r) => results.push(r) });
    q.offer({ ...item(), done: (r) => results.push(r) });
    await q.idle();
    expect(results[0]).toMatchObject({ status: 'unavailable', detail: 'engine error: boom' });
    expect(results[1]).toMatchObject({ status: 'duplicate' });
    expect(errors).toHaveLength(1);
  });

  it('drainAll commits synchronously', () => {
    const engine = fakeEngine();
    const q = new IngestQueue(engine, { limit: 10, batchSize: 2 });
    for (let k = 0; k < 5; k++) q.offer(item());
    q.drainAll();
    expect(engine.batches).toEqual([2, 2, 1]);
  });

  it('rate-limits a log line and reports how many were suppressed', () => {
    const logged: number[] = [];
    const hit = rateLimited(60_000, (n) => logged.push(n));
    for (let k = 0; k < 5; k++) hit();
    expect(logged).toEqual([0]);
  });
});

describe('IngestQueue group commit', () => {
  it('waits commit-delay before draining, gathering items into one batch', async () => {
    const batches: number[] = [];
    const q = new IngestQueue({ ingestBatch: (items) => { batches.push(items.length); return items.map(() => ({ status: 'duplicate', ifname: 'x' })); } }, { limit: 100, batchSize: 50, minWaitMs: 30 });
    q.offer({ ingest: { frame: Buffer.from([1]), channel: 'legacy', receivedAt: 0 } });
    await new Promise((r) => setTimeout(r, 10));
    q.offer({ ingest: { frame: Buffer.from([1]), channel: 'legacy', receivedAt: 0 } });
    await q.idle();
    expect(batches).toEqual([2]);
  });
});

describe('IngestQueue timing', () => {
  it('reports, per committed item, the time from offer to the end of its commit', async () => {
    const seen: number[] = [];
    const slow = { ingestBatch: (items: Ingest[]): IngestResult[] => {
      const until = performance.now() + 20;
      while (performance.now() < until) { /* a 20 ms commit */ }
      return items.map(() => ({ status: 'duplicate', ifname: 'x' }));
    } };
    const q = new IngestQueue(slow, { limit: 10, batchSize: 10, receiveToCommit: (s) => seen.push(s) });
    q.offer(item());
    q.offer(item());
    await q.idle();
    expect(seen).toHaveLength(2);
    for (const s of seen) {
      expect(s).toBeGreaterThanOrEqual(0.019);
      expect(s).toBeLessThan(5);
    }
  });

  it('does not hold an acknowledged item for the adaptive group-commit wait', async () => {
    const batches: number[] = [];
    const q = new IngestQueue({ ingestBatch: (items) => {
      batches.push(items.length);
      const until = performance.now() + 40; // the last commit took 40 ms: legacy items now wait up to maxWaitMs
      while (performance.now() < until) { /* busy */ }
      return items.map(() => ({ status: 'duplicate', ifname: 'x' }));
    } }, { limit: 10, batchSize: 10, maxWaitMs: 200 });
    q.offer(item());
    await q.idle();
    const t0 = performance.now();
    q.offer(item()); // legacy: waits for more (up to 40 ms)
    q.offer(item(), true); // acked: drains now, taking the legacy item along
    await q.idle();
    const waited = performance.now() - t0 - 40;
    expect(batches).toEqual([1, 2]);
    expect(waited).toBeLessThan(25);
  });
});

describe('IngestQueue with a durability wait (--durability full)', () => {
  /** A stand-in for WalSync: holds callbacks until the test releases them. */
  function gate() {
    const waiting: Array<(err?: Error) => void> = [];
    return {
      waiting,
      durable: (cb: (err?: Error) => void) => { waiting.push(cb); },
      release: (err?: Error) => { for (const cb of waiting.splice(0)) cb(err); },
    };
  }

  it('runs done and the receive-to-commit observation only after the commit is durable', async () => {
    const engine = fakeEngine();
    const g = gate();
    const seen: string[] = [];
    const r2c: number[] = [];
    const q = new IngestQueue(engine, { limit: 10, batchSize: 10, durable: g.durable, receiveToCommit: (s) => r2c.push(s) });
    q.offer({ ...item(), done: (r) => seen.push(r.status) });
    q.offer({ ...item(), done: (r) => seen.push(r.status) });
    await new Promise((r) => setImmediate(r));
    expect(engine.batches).toEqual([2]);
    expect(g.waiting).toHaveLength(1);
    expect(seen).toEqual([]);
    expect(r2c).toEqual([]);
    let idle = false;
    const idleP = q.idle().then(() => { idle = true; });
    await new Promise((r) => setImmediate(r));
    expect(idle).toBe(false);
    g.release();
    await idleP;
    expect(seen).toEqual(['duplicate', 'duplicate']);
    expect(r2c).toHaveLength(2);
  });

  it('keeps committing while a durability wait is open, and answers unavailable when it fails', async () => {
    const engine = fakeEngine();
    const g = gate();
    const seen: IngestResult[] = [];
    const q = new IngestQueue(engine, { limit: 10, batchSize: 10, durable: g.durable });
    q.offer({ ...item(), done: (r) => seen.push(r) });
    await new Promise((r) => setImmediate(r));
    q.offer({ ...item(), done: (r) => seen.push(r) });
    await new Promise((r) => setImmediate(r));
    expect(engine.batches).toEqual([1, 1]);
    expect(g.waiting).toHaveLength(2);
    g.release(new Error('EIO'));
    expect(seen).toHaveLength(2);
    for (const r of seen) expect(r).toMatchObject({ status: 'unavailable', detail: expect.stringContaining('EIO') });
  });

  it('does not wait for durability when nothing was committed (every result unavailable)', async () => {
    const g = gate();
    const seen: IngestResult[] = [];
    const q = new IngestQueue({ ingestBatch: (items) => items.map((): IngestResult => ({ status: 'unavailable', detail: 'read-only' })) }, { limit: 10, batchSize: 10, durable: g.durable });
    q.offer({ ...item(), done: (r) => seen.push(r) });
    await q.idle();
    expect(g.waiting).toHaveLength(0);
    expect(seen).toEqual([{ status: 'unavailable', detail: 'read-only' }]);
  });

  it('drainAll (shutdown) commits and flushes synchronously', () => {
    const engine = fakeEngine();
    const g = gate();
    const seen: string[] = [];
    const q = new IngestQueue(engine, { limit: 10, batchSize: 2, durable: g.durable, flushDurable: () => g.release() });
    for (let k = 0; k < 3; k++) q.offer({ ...item(), done: (r) => seen.push(r.status) });
    q.drainAll();
    expect(engine.batches).toEqual([2, 1]);
    expect(seen).toEqual(['duplicate', 'duplicate', 'duplicate']);
  });
});

