/**
 * Codec behaviour: property round trips over random valid messages (both versions, both ABIs,
 * at offsets inside larger buffers) and one test per error code. Byte identity with C is in
 * codec.golden.test.ts; arbitrary input in codec.fuzz.test.ts.
 */
import fc from 'fast-check';
import { decode, decodeFrame, encode, encodingLength } from './codec';
import { PluginMsgDecodeError, PluginMsgEncodeError } from './errors';
import { Abi, ABIS, FieldSpec, LAYOUTS, OUTER_VERSION_OFFSET, V4_FIELDS, V4_NEXT_OFFSET, V6_FIELDS, V6_NEXT_OFFSET } from './layout';
import { PluginMsg, emptyV4Lease, emptyV6Lease } from './types';
import { abiArb, msgArb } from './__fixtures__/arbitraries';
import { GOLDEN, fill } from './__fixtures__/golden';

const V4_MSG = GOLDEN.gold_v4_bound!;
const V6_MSG = GOLDEN.gold_v6_add!;

/** Free-text fields that `m` fills to the last byte, as decode() reports them. */
function fullTextFields(m: PluginMsg): string[] {
  const fields = m.version === 4 ? V4_FIELDS : V6_FIELDS;
  const lease = (m.version === 4 ? m.dhcpv4 : m.dhcpv6) as unknown as Record<string, unknown>;
  const prefix = m.version === 4 ? 'dhcpv4.' : 'dhcpv6.';
  return fields
    .filter((f) => f.policy === 'text' && (f.name.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], lease) as string).length === f.size)
    .map((f) => prefix + f.name);
}

function field(version: 4 | 6, name: string): FieldSpec {
  const f = (version === 4 ? V4_FIELDS : V6_FIELDS).find((x) => x.name === name);
  if (!f) throw new Error(`no field ${name}`);
  return f;
}

/** Wire offset of a field of the inner struct. */
const at = (abi: Abi, version: 4 | 6, name: string): number => LAYOUTS[abi].unionOffset + field(version, name).offset;

function decodeError(fn: () => unknown): PluginMsgDecodeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PluginMsgDecodeError);
    return err as PluginMsgDecodeError;
  }
  throw new Error('expected a PluginMsgDecodeError, nothing was thrown');
}

function encodeError(fn: () => unknown): PluginMsgEncodeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PluginMsgEncodeError);
    return err as PluginMsgEncodeError;
  }
  throw new Error('expected a PluginMsgEncodeError, nothing was thrown');
}

describe('round trips (property)', () => {
  it('decodes what it encodes, for random valid messages of both versions and ABIs', () => {
    fc.assert(fc.property(msgArb, abiArb, (m, abi) => {
      const bytes = encode(m, { abi });
      expect(bytes.length).toBe(encodingLength(abi));
      const got = decode(bytes);
      expect(got.abi).toBe(abi);
      expect(got.msg).toEqual(m);
      expect(got.truncated.sort()).toEqual(fullTextFields(m).sort());
    }), { numRuns: 1000 });
  });

  it('encodes into a larger buffer at a non-zero offset without touching the bytes around it', () => {
    fc.assert(fc.property(msgArb, abiArb, fc.nat(300), fc.nat(300), fc.integer({ min: 0, max: 255 }), (m, abi, before, after, junk) => {
      const size = LAYOUTS[abi].size;
      const buf = Buffer.alloc(before + size + after, junk);
      const ret = encode(m, { abi, buf, offset: before });
      expect(ret).toBe(buf);
      expect(buf.subarray(before, before + size).equals(encode(m, { abi }))).toBe(true);
      expect(buf.subarray(0, before).every((x) => x === junk)).toBe(true);
      expect(buf.subarray(before + size).every((x) => x === junk)).toBe(true);
      expect(decode(buf, before, abi).msg).toEqual(m);
      expect(decode(buf.subarray(0, before + size), before).msg).toEqual(m);
    }), { numRuns: 500 });
  });

  it('carries a message across ABIs unchanged (decode LP64, encode ILP32 and back)', () => {
    fc.assert(fc.property(msgArb, (m) => {
      const lp = encode(m, { abi: 'lp64' });
      const il = encode(decode(lp).msg, { abi: 'ilp32' });
      expect(il.length).toBe(1456);
      expect(encode(decode(il).msg, { abi: 'lp64' }).equals(lp)).toBe(true);
    }), { numRuns: 300 });
  });

  it('decodes into leases with the typed empty lease\'s keys, in the same order (nested objects too)', () => {
    const keys = (o: unknown): unknown => (o !== null && typeof o === 'object'
      ? Object.entries(o as Record<string, unknown>).map(([k, v]) => [k, keys(v)]) : typeof o);
    const d4 = decode(encode(V4_MSG)).msg;
    const d6 = decode(encode(V6_MSG)).msg;
    expect(d4.version === 4 && keys(d4.dhcpv4)).toEqual(keys(emptyV4Lease()));
    expect(d6.version === 6 && keys(d6.dhcpv6)).toEqual(keys(emptyV6Lease()));
  });

  it('decodeFrame accepts exactly one message of an accepted ABI', () => {
    for (const abi of ABIS) {
      expect(decodeFrame(encode(V6_MSG, { abi })).msg).toEqual(V6_MSG);
      expect(decodeFrame(encode(V4_MSG, { abi }), abi).abi).toBe(abi);
    }
  });
});

