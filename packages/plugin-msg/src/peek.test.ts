/**
 * peekFrame reads what decode reads for the fields it covers, on random valid messages of both
 * ABIs and on the bytes gcc lays out (gcc and gcc-multilib required, as for codec.golden.test.ts),
 * and gives up (undefined) where those fields cannot be read.
 */
import fc from 'fast-check';
import { decodeFrame, encode } from './codec';
import { Abi, ABIS, LAYOUTS, OUTER_VERSION_OFFSET } from './layout';
import { peekFrame } from './peek';
import { emptyV4Lease, emptyV6Lease } from './types';
import { abiArb, msgArb } from './__fixtures__/arbitraries';
import { compileSections, goldenSource } from './__fixtures__/cgolden';
import { GOLDEN, GOLDEN_SECTIONS } from './__fixtures__/golden';

describe('peekFrame', () => {
  it('agrees with decodeFrame on interface, version, ABI, isExpired and dhcpState', () => {
    fc.assert(fc.property(msgArb, abiArb, (msg, abi) => {
      const frame = encode(msg, { abi });
      const { msg: m } = decodeFrame(frame);
      expect(peekFrame(frame)).toEqual({
        abi, version: m.version, ifname: m.ifname,
        isExpired: m.version === 4 ? m.dhcpv4.isExpired : m.dhcpv6.isExpired,
        dhcpState: m.version === 4 ? m.dhcpv4.dhcpState : '',
      });
    }), { numRuns: 500 });
  });

  it.each(ABIS.map((abi) => [abi]))('reads the messages gcc laid out for %s', (abi: Abi) => {
    const sections = compileSections(abi, goldenSource(), GOLDEN_SECTIONS);
    for (const name of GOLDEN_SECTIONS) {
      const msg = GOLDEN[name]!;
      expect([name, peekFrame(sections.get(name)!)]).toEqual([name, {
        abi, version: msg.version, ifname: msg.ifname,
        isExpired: msg.version === 4 ? msg.dhcpv4.isExpired : msg.dhcpv6.isExpired,
        dhcpState: msg.version === 4 ? msg.dhcpv4.dhcpState : '',
      }]);
    }
  });

  it('tells a lease end from a renewal', () => {
    const renew = encode({ version: 4, ifname: 'erouter0', dhcpv4: { ...emptyV4Lease(), ifname: 'erouter0', dhcpState: 'renew' } });
    const deconfig = encode({ version: 4, ifname: 'erouter0', dhcpv4: { ...emptyV4Lease(), ifname: 'erouter0', dhcpState: 'deconfig', isExpired: true } }, { abi: 'ilp32' });
    const expired6 = encode({ version: 6, ifname: 'erouter0', dhcpv6: { ...emptyV6Lease(), ifname: 'erouter0', isExpired: true } });
    expect(peekFrame(renew)).toEqual({ abi: 'lp64', version: 4, ifname: 'erouter0', isExpired: false, dhcpState: 'renew' });
    expect(peekFrame(deconfig)).toEqual({ abi: 'ilp32', version: 4, ifname: 'erouter0', isExpired: true, dhcpState: 'deconfig' });
    expect(peekFrame(expired6)).toEqual({ abi: 'lp64', version: 6, ifname: 'erouter0', isExpired: true, dhcpState: '' });
  });

  it('gives up on a size of neither ABI, a bad version or an unterminated interface name', () => {
    const good = encode({ version: 4, ifname: 'erouter0', dhcpv4: { ...emptyV4Lease(), ifname: 'erouter0' } });
    expect(peekFrame(good.subarray(0, 100))).toBeUndefined();
    expect(peekFrame(Buffer.concat([good, Buffer.alloc(1)]))).toBeUndefined();
    expect(peekFrame(Buffer.alloc(0))).toBeUndefined();
    const badVersion = Buffer.from(good);
    badVersion.writeUInt32LE(2, OUTER_VERSION_OFFSET);
    expect(peekFrame(badVersion)).toBeUndefined();
    const noNul = Buffer.from(good);
    noNul.fill(0x41, 0, 32);
    expect(peekFrame(noNul)).toBeUndefined();
    expect(peekFrame(Buffer.alloc(LAYOUTS.ilp32.size))).toEqual({ abi: 'ilp32', version: 4, ifname: '', isExpired: false, dhcpState: '' });
  });
});
