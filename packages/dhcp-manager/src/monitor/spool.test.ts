import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { encodeEnvelope, writeSpool, EnvelopeMeta } from '@dhcpmgr/plugin-msg';
import type { Ingest, IngestResult } from '../contract';
import { IngestQueue } from './queue';
import { Spool } from './spool';
import { SenderAuth } from '../auth';

const BOOT = Buffer.alloc(16, 7);
const meta = (n: number): EnvelopeMeta => ({ bootId: BOOT, monotonicNs: BigInt(n) * 1000n, wallUs: BigInt(1_700_000_000_000_000 - n), senderPid: 100 + n });

/** Spools the payload byte `tag` with event time n; the fake engine answers by tag. */
function spoolOne(dir: string, n: number, tag: number): void {
  const m = meta(n);
  writeSpool(dir, encodeEnvelope(Buffer.from([tag]), m), m);
}

function fakeEngine(answer: (tag: number) => IngestResult) {
  const seen: number[] = [];
  return {
    seen,
    ingestBatch: (items: Ingest[]) => items.map((i) => { seen.push(i.frame[0]!); expect(i.channel).toBe('spool'); return answer(i.frame[0]!); }),
  };
}

describe('spool replay', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-spool-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const counters = () => {
    const c = { replayed: [] as string[], rejected: [] as string[] };
    return { c, counters: { replayed: (s: string) => c.replayed.push(s), rejectedFile: (n: string) => c.rejected.push(n) } };
  };

  it('replays in event order (monotonic clock, not file name or wall clock), deletes committed files and moves rejects aside', () => {
    spoolOne(dir, 3, 30);
    spoolOne(dir, 1, 10);
    spoolOne(dir, 2, 20);
    writeFileSync(join(dir, 'garbage.msg'), 'not an envelope');
    const engine = fakeEngine((tag) => (tag === 20 ? { status: 'rejected', reason: 'BAD_IFNAME', detail: 'x' } : { status: 'applied', event: {} as never }));
    const { c, counters: k } = counters();
    const r = new Spool(dir, k).replayNow(engine, 2);
    expect(engine.seen).toEqual([10, 20, 30]);
    expect(r).toEqual({ replayed: 3, left: 0 });
    expect(c.replayed).toEqual(['applied', 'rejected', 'applied']);
    expect(readdirSync(dir).filter((n) => n.endsWith('.msg'))).toEqual([]);
    expect(readdirSync(join(dir, 'rejected')).sort()).toHaveLength(2);
    expect(c.rejected).toContain('garbage.msg');
  });

  it('with --require-auth verifies each file\'s tag but applies no replay window (a spool file may be hours old)', () => {
    const KEY = Buffer.alloc(32, 9);
    const signed = meta(1);
    writeSpool(dir, encodeEnvelope(Buffer.from([10]), signed, KEY), signed);
    spoolOne(dir, 2, 20);
    const engine = fakeEngine(() => ({ status: 'applied', event: {} as never }));
    const why: string[] = [];
    const k = { replayed: () => undefined, rejectedFile: (_name: string, w: string) => why.push(w) };
    const auth = new SenderAuth({ key: KEY, requireAuth: true, replayWindowS: 60 });
    const r = new Spool(dir, k, auth).replayNow(engine, 10);
    expect(engine.seen).toEqual([10]);
    expect(r).toEqual({ replayed: 1, left: 0 });
    expect(why).toEqual(['Cannot read acked envelope (unauthenticated message)']);
    expect(readdirSync(join(dir, 'rejected'))).toHaveLength(1);
  });

  it('keeps the files when the store is unavailable', () => {
    spoolOne(dir, 1, 10);
    spoolOne(dir, 2, 20);
    const { counters: k } = counters();
    const r = new Spool(dir, k).replayNow(fakeEngine(() => ({ status: 'unavailable', detail: 'disk full' })), 10);
    expect(r).toEqual({ replayed: 0, left: 2 });
    expect(readdirSync(dir).filter((n) => n.endsWith('.msg'))).toHaveLength(2);
  });

  it('while running, picks up new files through the queue and removes each after its commit', async () => {
    const engine = fakeEngine(() => ({ status: 'duplicate', ifname: 'eth0' }));
    const q = new IngestQueue(engine, { limit: 10, batchSize: 10 });
    const { c, counters: k } = counters();
    const spool = new Spool(dir, k);
    spool.watch(q, 50);
    try {
      spoolOne(dir, 5, 50);
      spoolOne(dir, 4, 40);
      const deadline = Date.now() + 3000;
      while (readdirSync(dir).some((n) => n.endsWith('.msg')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(readdirSync(dir).filter((n) => n.endsWith('.msg'))).toEqual([]);
      expect(engine.seen.slice().sort()).toEqual([40, 50]);
      expect(c.replayed).toEqual(['duplicate', 'duplicate']);
      expect(existsSync(join(dir, 'rejected'))).toBe(false);
    } finally {
      spool.stop();
    }
  });
});
