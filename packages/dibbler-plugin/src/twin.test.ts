/**
 * Byte identity with a C twin of the RDK-B dibbler plugin (compiled here with gcc from
 * __fixtures__/dibbler_twin.c). Documented differences: we drop the trailing space dibbler puts
 * after list values (domainName, ntpserver, ...), and with several ADDRn/PREFIXn we may choose
 * another entry than n = 1. Those fields are masked only where the input triggers them.
 */
import { join } from 'path';
import { LAYOUTS, encode } from '@dhcpmgr/plugin-msg';
import { envToMsg } from './envToMsg';
import { buildTwin, loadFixtures, masked, runTwin } from '@dhcpmgr/plugin-msg/testing';

/** Where the lease union starts in an LP64 frame (the twins are built for this machine). */
const U = LAYOUTS.lp64.unionOffset;

let twin: { bin: string; cleanup(): void };
beforeAll(() => { twin = buildTwin(join(__dirname, '__fixtures__', 'dibbler_twin.c')); });
afterAll(() => twin?.cleanup());

function ours(event: string, env: Record<string, string>): Buffer {
  const r = envToMsg(event, env);
  if (r.ok !== true) throw new Error(`envToMsg refused: ${JSON.stringify(r)}`);
  return encode(r.msg, { abi: 'lp64' });
}

/** Fields whose source value ends in whitespace, which we trim and C keeps. */
function trimmed(env: Record<string, string>): string[] {
  const map: Record<string, string[]> = {
    SRV_OPTION24: ['dhcpv6.domainName'], SRV_OPTION31: ['dhcpv6.ntpServer'], SRV_OPTION64: ['dhcpv6.aftr'],
    SRV_OPTION95: ['dhcpv6.mapt.container'], SRV_OPTION17: ['dhcpv6.vendor.data', 'dhcpv6.vendor.length'],
  };
  return Object.entries(map).filter(([k]) => env[k] !== undefined && /\s$/.test(env[k]!)).flatMap(([, f]) => f);
}

const PD = ['assigned', 'prefix', 'prefixLength', 'iaid', 'preferredLifetime', 'validLifetime', 't1', 't2'].map((f) => `dhcpv6.iaPd.${f}`);

describe('dibbler plugin vs the C twin', () => {
  it.each(loadFixtures(join(__dirname, '__fixtures__')).map((f) => [f.name, f] as const))('agrees byte for byte on %s except trimmed list values', (name, f) => {
    const c = runTwin(twin.bin, f.event, f.env);
    expect(c.length).toBe(1464);
    const o = ours(f.event, f.env);
    const mask = trimmed(f.env);
    expect(mask).toEqual(['dhcpv6.domainName', 'dhcpv6.ntpServer']); // every capture ends these with a space
    // The old-and-new capture lists the same prefix as 1 and 3: our rule picks 1, like C.
    expect(masked(o, c, mask).equals(c)).toBe(true);
    expect(name).not.toBe('');
  });

  const base = { IFACE: 'erouter0', ADDR1: '2001:db8::10', ADDR1VALID: '3600', ADDR1PREF: '1800' };
  const agree: Array<[string, string, Record<string, string>]> = [
    ['strtol skips leading spaces and takes a sign', 'add', { ...base, ADDR1IAID: ' 7', ADDR1T1: '+900', ADDR1T2: '1440' }],
    ['numbers copied without ADDR1/PREFIX1', 'update', { IFACE: 'erouter0', PREFIX1IAID: '5', PREFIX1T1: '100', PREFIX1LEN: '56' }],
    ['three DNS servers: the first two', 'add', { ...base, SRV_OPTION23: '2001:db8::53 2001:db8::54 2001:db8::55' }],
    ['an empty SRV_OPTION23 still marks DNS assigned', 'add', { ...base, SRV_OPTION23: '' }],
    ['vendor option 17 longer than Data: 255 bytes and the whole length', 'add', { ...base, SRV_OPTION17: 'x'.repeat(400) }],
    ['MAP-T container and AFTR as text, filling their arrays', 'add', { ...base, SRV_OPTION95: 'm'.repeat(256), SRV_OPTION64: 'a'.repeat(256) }],
    ['the top u32 lifetime (infinite)', 'update', { ...base, ADDR1VALID: '4294967295', ADDR1PREF: '4294967295' }],
    ['delete and expire set isExpired', 'delete', { ...base, ADDR1VALID: '0', ADDR1PREF: '0' }],
    ['a prefix delegation', 'add', { IFACE: 'erouter0', PREFIX1: '2001:db8:100::', PREFIX1LEN: '56', PREFIX1VALID: '7200', PREFIX1PREF: '3600', PREFIX1IAID: '1' }],
  ];
  it.each(agree)('agrees byte for byte: %s', (_what, event, env) => {
    expect(ours(event, env).equals(runTwin(twin.bin, event, env))).toBe(true);
  });

  it('differs only in ia_pd when a later prefix has the longer valid lifetime', () => {
    const env = { IFACE: 'erouter0', PREFIX1: '2001:db8:1::', PREFIX1VALID: '10', PREFIX1LEN: '56', PREFIX2: '2001:db8:2::', PREFIX2VALID: '7200', PREFIX2LEN: '48' };
    const c = runTwin(twin.bin, 'update', env);
    const o = ours('update', env);
    expect(o.equals(c)).toBe(false);
    expect(masked(o, c, PD).equals(c)).toBe(true);
    expect(c.toString('latin1', U + 109, U + 121)).toBe('2001:db8:1::');
    expect(o.toString('latin1', U + 109, U + 121)).toBe('2001:db8:2::');
  });

  const differ: Array<[string, Record<string, string>, string]> = [
    ['"30s" (strtol reads 30)', { ...base, ADDR1VALID: '30s' }, 'ADDR1VALID'],
    ['"-1" (C sends 4294967295)', { ...base, ADDR1PREF: '-1' }, 'ADDR1PREF'],
    ['a 65-byte domain list (C cuts it to 64)', { ...base, SRV_OPTION24: 'd'.repeat(65) }, 'SRV_OPTION24'],
    ['an address that does not parse (C sends the text)', { ...base, ADDR1: 'not-an-address' }, 'ADDR1'],
  ];
  it.each(differ)('refuses what C would misread: %s', (_what, env, variable) => {
    expect(runTwin(twin.bin, 'add', env).length).toBe(1464);
    expect(envToMsg('add', env)).toMatchObject({ ok: false, variable });
  });
});
