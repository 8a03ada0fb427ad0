import { LAYOUTS, encode } from '@dhcpmgr/plugin-msg';
import type { RejectReason } from './contract';
import { legacy, v4, v6 } from './__fixtures__/fixtures';
import { Harness, T0, memoryHarness } from './__fixtures__/harness';
import { escapeText, ifnameProblem, netmaskLength, prefixProblem } from './validate';

const U = LAYOUTS.lp64.unionOffset;
const mutate = (buf: Buffer, f: (b: Buffer) => void): Buffer => { f(buf); return buf; };

/** One frame per reason the engine itself can give, each built from C-layout bytes. */
const CASES: Array<[RejectReason, () => Buffer]> = [
  ['BAD_SIZE', () => encode(v4('eth0')).subarray(0, 1000)],
  ['BAD_VERSION', () => mutate(encode(v4('eth0')), (b) => b.writeUInt32LE(7, 32))],
  ['UNTERMINATED_STRING', () => mutate(encode(v4('eth0')), (b) => b.fill(0x61, 0, 32))],
  ['BAD_BOOL', () => mutate(encode(v4('eth0')), (b) => { b[U] = 2; })],
  ['NONZERO_PADDING', () => mutate(encode(v4('eth0')), (b) => { b[36] = 1; })],
  ['BAD_IFNAME', () => encode({ ...v4('eth0/x'), dhcpv4: { ...v4('eth0/x').dhcpv4 } })],
  ['IFNAME_MISMATCH', () => encode({ ...v4('eth0'), dhcpv4: { ...v4('eth0').dhcpv4, ifname: 'eth1' } })],
  ['IFNAME_NOT_ALLOWED', () => encode(v4('wan9'))],
  ['BAD_ADDRESS', () => encode(v4('eth0', { address: '192.168.1.300' }))],
  ['BAD_NETMASK', () => encode(v4('eth0', { netmask: '255.0.255.0' }))],
  ['BAD_PREFIX', () => encode(v6('eth0', { pd: { prefix: 'fd00:77:100:26::1' } }))],
  ['BAD_PREFIX_LENGTH', () => encode(v6('eth0', { pd: { prefixLength: 129 } }))],
  ['BAD_LIFETIME', () => encode(v6('eth0', { na: { preferredLifetime: 40, validLifetime: 30 } }))],
  ['BAD_STATE', () => encode(v4('eth0', { dhcpState: 'rebooting' }))],
];

describe('validation: every reject reason is counted, logged, published and returned', () => {
  let h: Harness;
  beforeEach(() => { h = memoryHarness({ interfaces: ['eth0', 'eth1', 'eth0/x'] }); });
  afterEach(() => h.cleanup());

  it.each(CASES)('rejects with %s and bumps dhcpmgr_rejected_total{reason}', async (reason, frame) => {
    const [r] = h.engine.ingestBatch([legacy(frame(), T0)]);
    expect(r).toMatchObject({ status: 'rejected', reason });
    expect(await h.metrics.value('dhcpmgr_rejected_total', { reason, channel: 'legacy' })).toBe(1);
    expect(await h.metrics.value('dhcpmgr_rejected_total')).toBe(1);
    expect(await h.metrics.value('dhcpmgr_ingest_results_total', { status: 'rejected' })).toBe(1);
    expect(h.rejects).toEqual([expect.objectContaining({ reason, channel: 'legacy', time: T0 })]);
    const lines = h.logLines.filter((l) => l.includes('message rejected'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ reason, channel: 'legacy' });
    expect(h.engine.stats().rejected[reason]).toBe(1);
    expect(h.events).toEqual([]);
  });

  it('applies nothing from a rejected message, and the next valid one still applies', () => {
    const results = h.engine.ingestBatch([legacy(CASES[8]![1](), T0), legacy(v4('eth0'), T0)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'applied']);
  });

  it('escapes control characters so a DHCP server cannot forge a log line', () => {
    const evil = 'a\nb\x1b[0m';
    const [r] = h.engine.ingestBatch([legacy(encode(v4('eth0', { dhcpState: evil })), T0)]);
    expect(r).toMatchObject({ status: 'rejected', reason: 'BAD_STATE' });
    const line = h.logLines.find((l) => l.includes('message rejected'))!;
    const detail = JSON.parse(line).detail as string;
    expect(detail).toContain('\\x0a');
    expect(detail).not.toMatch(/[\x00-\x1f]/);
    expect((r as { detail: string }).detail).not.toMatch(/[\x00-\x1f]/);
  });

  it('counts a free-text field that fills its array (accepted at full width)', async () => {
    const [r] = h.engine.ingestBatch([legacy(encode(v4('eth0', { staticRoutes: 'x'.repeat(64) })), T0)]);
    expect(r!.status).toBe('applied');
    expect(await h.metrics.value('dhcpmgr_truncated_fields_total', { field: 'dhcpv4.staticRoutes' })).toBe(1);
  });

  it('counts messages by channel and version, undecodable ones as unknown', async () => {
    h.engine.ingestBatch([legacy(v4('eth0'), T0), legacy(v6('eth0'), T0), legacy(Buffer.alloc(3), T0)]);
    expect(await h.metrics.value('dhcpmgr_messages_total', { channel: 'legacy', version: '4' })).toBe(1);
    expect(await h.metrics.value('dhcpmgr_messages_total', { channel: 'legacy', version: '6' })).toBe(1);
    expect(await h.metrics.value('dhcpmgr_messages_total', { channel: 'legacy', version: 'unknown' })).toBe(1);
  });

  it('accepts only the configured ABI when one is named', () => {
    const h32 = memoryHarness({ abi: 'ilp32' });
    try {
      const rs = h32.engine.ingestBatch([legacy(v4('eth0'), T0, 'lp64'), legacy(v4('eth0'), T0, 'ilp32')]);
      expect(rs.map((r) => r.status)).toEqual(['rejected', 'applied']);
    } finally { h32.cleanup(); }
  });

  it('creates instances for the allow-list at open, in its order', () => {
    expect(h.engine.get(['Device.DHCPv4.Client.2.X_DHCPMGR_IfName'])).toEqual({ ok: true, values: [{ path: 'Device.DHCPv4.Client.2.X_DHCPMGR_IfName', value: 'eth1', type: 'string' }] });
  });
});

