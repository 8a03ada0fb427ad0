import type { V4Record, V6Record } from '../model/types';
import { decodeRecord, encodeRecord, encodeRecordShared, encodeRecordV4 } from './record-codec';

const BOOT = '0123456789abcdef0123456789abcdef';

const v4: V4Record = {
  version: 4, state: 'bound',
  lease: {
    address: '10.0.0.2', netmask: '255.255.255.0', prefixLength: 24, broadcast: '10.0.0.255', routers: ['10.0.0.1'],
    dnsServers: ['192.0.2.53', '192.0.2.54'], dhcpServer: '10.0.0.1', leaseTime: 3600, renewalTime: 1800, rebindingTime: 3150,
    boot: BOOT, obtainedMono: 9_614_644.342, expiresMono: 13_214_644.342, obtainedAt: 1_700_000_000_000, expiresAt: 1_700_003_600_000,
    timeOffset: null, timeZone: 'CET-1"CEST\\\\', mtu: 1500, sipServer: '', staticRoutes: '10.1.0.0/16 10.0.0.1', upstreamRate: 0, downstreamRate: 7,
  },
  updatedAt: 1_700_000_000_123,
};

const v6: V6Record = {
  version: 6, state: 'update',
  na: {
    address: '2001:db8::2', iaid: 1, preferred: 1800, valid: 0xffffffff, t1: 900, t2: 1440, boot: BOOT, obtainedMono: 5,
    preferredMono: 1_800_005, validMono: null, obtainedAt: 1_700_000_000_000, preferredUntil: 1_700_001_800_000, validUntil: null,
  },
  pd: null,
  dnsServers: ['2001:db8::53'], domains: ['example.org', 'lan'], ntpServers: [], aftr: 'aftr.example', mapt: '',
  vendor: { data: '00:01', length: 2 }, timeOffset: -3600, updatedAt: 1_700_000_000_000,
};

describe('stored lease records', () => {
  it.each([['v4', v4], ['v6', v6], ['v4 without a lease', { version: 4, state: 'deconfig', lease: null, updatedAt: 5 } as V4Record]])(
    'decodes a %s record to an equal one, fields in the order the handlers write them', (_n, r) => {
      const back = decodeRecord(encodeRecord(r));
      expect(back).toEqual(r);
      expect(Object.keys(back)).toEqual(Object.keys(r));
      if (r.version === 4 && r.lease) expect(Object.keys((back as V4Record).lease!)).toEqual(Object.keys(r.lease));
    });

  it('stores values only, in table order, numbers as their 8 bytes and small integers as varints', () => {
    const bytes = encodeRecord(v6);
    // Version byte, then the version field (UINT 6), then the state (STR, length 6, "update").
    expect([...bytes.subarray(0, 5)]).toEqual([6, 1, 6, 3, 6]);
    expect(bytes.subarray(5, 11).toString('latin1')).toBe('update');
    expect(bytes.includes(Buffer.from('preferredMono'))).toBe(false);
    // obtainedAt of the NA as the little-endian double.
    const wall = Buffer.alloc(8);
    wall.writeDoubleLE(1_700_000_000_000);
    expect(bytes.includes(wall)).toBe(true);
    expect(bytes.length).toBeLessThan(encodeRecordV4(v6).length);
  });

  it('keeps non-ASCII text, negative, fractional and large numbers, and an empty list exactly', () => {
    const r: V6Record = { ...v6, state: 'état ✓', domains: ['bücher.example', ''], timeOffset: -0.5, updatedAt: 2 ** 53 - 1 };
    expect(decodeRecord(encodeRecord(r))).toEqual(r);
    const long = { ...v6, aftr: 'x'.repeat(70_000) };
    expect(decodeRecord(encodeRecord(long))).toEqual(long);
  });

  it('shares one buffer between calls of encodeRecordShared; encodeRecord returns a copy of its own', () => {
    const a = encodeRecord(v4);
    const shared = encodeRecordShared(v4);
    expect(shared.equals(a)).toBe(true);
    encodeRecordShared(v6);
    expect(shared.equals(a)).toBe(false);
    expect(decodeRecord(a)).toEqual(v4);
  });

  it('reads a record stored as schema 4 did (a JSON array)', () => {
    const text = encodeRecordV4(v6);
    expect(JSON.parse(text).slice(0, 3)).toEqual([6, 'update', ['2001:db8::2', 1, 1800, 0xffffffff, 900, 1440, BOOT, 5, 1_800_005, null,
      1_700_000_000_000, 1_700_001_800_000, null]]);
    expect(decodeRecord(text)).toEqual(v6);
  });

  it('reads a record stored as a JSON object (schemas 1-3)', () => {
    expect(decodeRecord(JSON.stringify(v4))).toEqual(v4);
  });

  it('refuses bytes that end inside a value, hold more than a record, or carry an unknown tag or version', () => {
    const bytes = encodeRecord(v4);
    expect(() => decodeRecord(bytes.subarray(0, bytes.length - 3))).toThrow(/end inside a value/);
    expect(() => decodeRecord(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/more than one record/);
    expect(() => decodeRecord(Buffer.from([4, 1, 4, 99]))).toThrow(/unexpected value tag 99 at byte 3/);
    expect(() => decodeRecord(Buffer.from([5, 1, 5]))).toThrow(/unknown version 5/);
    expect(() => decodeRecord(Buffer.from([4, 1, 6, 0, 0, 0]))).toThrow(/version byte 4, version field 6/);
  });

  it('refuses an array of another length or version, naming it', () => {
    expect(() => decodeRecord('[4, "bound", null]')).toThrow(/expected 4 values/);
    expect(() => decodeRecord('[5, "x"]')).toThrow(/unknown version 5/);
    expect(() => decodeRecord(JSON.stringify([6, 'update', [1, 2], null, [], [], [], '', '', null, 0, 0]))).toThrow(/expected 13 values/);
  });
});
