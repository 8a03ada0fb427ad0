import fc from 'fast-check';
import { encode } from '@dhcpmgr/plugin-msg';
import type { Ingest } from './contract';
import { legacy, meta, v4, v6 } from './__fixtures__/fixtures';
import { Harness, T0, memoryHarness } from './__fixtures__/harness';

const VALID = [encode(v4('eth0')), encode(v6('eth0')), encode(v4('eth1', { dhcpState: 'renew' })), encode(v6('eth1', { isExpired: true, na: null }), { abi: 'ilp32' })];

/** Valid frames with a few bytes changed, cut or extended; and plain random bytes. */
const frameArb = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 1600 }).map((a) => Buffer.from(a)),
  fc.tuple(fc.constantFrom(...VALID), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }))
    .map(([f, edits]) => { const b = Buffer.from(f); for (const [at, v] of edits) b[at % b.length] = v; return b; }),
  fc.tuple(fc.constantFrom(...VALID), fc.integer({ min: -40, max: 40 }))
    .map(([f, d]) => (d < 0 ? f.subarray(0, f.length + d) : Buffer.concat([f, Buffer.alloc(d, 0x41)]))),
);

describe('engine: hostile input', () => {
  let h: Harness;
  beforeAll(() => { h = memoryHarness(); });
  afterAll(() => h.cleanup());

  it('never throws on random and mutated frames, and counts every one', async () => {
    let sent = 0;
    fc.assert(fc.property(fc.array(fc.tuple(frameArb, fc.boolean()), { minLength: 1, maxLength: 40 }), (batch) => {
      const items: Ingest[] = batch.map(([frame, withOrder]) => (withOrder
        ? { frame, channel: 'acked', receivedAt: T0, order: meta(3, BigInt(sent + 1), 1n) }
        : legacy(frame, T0)));
      sent += items.length;
      const rs = h.engine.ingestBatch(items);
      expect(rs).toHaveLength(items.length);
      for (const r of rs) expect(['applied', 'rejected', 'duplicate', 'stale']).toContain(r.status);
    }), { numRuns: 300 });
    expect(await h.metrics.value('dhcpmgr_messages_total')).toBe(sent);
    expect(await h.metrics.value('dhcpmgr_ingest_results_total')).toBe(sent);
    const s = h.engine.stats();
    const rejected = Object.values(s.rejected).reduce((a, b) => a + (b ?? 0), 0);
    expect(s.applied + s.duplicates + s.stale + rejected).toBe(sent);
    expect(s.rejected.INTERNAL_ERROR).toBeUndefined();
    // Still healthy: a valid message applies afterwards.
    expect(h.engine.ingestBatch([legacy(v4('eth9'), T0)])[0]!.status).toBe('applied');
  });

  it('refuses non-frame items without throwing', () => {
    const junk = [undefined, null, {}, { frame: 'text', channel: 'legacy', receivedAt: T0 }, { frame: Buffer.alloc(1464), channel: 'bogus' }] as unknown as Ingest[];
    const rs = h.engine.ingestBatch(junk);
    expect(rs.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
    expect(h.engine.ingestBatch(null as unknown as Ingest[])).toEqual([]);
  });

  it('answers get() with an error for unknown or malformed paths', () => {
    expect(h.engine.get(['Device.Nope.'])).toMatchObject({ ok: false });
    expect(h.engine.get(['Device.DHCPv4.Client.99.IPAddress'])).toMatchObject({ ok: false });
    expect(h.engine.get(['nonsense'])).toMatchObject({ ok: false });
    expect(h.engine.get([])).toMatchObject({ ok: false });
    expect(h.engine.get(['Device.DNS.Client.Server.'])).toMatchObject({ ok: true });
  });
});