describe('validation: field rules', () => {
  it.each(['eth0', 'erouter0', 'veth-cli', 'a', 'x'.repeat(15), 'br-lan.100'])('accepts the interface name %j', (n) => expect(ifnameProblem(n)).toBeUndefined());
  it.each([
    ['', 'empty interface name'],
    ['x'.repeat(16), 'interface name is 16 bytes; Linux allows 15'],
    ['.', 'interface name . is reserved'],
    ['..', 'interface name .. is reserved'],
    ['a/b', `interface name has byte 0x2f at 1 (no '/', ':', whitespace, control or non-ASCII)`],
    ['a:1', `interface name has byte 0x3a at 1 (no '/', ':', whitespace, control or non-ASCII)`],
    ['a b', `interface name has byte 0x20 at 1 (no '/', ':', whitespace, control or non-ASCII)`],
    ['a\tb', `interface name has byte 0x09 at 1 (no '/', ':', whitespace, control or non-ASCII)`],
    ['a\nb', `interface name has byte 0x0a at 1 (no '/', ':', whitespace, control or non-ASCII)`],
    ['caf\xe9', `interface name has byte 0xe9 at 3 (no '/', ':', whitespace, control or non-ASCII)`],
    ['a\x7f', `interface name has byte 0x7f at 1 (no '/', ':', whitespace, control or non-ASCII)`],
  ])('refuses the interface name %j: %s', (n, problem) => expect(ifnameProblem(n)).toBe(problem));
  it('derives prefix lengths from contiguous netmasks only', () => {
    expect(netmaskLength('255.255.255.0')).toBe(24);
    expect(netmaskLength('255.255.255.255')).toBe(32);
    expect(netmaskLength('128.0.0.0')).toBe(1);
    expect(netmaskLength('0.0.0.0')).toBe('netmask 0.0.0.0 has length 0');
    expect(netmaskLength('255.255.0.255')).toBe('netmask 255.255.0.255 is not contiguous');
    expect(netmaskLength('255.255.255')).toBe('netmask 255.255.255 is not an IPv4 address');
  });
  it('checks prefixes for bits beyond their length', () => {
    expect(prefixProblem('2001:db8::', 32)).toBeUndefined();
    expect(prefixProblem('2001:db8:8000::', 33)).toBeUndefined();
    expect(prefixProblem('2001:db8:8000::', 32)?.reason).toBe('BAD_PREFIX');
    expect(prefixProblem('::ffff:1.2.3.0', 120)).toBeUndefined();
    expect(prefixProblem('::ffff:1.2.3.4', 120)?.reason).toBe('BAD_PREFIX');
    expect(prefixProblem('2001:db8::', 0)?.reason).toBe('BAD_PREFIX_LENGTH');
    expect(prefixProblem('10.0.0.0', 8)?.reason).toBe('BAD_PREFIX');
  });
  it('escapes control, DEL, C1 and backslash bytes', () => {
    expect(escapeText('a\r\n\\\x7f\x85z')).toBe('a\\x0d\\x0a\\x5c\\x7f\\x85z');
  });
});
