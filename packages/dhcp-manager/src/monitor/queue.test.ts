import { encode, PluginMsg } from '@dhcpmgr/plugin-msg';
import type { Ingest, IngestResult } from '../contract';
import { v4, v4Clear, v6 } from '../__fixtures__/fixtures';
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


describe('IngestQueue priorities under load', () => {
  /** An engine that records, per batch, the names the test gave the frames it receives. */
  function recorder() {
    const names = new Map<Buffer, string>();
    const batches: string[][] = [];
    return {
      batches,
      get seen(): string[] { return batches.flat(); },
      /** A frame named `name` (interface + sequence, e.g. a1). */
      frame(name: string, msg: PluginMsg | Buffer): Buffer {
        const b = Buffer.isBuffer(msg) ? Buffer.from(msg) : encode(msg);
        names.set(b, name);
        return b;
      },
      ingestBatch(items: Ingest[]): IngestResult[] {
        batches.push(items.map((i) => names.get(i.frame) ?? '?'));
        return items.map(() => ({ status: 'duplicate', ifname: 'x' }));
      },
    };
  }
  type Rec = ReturnType<typeof recorder>;
  const renew = (r: Rec, name: string, ifname: string) => ({ ingest: { frame: r.frame(name, v4(ifname, { dhcpState: 'renew' })), channel: 'legacy' as const, receivedAt: 0 } });
  const ended = (r: Rec, name: string, msg: PluginMsg) => ({ ingest: { frame: r.frame(name, msg), channel: 'legacy' as const, receivedAt: 0 } });

  function droppedLog() {
    const drops: string[] = [];
    return { drops, dropped: (channel: string, ifname: string) => drops.push(`${channel}:${ifname}`) };
  }

  it('takes one item per interface in turn, each interface in arrival order', async () => {
    const r = recorder();
    const q = new IngestQueue(r, { limit: 100, batchSize: 100 });
    for (const n of ['a1', 'a2', 'a3', 'a4']) q.offer(renew(r, n, 'ethA'));
    for (const n of ['b1', 'b2']) q.offer(renew(r, n, 'ethB'));
    q.offer(renew(r, 'c1', 'ethC'));
    expect(q.interfaces).toBe(3);
    await q.idle();
    expect(r.seen).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4']);
  });

  it('commits a lease end, and the renewals queued before it on its interface, before other renewals', async () => {
    const r = recorder();
    const q = new IngestQueue(r, { limit: 100, batchSize: 100 });
    for (const n of ['a1', 'a2', 'a3']) q.offer(renew(r, n, 'ethA'));
    q.offer(renew(r, 'b1', 'ethB'));
    q.offer(renew(r, 'b2', 'ethB'));
    q.offer(ended(r, 'b3-deconfig', v4Clear('ethB', 'deconfig')));
    q.offer(ended(r, 'c1-expired', v6('ethC', { isExpired: true })));
    q.offer(ended(r, 'd1-leasefail', v4('ethD', { dhcpState: 'leasefail', addressAssigned: false })));
    q.offer(renew(r, 'b4', 'ethB'));
    await q.idle();
    // ethB holds a lease end, so its whole lane is urgent (b1, b2 keep their place before b3).
    expect(r.seen).toEqual(['b1', 'c1-expired', 'd1-leasefail', 'b2', 'b3-deconfig', 'a1', 'b4', 'a2', 'a3']);
  });

  it('serves acked and spooled events before legacy renewals', async () => {
    const r = recorder();
    const q = new IngestQueue(r, { limit: 100, batchSize: 100 });
    for (const n of ['a1', 'a2']) q.offer(renew(r, n, 'ethA'));
    q.offer({ ingest: { frame: r.frame('s1-spool', v4('ethS')), channel: 'spool', receivedAt: 0 } });
    q.offer({ ingest: { frame: r.frame('k1-acked', v6('ethK')), channel: 'acked', receivedAt: 0 } }, true);
    await q.idle();
    expect(r.seen).toEqual(['s1-spool', 'k1-acked', 'a1', 'a2']);
  });

  it('serves a backlog in batches without letting the busiest interface fill them', async () => {
    const r = recorder();
    const q = new IngestQueue(r, { limit: 1000, batchSize: 4 });
    for (let k = 1; k <= 10; k++) q.offer(renew(r, `f${k}`, 'flood0'));
    q.offer(renew(r, 'q1', 'quiet0'));
    q.offer(renew(r, 'q2', 'quiet0'));
    await q.idle();
    expect(r.batches[0]).toEqual(['f1', 'q1', 'f2', 'q2']);
    expect(r.seen.filter((n) => n.startsWith('f'))).toEqual(Array.from({ length: 10 }, (_, k) => `f${k + 1}`));
  });

  it('lets a quiet interface in when a flood filled the queue, evicting the flood\'s newest renewal', async () => {
    const r = recorder();
    const log = droppedLog();
    const q = new IngestQueue(r, { limit: 4, batchSize: 100, dropped: log.dropped });
    const accepted = ['f1', 'f2', 'f3', 'f4', 'f5'].map((n) => q.offer(renew(r, n, 'flood0')));
    expect(accepted).toEqual([true, true, true, true, false]);
    // quiet0 holds nothing (< 4 / 2 lanes): f4 makes room for q1; then q2 (1 < 2) for f3.
    expect(q.offer(renew(r, 'q1', 'quiet0'))).toBe(true);
    expect(q.offer(renew(r, 'q2', 'quiet0'))).toBe(true);
    // quiet0 now holds its fair share (2 of 4): its next renewal is refused, not another's.
    expect(q.offer(renew(r, 'q3', 'quiet0'))).toBe(false);
    expect(q.depth).toBe(4);
    expect(log.drops).toEqual(['legacy:flood0', 'legacy:flood0', 'legacy:flood0', 'legacy:quiet0']);
    expect(q.overloadByInterface()).toEqual({ flood0: 3, quiet0: 1 });
    await q.idle();
    expect(r.seen).toEqual(['f1', 'q1', 'f2', 'q2']);
  });

  it('keeps a lease end that arrives when renewals filled the queue, in place of the newest renewal', async () => {
    const r = recorder();
    const log = droppedLog();
    const q = new IngestQueue(r, { limit: 3, batchSize: 100, dropped: log.dropped });
    for (const n of ['f1', 'f2', 'f3']) q.offer(renew(r, n, 'flood0'));
    // The flood's own release: flood0 is above its share, but an end may take a renewal's place.
    expect(q.offer(ended(r, 'f4-deconfig', v4Clear('flood0', 'deconfig')))).toBe(true);
    expect(q.offer(renew(r, 'f5', 'flood0'))).toBe(false);
    expect(log.drops).toEqual(['legacy:flood0', 'legacy:flood0']);
    await q.idle();
    expect(r.seen).toEqual(['f1', 'f2', 'f4-deconfig']);
  });

  it('never evicts acked or spooled items, nor an end for a renewal', async () => {
    const r = recorder();
    const log = droppedLog();
    const q = new IngestQueue(r, { limit: 2, batchSize: 100, dropped: log.dropped });
    q.offer({ ingest: { frame: r.frame('k1', v4('ethK')), channel: 'acked', receivedAt: 0 } }, true);
    q.offer({ ingest: { frame: r.frame('k2', v4('ethK')), channel: 'acked', receivedAt: 0 } }, true);
    expect(q.offer(renew(r, 'a1', 'ethA'))).toBe(false);
    const spooled = { ingest: { frame: r.frame('s1', v4('ethS')), channel: 'spool' as const, receivedAt: 0 } };
    expect(q.offer(spooled)).toBe(false);
    expect(q.offer(ended(r, 'e1', v4Clear('ethE', 'deconfig')))).toBe(false);
    // The refused spooled event stays on disk for the next scan: not a drop.
    expect(log.drops).toEqual(['legacy:ethA', 'legacy:ethE']);
    await q.idle();
    expect(r.seen).toEqual(['k1', 'k2']);
  });

  it('puts frames whose interface cannot be read in one shared lane, still handed to the engine', async () => {
    const r = recorder();
    const log = droppedLog();
    const q = new IngestQueue(r, { limit: 4, batchSize: 100, dropped: log.dropped });
    const long = encode(v4('x'));
    long.fill(0x61, 0, 32); // an interface name with no terminator
    const bad = encode(v4('bad/name'));
    q.offer({ ingest: { frame: r.frame('u1-short', Buffer.from([1, 2, 3])), channel: 'legacy', receivedAt: 0 } });
    q.offer({ ingest: { frame: r.frame('u2-unterminated', long), channel: 'legacy', receivedAt: 0 } });
    q.offer({ ingest: { frame: r.frame('u3-badname', bad), channel: 'legacy', receivedAt: 0 } });
    q.offer(renew(r, 'a1', 'ethA'));
    expect(q.interfaces).toBe(2);
    expect(q.offer({ ingest: { frame: r.frame('u4', Buffer.alloc(10)), channel: 'legacy', receivedAt: 0 } })).toBe(false);
    expect(log.drops).toEqual(['legacy::unparsed']);
    await q.idle();
    expect(r.seen).toEqual(['u1-short', 'a1', 'u2-unterminated', 'u3-badname']);
  });

  it('labels drops of at most maxDropLabels interfaces by name, the rest as :other', () => {
    const r = recorder();
    const log = droppedLog();
    const q = new IngestQueue(r, { limit: 1, batchSize: 100, dropped: log.dropped, maxDropLabels: 2 });
    q.offer(renew(r, 'x', 'ethX'));
    q.offer(renew(r, 'x2', 'ethX'));
    // Each newcomer holds nothing (below its share), so it takes the current holder's place.
    for (const n of ['ethA', 'ethB', 'ethC', 'ethD']) q.offer(renew(r, n, n));
    expect(log.drops).toEqual(['legacy:ethX', 'legacy:ethX', 'legacy:ethA', 'legacy::other', 'legacy::other']);
    expect(q.overloadByInterface()).toEqual({ ethX: 2, ethA: 1, ':other': 2 });
    q.drainAll();
    expect(r.seen).toEqual(['ethD']);
  });
});