describe('decode errors', () => {
  const lp4 = (): Buffer => encode(V4_MSG, { abi: 'lp64' });

  it('SHORT_BUFFER: fewer bytes than the named ABI needs, or an offset outside the buffer', () => {
    expect(decodeError(() => decode(Buffer.alloc(1455), 0, 'ilp32')).code).toBe('SHORT_BUFFER');
    expect(decodeError(() => decode(lp4(), 1, 'lp64')).code).toBe('SHORT_BUFFER');
    expect(decodeError(() => decode(lp4(), 1465)).code).toBe('SHORT_BUFFER');
    expect(decodeError(() => decode(lp4(), -1)).code).toBe('SHORT_BUFFER');
    expect(decodeError(() => decode(lp4(), 0.5)).code).toBe('SHORT_BUFFER');
    expect(decodeError(() => decode('not bytes' as unknown as Buffer)).code).toBe('SHORT_BUFFER');
  });

  it('BAD_SIZE: a frame that is neither 1464 nor 1456 bytes, or not the ABI accepted', () => {
    for (const n of [0, 1, 1455, 1457, 1463, 1465, 2928, 1720]) {
      expect(decodeError(() => decode(Buffer.alloc(n))).code).toBe('BAD_SIZE');
      expect(decodeError(() => decodeFrame(Buffer.alloc(n))).code).toBe('BAD_SIZE');
    }
    expect(decodeError(() => decodeFrame(encode(V4_MSG, { abi: 'ilp32' }), 'lp64')).code).toBe('BAD_SIZE');
    expect(decodeError(() => decodeFrame(lp4(), 'ilp32')).code).toBe('BAD_SIZE');
    expect(decodeError(() => decode(lp4(), 0, 'mips' as Abi)).code).toBe('BAD_SIZE');
  });

  it('BAD_VERSION: a version other than DHCP_VERSION_4 (0) or DHCP_VERSION_6 (1)', () => {
    for (const v of [2, 4, 6, 0x100, 0xffffffff]) {
      const b = lp4();
      b.writeUInt32LE(v, OUTER_VERSION_OFFSET);
      const e = decodeError(() => decode(b));
      expect(e.code).toBe('BAD_VERSION');
      expect(e.message).toBe(`Cannot decode plugin message (bad version: ${v})`);
    }
  });

  it('UNTERMINATED_STRING: the outer ifname fills its 32 bytes', () => {
    for (const abi of ABIS) {
      const b = encode(V6_MSG, { abi });
      b.fill(0x61, 0, 32);
      const e = decodeError(() => decode(b));
      expect([e.code, e.field]).toEqual(['UNTERMINATED_STRING', 'ifname']);
    }
  });

  const idFields = (version: 4 | 6): FieldSpec[] =>
    (version === 4 ? V4_FIELDS : V6_FIELDS).filter((f) => f.type === 'str' && f.policy !== 'text');
  const textFields = (version: 4 | 6): FieldSpec[] =>
    (version === 4 ? V4_FIELDS : V6_FIELDS).filter((f) => f.policy === 'text');

  it.each([4, 6] as const)('UNTERMINATED_STRING: each v%i id/term field at full width is rejected, naming it', (version) => {
    expect(idFields(version).length).toBeGreaterThan(2);
    for (const abi of ABIS) {
      for (const f of idFields(version)) {
        const b = encode(version === 4 ? V4_MSG : V6_MSG, { abi });
        b.fill(0x31, at(abi, version, f.name), at(abi, version, f.name) + f.size);
        const e = decodeError(() => decode(b));
        expect([e.code, e.field]).toEqual(['UNTERMINATED_STRING', `dhcpv${version}.${f.name}`]);
      }
    }
  });

  it.each([4, 6] as const)('decodes each v%i free-text field at full width and lists it as truncated', (version) => {
    expect(textFields(version).length).toBeGreaterThan(3);
    for (const abi of ABIS) {
      for (const f of textFields(version)) {
        const b = encode(version === 4 ? V4_MSG : V6_MSG, { abi });
        b.fill(0x7a, at(abi, version, f.name), at(abi, version, f.name) + f.size);
        const got = decode(b);
        expect(got.truncated).toEqual([`dhcpv${version}.${f.name}`]);
        const lease = (got.msg.version === 4 ? got.msg.dhcpv4 : got.msg.dhcpv6) as unknown as Record<string, unknown>;
        const value = f.name.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], lease);
        expect(value).toBe('z'.repeat(f.size));
      }
    }
  });

  it('BAD_BOOL: a bool byte other than 0 or 1', () => {
    const cases: Array<[4 | 6, string]> = [[4, 'addressAssigned'], [4, 'mtuAssigned'], [6, 'iaPd.assigned'], [6, 'vendor.assigned']];
    for (const abi of ABIS) {
      for (const [version, name] of cases) {
        for (const v of [2, 0x80, 0xff]) {
          const b = encode(version === 4 ? V4_MSG : V6_MSG, { abi });
          b[at(abi, version, name)] = v;
          const e = decodeError(() => decode(b));
          expect([e.code, e.field]).toEqual(['BAD_BOOL', `dhcpv${version}.${name}`]);
        }
      }
    }
  });

  it('NONZERO_PADDING: LP64 bytes 36..39, padding inside the structs, unused union bytes, next', () => {
    const poke = (abi: Abi, m: PluginMsg, pos: number): string => {
      const b = encode(m, { abi });
      b[pos] = 1;
      return decodeError(() => decode(b)).code;
    };
    for (const p of [36, 37, 38, 39]) expect(poke('lp64', V4_MSG, p)).toBe('NONZERO_PADDING');
    for (const abi of ABIS) {
      const u = LAYOUTS[abi].unionOffset;
      const ptr = LAYOUTS[abi].pointerSize;
      // v4: between isTimeOffsetAssigned..timeZone end (341) and upstreamCurrRate (344); mtuAssigned (480) and mtuSize (484)
      for (const p of [342, 343, 481, 483]) expect(poke(abi, V4_MSG, u + p)).toBe('NONZERO_PADDING');
      for (let p = 0; p < ptr; p++) expect(poke(abi, V4_MSG, u + V4_NEXT_OFFSET + p)).toBe('NONZERO_PADDING');
      // union bytes past the v4 struct, up to the end of the message
      for (const p of [LAYOUTS[abi].v4Size, 700, 1000, LAYOUTS[abi].v6Size - 1]) expect(poke(abi, V4_MSG, u + p)).toBe('NONZERO_PADDING');
      // v6: after ifname (33..35), after ia_na.address (85..87), before vendor (698, 699)
      for (const p of [33, 35, 85, 87, 157, 698, 699]) expect(poke(abi, V6_MSG, u + p)).toBe('NONZERO_PADDING');
      for (let p = 0; p < ptr; p++) expect(poke(abi, V6_MSG, u + V6_NEXT_OFFSET + p)).toBe('NONZERO_PADDING');
    }
  });

  it('reports a wrong version before anything else, whatever else is wrong', () => {
    const b = lp4();
    b.fill(0xff);
    b.writeUInt32LE(9, OUTER_VERSION_OFFSET);
    expect(decodeError(() => decode(b)).code).toBe('BAD_VERSION');
  });
});

