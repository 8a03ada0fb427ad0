import { carve, formatIpv6, parseIpv6 } from './lanprefix';

describe('carving a delegated prefix into LAN /64s', () => {
  const lans = [{ ifname: 'br-lan', id: 0 }, { ifname: 'br-guest', id: 1 }, { ifname: 'br-iot', id: 255 }];

  it('gives each LAN interface the /64 of its subnet id and ::1 in it', () => {
    expect(carve('2001:db8:100::', 56, lans)).toEqual({
      carved: [
        { ifname: 'br-lan', subnet: '2001:db8:100::/64', cidr: '2001:db8:100::1/64' },
        { ifname: 'br-guest', subnet: '2001:db8:100:1::/64', cidr: '2001:db8:100:1::1/64' },
        { ifname: 'br-iot', subnet: '2001:db8:100:ff::/64', cidr: '2001:db8:100:ff::1/64' },
      ],
      problems: [],
    });
  });

  it('clears host bits of the delegated prefix before adding the subnet id', () => {
    expect(carve('2001:db8:100:ab::', 48, [{ ifname: 'br-lan', id: 2 }]).carved[0]!.cidr).toBe('2001:db8:100:2::1/64');
  });

  it('reports interfaces whose subnet id does not fit, and assigns the others', () => {
    const r = carve('2001:db8:100:fe::', 63, lans);
    expect(r.carved).toEqual([
      { ifname: 'br-lan', subnet: '2001:db8:100:fe::/64', cidr: '2001:db8:100:fe::1/64' },
      { ifname: 'br-guest', subnet: '2001:db8:100:ff::/64', cidr: '2001:db8:100:ff::1/64' },
    ]);
    expect(r.problems).toEqual([{ ifname: 'br-iot', id: 255, reason: 'delegated prefix 2001:db8:100:fe::/63 has 2 /64 subnets: subnet id 255 does not fit' }]);
  });

  it('assigns nothing from a /64 beyond id 0, and nothing at all from a prefix longer than /64', () => {
    expect(carve('fd00:77:100::', 64, lans).carved.map((c) => c.ifname)).toEqual(['br-lan']);
    const r = carve('fd00:77:100::', 72, lans);
    expect(r.carved).toEqual([]);
    expect(r.problems.map((p) => p.reason)).toEqual(Array(3).fill('delegated prefix fd00:77:100::/72 is longer than /64: no /64 for a LAN'));
  });

  it('round-trips IPv6 text in RFC 5952 form and refuses bad text', () => {
    expect(formatIpv6(parseIpv6('2001:0DB8:0:0:1:0:0:1')!)).toBe('2001:db8::1:0:0:1');
    expect(formatIpv6(parseIpv6('::')!)).toBe('::');
    expect(formatIpv6(parseIpv6('1:2:3:4:5:6:7:8')!)).toBe('1:2:3:4:5:6:7:8');
    for (const bad of ['1::2::3', '12345::', '1:2:3', 'g::1', '']) expect(parseIpv6(bad)).toBeUndefined();
    expect(carve('nonsense', 56, [{ ifname: 'br-lan', id: 0 }]).problems[0]!.reason).toBe('delegated prefix nonsense/56 is not an IPv6 prefix');
  });
});
