/**
 * Byte identity with gcc's layout of PLUGIN_MSG (our header, __fixtures__/plugin_msg.h), for
 * LP64 (-m64) and ILP32 (-m32). The C objects are compiled, never run, and their sections read
 * with objcopy. gcc, gcc-multilib and binutils are required: without them these tests fail.
 */
import fc from 'fast-check';
import { decode, encode } from './codec';
import { Abi, ABIS, LAYOUTS, OUTER_IFNAME, OUTER_VERSION_OFFSET, V4_FIELDS, V4_NEXT_OFFSET, V6_FIELDS, V6_NEXT_OFFSET } from './layout';
import { PluginMsg } from './types';
import { CLayoutEntry, cArraySource, compileSections, goldenSource, parseLayoutTable } from './__fixtures__/cgolden';
import { GOLDEN, GOLDEN_SECTIONS } from './__fixtures__/golden';
import { msgArb } from './__fixtures__/arbitraries';

/** Independent of layout.ts: the numbers the spec gives. */
const EXPECTED = {
  lp64: { msg: 1464, union: 40, v4: 624, v6: 1424, ptr: 8 },
  ilp32: { msg: 1456, union: 36, v4: 620, v6: 1420, ptr: 4 },
} as const;

/** Free-text fields that golden.c fills to the last byte (no NUL), by instance. */
const EXPECTED_TRUNCATED: Record<string, string[]> = {
  gold_v4_bound: [],
  gold_v4_edge: [
    'dhcpv4.gateway', 'dhcpv4.dnsServer', 'dhcpv4.dnsServer1', 'dhcpv4.timeZone',
    'dhcpv4.dhcpServerId', 'dhcpv4.sipSrv', 'dhcpv4.staticRoutes',
  ],
  gold_v6_add: [],
  gold_v6_edge: ['dhcpv6.mapt.container', 'dhcpv6.domainName', 'dhcpv6.ntpServer', 'dhcpv6.aftr'],
};

describe.each(ABIS.map((abi) => [abi]))('PLUGIN_MSG compiled by gcc for %s', (abi: Abi) => {
  let sections: Map<string, Buffer>;
  let rows: Map<string, CLayoutEntry>;

  beforeAll(() => {
    sections = compileSections(abi, goldenSource(), [...GOLDEN_SECTIONS, 'gold_layout']);
    rows = new Map(parseLayoutTable(sections.get('gold_layout')!).map((r) => [r.name, r]));
  });

  const row = (name: string): CLayoutEntry => {
    const r = rows.get(name);
    if (!r) throw new Error(`golden.c has no layout row ${name}`);
    return r;
  };

  it('has the struct sizes and union start the spec gives, and layout.ts agrees', () => {
    const want = EXPECTED[abi];
    const got = {
      msg: row('sizeof.PLUGIN_MSG').size, union: row('msg.data').offset,
      v4: row('sizeof.DHCPv4_PLUGIN_MSG').size, v6: row('sizeof.DHCPv6_PLUGIN_MSG').size,
      ptr: row('v4.next').size,
    };
    expect(got).toEqual(want);
    const l = LAYOUTS[abi];
    expect({ msg: l.size, union: l.unionOffset, v4: l.v4Size, v6: l.v6Size, ptr: l.pointerSize }).toEqual(want);
    expect(row('msg.data.dhcpv4').offset).toBe(l.unionOffset);
    expect(row('msg.data.dhcpv6').offset).toBe(l.unionOffset);
    expect(row('sizeof.bool').size).toBe(1);
    expect(row('sizeof.DHCP_SOURCE').size).toBe(4);
  });

  it('puts the outer ifname, version and both next pointers where layout.ts says', () => {
    expect(row('msg.ifname')).toMatchObject({ offset: OUTER_IFNAME.offset, size: OUTER_IFNAME.size });
    expect(row('msg.version')).toMatchObject({ offset: OUTER_VERSION_OFFSET, size: 4 });
    expect(row('v4.next')).toMatchObject({ offset: V4_NEXT_OFFSET, size: LAYOUTS[abi].pointerSize });
    expect(row('v6.next')).toMatchObject({ offset: V6_NEXT_OFFSET, size: LAYOUTS[abi].pointerSize });
  });

  it('has every DHCPv4 field at the offset and width of the layout table', () => {
    const got = V4_FIELDS.map((f) => ({ f: f.cName, ...pick(row(`v4.${f.cName}`)) }));
    expect(got).toEqual(V4_FIELDS.map((f) => ({ f: f.cName, offset: f.offset, size: f.size })));
  });

  it('has every DHCPv6 field at the offset and width of the layout table', () => {
    const got = V6_FIELDS.map((f) => ({ f: f.cName, ...pick(row(`v6.${f.cName}`)) }));
    expect(got).toEqual(V6_FIELDS.map((f) => ({ f: f.cName, offset: f.offset, size: f.size })));
  });

  it.each(GOLDEN_SECTIONS.map((s) => [s]))('encodes %s to the bytes gcc laid out', (section: string) => {
    const c = sections.get(section)!;
    expect(c.length).toBe(EXPECTED[abi].msg);
    expect(hexDiff(encode(GOLDEN[section]!, { abi }), c)).toBe('');
  });

  it.each(GOLDEN_SECTIONS.map((s) => [s]))('decodes the gcc bytes of %s back to its values', (section: string) => {
    const got = decode(sections.get(section)!);
    expect(got.abi).toBe(abi);
    expect(got.msg).toEqual(GOLDEN[section]);
    expect(got.truncated.sort()).toEqual([...EXPECTED_TRUNCATED[section]!].sort());
  });

  it('matches gcc byte for byte on 300 random valid messages', () => {
    const msgs: PluginMsg[] = fc.sample(msgArb, { numRuns: 300, seed: abi === 'lp64' ? 4 : 6 });
    const bytes = compileSections(abi, cArraySource('gold_random', msgs), ['gold_random']).get('gold_random')!;
    const size = LAYOUTS[abi].size;
    expect(bytes.length).toBe(size * msgs.length);
    msgs.forEach((m, k) => {
      const c = bytes.subarray(k * size, (k + 1) * size);
      const diff = hexDiff(encode(m, { abi }), c);
      if (diff) throw new Error(`random message ${k} differs from gcc: ${diff}`);
      expect(decode(c).msg).toEqual(m);
    });
  });
});

function pick(r: CLayoutEntry): { offset: number; size: number } {
  return { offset: r.offset, size: r.size };
}

/** '' when equal, else the first differing offsets, readable in a failure message. */
function hexDiff(ours: Buffer, theirs: Buffer): string {
  if (ours.equals(theirs)) return '';
  const out: string[] = [`lengths ${ours.length}/${theirs.length}`];
  for (let k = 0; k < Math.max(ours.length, theirs.length) && out.length < 9; k++) {
    if (ours[k] !== theirs[k]) out.push(`@${k}: ours ${ours[k]?.toString(16)} gcc ${theirs[k]?.toString(16)}`);
  }
  return out.join('; ');
}
