/**
 * Byte identity with a C twin of the RDK-B udhcpc plugin (compiled here with gcc from
 * __fixtures__/udhcpc_twin.c). Our plugin fills mtuAssigned/mtuSize and, from a numeric
 * `timezone`, timeOffset/isTimeOffsetAssigned, which the C plugin leaves 0: those fields are
 * masked and checked on their own; every other byte must be equal.
 */
import { join } from 'path';
import { LAYOUTS, encode } from '@dhcpmgr/plugin-msg';
import { envToMsg } from './envToMsg';
import { buildTwin, loadFixtures, masked, runTwin } from '@dhcpmgr/plugin-msg/testing';

/** Where the lease union starts in an LP64 frame (the twins are built for this machine). */
const U = LAYOUTS.lp64.unionOffset;

let twin: { bin: string; cleanup(): void };
beforeAll(() => { twin = buildTwin(join(__dirname, '__fixtures__', 'udhcpc_twin.c')); });
afterAll(() => twin?.cleanup());

const OURS_ONLY = ['dhcpv4.mtuAssigned', 'dhcpv4.mtuSize'];
const OFFSET = ['dhcpv4.timeOffset', 'dhcpv4.isTimeOffsetAssigned'];

function ours(event: string, env: Record<string, string>): Buffer {
  const r = envToMsg(event, env);
  if (r.ok !== true) throw new Error(`envToMsg refused: ${JSON.stringify(r)}`);
  return encode(r.msg, { abi: 'lp64' });
}

describe('udhcpc plugin vs the C twin', () => {
  it.each(loadFixtures(join(__dirname, '__fixtures__')).map((f) => [f.name, f] as const))('agrees byte for byte on %s (mtu masked)', (_n, f) => {
    const c = runTwin(twin.bin, f.event, f.env);
    if (f.event === 'nak') {
      expect(c.length).toBe(0);
      expect(envToMsg(f.event, f.env).ok).toBe('ignore');
      return;
    }
    expect(c.length).toBe(1464);
    const o = ours(f.event, f.env);
    expect(masked(o, c, OURS_ONLY).equals(c)).toBe(true);
    // The difference is exactly the MTU we fill from busybox's `mtu`.
    expect(o.equals(c)).toBe(f.env.mtu === undefined || !['bound', 'renew'].includes(f.event));
  });

  const base = { interface: 'wan0', ip: '100.64.1.2', subnet: '255.255.252.0', router: '100.64.0.1', serverid: '100.64.0.1' };
  const agree: Array<[string, Record<string, string>]> = [
    ['atoi skips leading spaces', { ...base, lease: '  77' }],
    ['atoi takes a plus sign', { ...base, lease: '+77', upstreamrate: '+1000' }],
    ['the top u32 value (atoi keeps the low 32 bits)', { ...base, lease: '4294967295', downstreamrate: '4294967295' }],
    ['hex opt58/opt59 in upper and lower case, short and full', { ...base, opt58: '3C', opt59: '0000ffff' }],
    ['an empty renewaltime blocks the opt58 fallback', { ...base, renewaltime: '', opt58: '0000003c', rebindingtime: '', opt59: '00000069' }],
    ['decimal renewaltime/rebindingtime win over the hex', { ...base, renewaltime: '30', opt58: '3c', rebindingtime: '50', opt59: '69' }],
    ['several dns tokens: the first two, consecutive spaces collapsed', { ...base, dns: '1.1.1.1  8.8.8.8 9.9.9.9 4.4.4.4' }],
    ['a single dns token', { ...base, dns: '1.1.1.1' }],
    ['several routers kept whole', { ...base, router: '100.64.0.1 100.64.0.2' }],
    ['a signed timeoffset', { ...base, timeoffset: '-18000' }],
    ['a TZ string in timezone', { ...base, timezone: 'EST5EDT' }],
    ['strings that exactly fill their arrays', { ...base, staticroutes: 's'.repeat(64), sipsrv: 'p'.repeat(64), serverid: 'i'.repeat(64), router: '100.64.0.1 100.64.0.2 100.64.0.3' }],
    ['deconfig ignores the lease variables', { ...base, lease: 'junk', ip: 'junk' }],
  ];
  it.each(agree)('agrees byte for byte: %s', (what, env) => {
    const event = what.startsWith('deconfig') ? 'deconfig' : 'bound';
    const c = runTwin(twin.bin, event, env);
    expect(ours(event, env).equals(c)).toBe(true);
  });

  it('agrees except for the time offset we read from a numeric timezone', () => {
    const env = { ...base, timezone: '3600' };
    const c = runTwin(twin.bin, 'renew', env);
    const o = ours('renew', env);
    expect(o.equals(c)).toBe(false);
    expect(masked(o, c, OFFSET).equals(c)).toBe(true);
  });

  // Where the C plugin cuts or misreads, we refuse: the twin shows what C would have sent.
  const differ: Array<[string, Record<string, string>, string, (c: Buffer) => void]> = [
    ['"77abc" (C reads 77)', { ...base, lease: '77abc' }, 'lease', (c) => expect(c.readUInt32LE(U + 260)).toBe(77)],
    ['"-1" (C sends 4294967295)', { ...base, lease: '-1' }, 'lease', (c) => expect(c.readUInt32LE(U + 260)).toBe(0xffffffff)],
    ['a 65-byte staticroutes (C cuts it to 64, unterminated)', { ...base, staticroutes: 'r'.repeat(65) }, 'staticroutes', (c) => expect(c.toString('latin1', U + 552, U + 616)).toBe('r'.repeat(64))],
    ['opt58 "zz3c" (C skips the z)', { ...base, opt58: 'zz3c' }, 'opt58', (c) => expect(c.readUInt32LE(U + 268)).toBe(0x3c)],
    ['an unparsable ip (C sends the text)', { ...base, ip: 'not-an-ip' }, 'ip', (c) => expect(c.toString('latin1', U + 2, U + 11)).toBe('not-an-ip')],
  ];
  it.each(differ)('refuses what C would misread: %s', (_what, env, variable, checkC) => {
    checkC(runTwin(twin.bin, 'bound', env));
    expect(envToMsg('bound', env)).toMatchObject({ ok: false, variable });
  });
});
