import { EnvelopeError, EnvelopeMeta, decodeAck, decodeEnvelope, encodeAck, encodeEnvelope } from './envelope';

// The header layout of docs/wire-format.md ("Acknowledged channel"), byte for byte.
const meta: EnvelopeMeta = {
  bootId: Buffer.from('00112233445566778899aabbccddeeff', 'hex'),
  monotonicNs: 0x0102030405060708n,
  wallUs: 0xf1f2f3f4f5f6f7f8n,
  senderPid: 0x0a0b0c0d,
};

describe('envelope bytes', () => {
  it('lays out the 48-byte header little-endian, then the payload unchanged', () => {
    const out = encodeEnvelope(Buffer.from([0xde, 0xad, 0xbe]), meta);
    expect(out.toString('hex')).toBe(
      '444d4752' + '01' + '00' + '0300' // magic 'DMGR', version 1, flags 0, payload length 3
      + '00112233445566778899aabbccddeeff' // boot id
      + '0807060504030201' // monotonic ns
      + 'f8f7f6f5f4f3f2f1' // wall-clock us
      + '0d0c0b0a' + '00000000' // sender pid, reserved
      + 'deadbe',
    );
    expect(decodeEnvelope(out)).toEqual({ ...meta, payload: Buffer.from([0xde, 0xad, 0xbe]), authenticated: false });
  });

  it('writes only its own bytes when the payload and boot id are views into larger buffers', () => {
    const slab = Buffer.alloc(64, 0xee);
    const payload = slab.subarray(10, 14).fill(0x42);
    const bootId = slab.subarray(20, 36).fill(0x07);
    const out = encodeEnvelope(payload, { ...meta, bootId });
    expect(out.length).toBe(52);
    expect(out.subarray(8, 24).equals(Buffer.alloc(16, 0x07))).toBe(true);
    expect(out.subarray(48).equals(Buffer.alloc(4, 0x42))).toBe(true);
    expect(out.subarray(44, 48).equals(Buffer.alloc(4))).toBe(true);
  });

  it('refuses what the header cannot hold: a payload over 65535 bytes, times outside 64 unsigned bits', () => {
    expect(() => encodeEnvelope(Buffer.alloc(0x10000), meta)).toThrow(RangeError);
    expect(() => encodeEnvelope(Buffer.alloc(1), { ...meta, monotonicNs: -1n })).toThrow(RangeError);
    expect(() => encodeEnvelope(Buffer.alloc(1), { ...meta, wallUs: 1n << 64n })).toThrow(RangeError);
    expect(encodeEnvelope(Buffer.alloc(0xffff), { ...meta, wallUs: (1n << 64n) - 1n }).length).toBe(48 + 0xffff);
  });
});

describe('acks', () => {
  it('reads an ack that starts inside a larger buffer (a received frame need not start its slab)', () => {
    const ack = encodeAck({ status: 'rejected', reason: 'BAD_IFNAME' });
    const slab = Buffer.alloc(ack.length + 5, 0xff);
    ack.copy(slab, 5);
    expect(decodeAck(slab.subarray(5))).toEqual({ status: 'rejected', reason: 'BAD_IFNAME' });
    expect(decodeAck(encodeAck({ status: 'applied', reason: '' }))).toEqual({ status: 'applied', reason: '' });
  });

  it('throws BAD_ENVELOPE for a wrong magic, a length that disagrees, or an unknown status', () => {
    const good = encodeAck({ status: 'stale', reason: 'x' });
    const bad = [Buffer.from(good).fill(0, 0, 1), good.subarray(0, good.length - 1), Buffer.from(good).fill(9, 5, 6)];
    for (const b of bad) expect(() => decodeAck(b)).toThrow(EnvelopeError);
  });
});
