/**
 * Fuzz: decoding arbitrary bytes only ever throws the typed error (PluginMsgDecodeError for
 * PLUGIN_MSG, EnvelopeError for the acked envelope and its replies). Inputs are gcc-made
 * messages (both ABIs) mutated in many ways plus plain random buffers. A seeded PRNG keeps runs
 * reproducible: a failure prints the seed and case number.
 */
import { decode, decodeFrame } from './codec';
import { PluginMsgDecodeError } from './errors';
import { EnvelopeError, decodeAck, decodeEnvelope, encodeAck, encodeEnvelope, stampNow } from './envelope';
import { Abi, ABIS, LAYOUTS } from './layout';
import { compileSections, goldenSource } from './__fixtures__/cgolden';
import { GOLDEN_SECTIONS } from './__fixtures__/golden';

const CASES = 100_000;
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed1464);

/** xorshift32: fast, deterministic, good enough to pick mutations. */
function prng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x % n;
  };
}

function randomBytes(rnd: (n: number) => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let k = 0; k < n; k++) b[k] = rnd(256);
  return b;
}

type Mutator = (seed: Buffer, rnd: (n: number) => number) => Buffer;

const MUTATORS: Mutator[] = [
  (s, r) => { const b = Buffer.from(s); for (let k = 1 + r(8); k > 0; k--) b[r(b.length)] = r(256); return b; },
  (s, r) => { const b = Buffer.from(s); b[r(b.length)] ^= 1 << r(8); return b; },
  (s, r) => { const b = Buffer.from(s); b[r(b.length)] = r(3) === 0 ? 0 : 0xff; return b; },
  (s, r) => Buffer.from(s.subarray(0, r(s.length))),
  (s, r) => Buffer.concat([s, randomBytes(r, 1 + r(64))]),
  (s, r) => { const b = Buffer.from(s); if (b.length >= 36) b.writeUInt32LE(r(4) === 0 ? r(0x7fffffff) : r(3), 32); return b; },
  (s, r) => { const b = Buffer.from(s); const at = r(b.length); b.fill(r(256), at, Math.min(b.length, at + 1 + r(300))); return b; },
  (s, r) => { const b = Buffer.from(s); const at = r(b.length); b.fill(0, at, Math.min(b.length, at + 1 + r(300))); return b; },
  (_s, r) => randomBytes(r, r(3000)),
  (_s, r) => randomBytes(r, r(2) ? 1464 : 1456),
  (_s, r) => { const b = Buffer.alloc(r(2) ? 1464 : 1456); b.writeUInt32LE(r(2), 32); b[r(b.length)] = r(256); return b; },
  () => Buffer.alloc(0),
];

describe('fuzz', () => {
  let seeds: Buffer[];

  beforeAll(() => {
    seeds = ABIS.flatMap((abi: Abi) => {
      const s = compileSections(abi, goldenSource(), GOLDEN_SECTIONS);
      return GOLDEN_SECTIONS.map((name) => s.get(name)!);
    });
    expect(seeds.map((b) => b.length).sort()).toEqual([1456, 1456, 1456, 1456, 1464, 1464, 1464, 1464]);
  });

  it(`decodes ${CASES} random and mutated buffers, throwing only PluginMsgDecodeError`, () => {
    const rnd = prng(SEED);
    const seen = new Map<string, number>();
    const accepts: Array<Abi | 'auto'> = ['auto', 'auto', 'lp64', 'ilp32'];
    for (let n = 0; n < CASES; n++) {
      const input = MUTATORS[rnd(MUTATORS.length)]!(seeds[rnd(seeds.length)]!, rnd);
      const accept = accepts[rnd(accepts.length)]!;
      const viaDecode = rnd(4) === 0;
      const offset = viaDecode && rnd(3) === 0 ? rnd(input.length + 2) : 0;
      let outcome = 'ok';
      try {
        const got = viaDecode ? decode(input, offset, accept) : decodeFrame(input, accept);
        if (got.msg.version !== 4 && got.msg.version !== 6) throw new Error('decoded an impossible version');
      } catch (err) {
        if (!(err instanceof PluginMsgDecodeError)) {
          throw new Error(`case ${n} (FUZZ_SEED=${SEED}) threw ${String(err)} for ${input.length} bytes: ${input.toString('hex').slice(0, 200)}`);
        }
        outcome = err.code;
      }
      seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
    }
    // The mutators reach every check, not just the size guard.
    for (const code of ['ok', 'SHORT_BUFFER', 'BAD_SIZE', 'BAD_VERSION', 'UNTERMINATED_STRING', 'BAD_BOOL', 'NONZERO_PADDING']) {
      expect([code, (seen.get(code) ?? 0) > 50]).toEqual([code, true]);
    }
  });

  it('handles a few huge frames (16 MiB) with BAD_SIZE', () => {
    const huge = Buffer.alloc(16 * 1024 * 1024, 1);
    for (const accept of ['auto', ...ABIS] as Array<Abi | 'auto'>) {
      expect(() => decodeFrame(huge, accept)).toThrow(PluginMsgDecodeError);
    }
    expect(() => decode(huge)).toThrow(PluginMsgDecodeError);
    expect(decode(Buffer.concat([seeds[0]!, huge]), 0, LAYOUTS[seeds[0]!.length === 1464 ? 'lp64' : 'ilp32'].abi).msg.version).toBe(4);
  });

  it(`decodes ${CASES / 4} random and mutated envelopes and acks, throwing only EnvelopeError`, () => {
    const rnd = prng(SEED ^ 0xe7);
    const key = Buffer.from('0123456789abcdef0123456789abcdef');
    const valid = [
      encodeEnvelope(seeds[0]!, stampNow()),
      encodeEnvelope(seeds[5]!, stampNow(), key),
      encodeAck({ status: 'rejected', reason: 'BAD_IFNAME' }),
      encodeAck({ status: 'applied', reason: '' }),
    ];
    const seen = new Map<string, number>();
    for (let n = 0; n < CASES / 4; n++) {
      const input = MUTATORS[rnd(MUTATORS.length)]!(valid[rnd(valid.length)]!, rnd);
      const which = rnd(4);
      let outcome = 'ok';
      try {
        if (which === 0) decodeAck(input);
        else decodeEnvelope(input, which === 1 ? undefined : key, which === 3);
      } catch (err) {
        if (!(err instanceof EnvelopeError)) {
          throw new Error(`case ${n} (FUZZ_SEED=${SEED}) threw ${String(err)} for ${input.toString('hex').slice(0, 200)}`);
        }
        outcome = err.code;
      }
      seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
    }
    for (const code of ['ok', 'BAD_ENVELOPE', 'BAD_HMAC', 'NO_HMAC']) expect([code, (seen.get(code) ?? 0) > 20]).toEqual([code, true]);
  });
});