describe('encode errors', () => {
  it('STRING_TOO_LONG: an id/term value that leaves no room for the NUL, a text value over the width', () => {
    const cases: PluginMsg[] = [
      { ...V4_MSG, ifname: fill(32, 'x') },
      { ...V4_MSG, dhcpv4: { ...(V4_MSG as { dhcpv4: object }).dhcpv4, address: fill(32, '1') } } as PluginMsg,
      { ...V4_MSG, dhcpv4: { ...(V4_MSG as { dhcpv4: object }).dhcpv4, staticRoutes: fill(65, '1') } } as PluginMsg,
    ];
    const fields = ['ifname', 'dhcpv4.address', 'dhcpv4.staticRoutes'];
    cases.forEach((m, k) => {
      const e = encodeError(() => encode(m));
      expect([e.code, e.field]).toEqual(['STRING_TOO_LONG', fields[k]]);
    });
    // text at full width is fine (the C plugins do it), id one short of full width is fine
    expect(() => encode({ ...V4_MSG, dhcpv4: { ...(V4_MSG as { dhcpv4: object }).dhcpv4, staticRoutes: fill(64, '1'), address: fill(31, '1') } } as PluginMsg)).not.toThrow();
  });

  it('STRING_TOO_LONG on v6 term fields: vendor.data holds 255, dns.nameserver 127', () => {
    const v6 = (V6_MSG as Extract<PluginMsg, { version: 6 }>).dhcpv6;
    const e1 = encodeError(() => encode({ ...V6_MSG, dhcpv6: { ...v6, vendor: { ...v6.vendor, data: fill(256, 'v') } } } as PluginMsg));
    expect([e1.code, e1.field]).toEqual(['STRING_TOO_LONG', 'dhcpv6.vendor.data']);
    const e2 = encodeError(() => encode({ ...V6_MSG, dhcpv6: { ...v6, dns: { ...v6.dns, nameserver: fill(128, 'n') } } } as PluginMsg));
    expect([e2.code, e2.field]).toEqual(['STRING_TOO_LONG', 'dhcpv6.dns.nameserver']);
  });

  it('BAD_STRING: a NUL, a character above U+00FF, or not a string', () => {
    for (const bad of ['a\0b', 'caf\u20ac', 42, undefined]) {
      const e = encodeError(() => encode({ ...V4_MSG, ifname: bad as string }));
      expect([e.code, e.field]).toEqual(['BAD_STRING', 'ifname']);
    }
  });

  it('BAD_INTEGER: out of range, fractional or not a number', () => {
    const v4 = (V4_MSG as Extract<PluginMsg, { version: 4 }>).dhcpv4;
    const u32s: unknown[] = [-1, 2 ** 32, 1.5, NaN, Infinity, '1', undefined];
    for (const bad of u32s) {
      const e = encodeError(() => encode({ ...V4_MSG, dhcpv4: { ...v4, leaseTime: bad as number } } as PluginMsg));
      expect([e.code, e.field]).toEqual(['BAD_INTEGER', 'dhcpv4.leaseTime']);
    }
    for (const bad of [2 ** 31, -(2 ** 31) - 1, 0.1]) {
      const e = encodeError(() => encode({ ...V4_MSG, dhcpv4: { ...v4, timeOffset: bad } } as PluginMsg));
      expect([e.code, e.field]).toEqual(['BAD_INTEGER', 'dhcpv4.timeOffset']);
    }
  });

  it('BAD_BOOL: a bool field that is not true or false', () => {
    const v6 = (V6_MSG as Extract<PluginMsg, { version: 6 }>).dhcpv6;
    for (const bad of [1, 0, 'yes', undefined, null]) {
      const e = encodeError(() => encode({ ...V6_MSG, dhcpv6: { ...v6, iaNa: { ...v6.iaNa, assigned: bad as unknown as boolean } } } as PluginMsg));
      expect([e.code, e.field]).toEqual(['BAD_BOOL', 'dhcpv6.iaNa.assigned']);
    }
  });

  it('BAD_VERSION: a version other than 4 or 6', () => {
    for (const v of [0, 1, 5, '4', undefined]) {
      expect(encodeError(() => encode({ ...V4_MSG, version: v } as unknown as PluginMsg)).code).toBe('BAD_VERSION');
    }
  });

  it('MISSING_FIELD: no lease object, a missing sub-object, or no message at all', () => {
    const v6 = (V6_MSG as Extract<PluginMsg, { version: 6 }>).dhcpv6;
    expect(encodeError(() => encode({ version: 4, ifname: 'x' } as unknown as PluginMsg)).code).toBe('MISSING_FIELD');
    expect(encodeError(() => encode({ version: 6, ifname: 'x', dhcpv4: {} } as unknown as PluginMsg)).code).toBe('MISSING_FIELD');
    const { iaPd: _drop, ...noPd } = v6;
    const e = encodeError(() => encode({ ...V6_MSG, dhcpv6: noPd } as unknown as PluginMsg));
    expect([e.code, e.field?.startsWith('dhcpv6.iaPd.')]).toEqual(['MISSING_FIELD', true]);
    for (const m of [null, undefined, 7]) expect(encodeError(() => encode(m as unknown as PluginMsg)).code).toBe('MISSING_FIELD');
  });

  it('BAD_ABI: an unknown ABI name, in encode and encodingLength', () => {
    expect(encodeError(() => encode(V4_MSG, { abi: 'x86' as Abi })).code).toBe('BAD_ABI');
    expect(encodeError(() => encodingLength('x86' as Abi)).code).toBe('BAD_ABI');
  });

  it('SHORT_BUFFER: a target buffer too small at that offset, or a bad offset', () => {
    expect(encodeError(() => encode(V4_MSG, { buf: Buffer.alloc(1463) })).code).toBe('SHORT_BUFFER');
    expect(encodeError(() => encode(V4_MSG, { abi: 'ilp32', buf: Buffer.alloc(1500), offset: 45 })).code).toBe('SHORT_BUFFER');
    expect(encodeError(() => encode(V4_MSG, { buf: Buffer.alloc(2000), offset: -1 })).code).toBe('SHORT_BUFFER');
    expect(encodeError(() => encode(V4_MSG, { buf: Buffer.alloc(2000), offset: 1.5 })).code).toBe('SHORT_BUFFER');
    expect(() => encode(V4_MSG, { abi: 'ilp32', buf: Buffer.alloc(1500), offset: 44 })).not.toThrow();
  });
});
