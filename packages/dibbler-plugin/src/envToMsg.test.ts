import { join } from 'path';
import { DhcpV6Message, decode, encode } from '@dhcpmgr/plugin-msg';
import { envToMsg } from './envToMsg';
import { loadFixtures } from '@dhcpmgr/plugin-msg/testing';

const fixtures = Object.fromEntries(loadFixtures(join(__dirname, '__fixtures__')).map((f) => [f.name, f]));

function v6(event: string, env: Record<string, string>, opts = {}): DhcpV6Message {
  const r = envToMsg(event, env, opts);
  if (r.ok !== true) throw new Error(`expected a message, got ${JSON.stringify(r)}`);
  return r.msg as DhcpV6Message;
}

const OPTIONS = {
  dns: { assigned: true, nameserver: 'fd00:77::53', nameserver1: 'fd00:77::54' },
  domainName: 'lab.test corp.test', ntpServer: 'fd00:77::1', aftr: '',
  mapt: { assigned: false, container: '' }, vendor: { assigned: false, data: '', length: 0 }, timeOffset: 0,
};
const NO_IA = { assigned: false, iaid: 0, preferredLifetime: 0, validLifetime: 0, t1: 0, t2: 0 };

describe('dibbler envToMsg over the captured fixtures', () => {
  it('has all five captures', () => {
    expect(Object.keys(fixtures).sort()).toEqual(['add', 'add-na-only-after-expiry', 'update-old-and-new-prefix', 'update-pd-only', 'update-renew']);
  });

  it('maps add: address, prefix, DNS, domain and NTP with trailing spaces dropped', () => {
    const m = v6('add', fixtures.add!.env);
    expect(m.ifname).toBe('veth-cli');
    expect(m.dhcpv6).toEqual({
      isExpired: false, ifname: 'veth-cli',
      iaNa: { assigned: true, address: 'fd00:77::10b', iaid: 0, preferredLifetime: 20, validLifetime: 30, t1: 0, t2: 0 },
      iaPd: { assigned: true, prefix: 'fd00:77:100:26::', prefixLength: 64, iaid: 0, preferredLifetime: 20, validLifetime: 30, t1: 0, t2: 0 },
      ...OPTIONS,
    });
  });

  it('maps an add that carries only an address', () => {
    const m = v6('add', fixtures['add-na-only-after-expiry']!.env).dhcpv6;
    expect(m.iaNa).toMatchObject({ assigned: true, address: 'fd00:77::240', validLifetime: 30 });
    expect(m.iaPd).toEqual({ ...NO_IA, prefix: '', prefixLength: 0 });
  });

  it('maps an update with duplicated entries to the first of the equal ones', () => {
    const m = v6('update', fixtures['update-renew']!.env).dhcpv6;
    expect(m.iaNa).toMatchObject({ assigned: true, address: 'fd00:77::10b', validLifetime: 30 });
    expect(m.iaPd).toMatchObject({ assigned: true, prefix: 'fd00:77:100:26::', prefixLength: 64, validLifetime: 30 });
  });

  it('maps a prefix-only update with no address', () => {
    const m = v6('update', fixtures['update-pd-only']!.env).dhcpv6;
    expect(m.iaNa).toEqual({ ...NO_IA, address: '' });
    expect(m.iaPd).toMatchObject({ assigned: true, prefix: 'fd00:77:100:26::', validLifetime: 30 });
  });

  it('takes the prefix with the largest valid lifetime when an old and a new one are listed', () => {
    const m = v6('update', fixtures['update-old-and-new-prefix']!.env).dhcpv6;
    expect(m.iaPd).toMatchObject({ assigned: true, prefix: 'fd00:77:200:27::', validLifetime: 30, preferredLifetime: 20 });
  });

  it('encodes every fixture message and decodes it back unchanged', () => {
    for (const f of Object.values(fixtures)) {
      const r = envToMsg(f.event, f.env);
      expect(r.ok).toBe(true);
      if (r.ok === true) expect(decode(encode(r.msg)).msg).toEqual(r.msg);
    }
  });
});

describe('dibbler envToMsg on hand-made input', () => {
  const base = { IFACE: 'erouter0' };

  it('chooses the largest valid lifetime, ties to the lowest index, and its own numbers', () => {
    const m = v6('update', {
      ...base, ADDR1: 'fd00::1', ADDR1VALID: '100', ADDR1IAID: '1',
      ADDR2: 'fd00::2', ADDR2VALID: '300', ADDR2IAID: '2', ADDR2PREF: '200', ADDR2T1: '150', ADDR2T2: '240',
      ADDR3: 'fd00::3', ADDR3VALID: '300', ADDR3IAID: '3',
    }).dhcpv6;
    expect(m.iaNa).toEqual({ assigned: true, address: 'fd00::2', iaid: 2, preferredLifetime: 200, validLifetime: 300, t1: 150, t2: 240 });
  });

  it('never takes an entry with valid lifetime 0 as the live one', () => {
    const m = v6('update', { ...base, ADDR1: 'fd00::1', ADDR1VALID: '0', PREFIX1: '2001:db8::', PREFIX1VALID: '0', PREFIX2: '2001:db8:1::', PREFIX2VALID: '60', PREFIX2LEN: '56' }).dhcpv6;
    expect(m.iaNa.assigned).toBe(false);
    expect(m.iaNa.address).toBe('');
    expect(m.iaPd).toMatchObject({ assigned: true, prefix: '2001:db8:1::', prefixLength: 56, validLifetime: 60 });
  });

  it('still names the withdrawn address on an expiry, with isExpired set', () => {
    const m = v6('expire', { ...base, ADDR1: 'fd00::1', ADDR1VALID: '0' }).dhcpv6;
    expect([m.isExpired, m.iaNa.assigned, m.iaNa.address]).toEqual([true, true, 'fd00::1']);
  });

  it('keeps vendor option 17 to 255 bytes with the whole length, by design', () => {
    const m = v6('add', { ...base, SRV_OPTION17: 'v'.repeat(300) }).dhcpv6;
    expect(m.vendor).toEqual({ assigned: true, data: 'v'.repeat(255), length: 300 });
  });

  it('marks DNS assigned when SRV_OPTION23 is set, even empty', () => {
    expect(v6('add', { ...base, SRV_OPTION23: '' }).dhcpv6.dns).toEqual({ assigned: true, nameserver: '', nameserver1: '' });
    expect(v6('add', base).dhcpv6.dns.assigned).toBe(false);
  });

  it('takes the MAP-T container and AFTR as text', () => {
    const m = v6('add', { ...base, SRV_OPTION95: 'mapt-rule ', SRV_OPTION64: 'aftr.example.net' }).dhcpv6;
    expect(m.mapt).toEqual({ assigned: true, container: 'mapt-rule' });
    expect(m.aftr).toBe('aftr.example.net');
  });

  it('uses the configured interface for calls without IFACE, else rejects them', () => {
    expect(v6('expire', { ADDR1: 'fd00::1' }, { ifname: 'erouter0' }).ifname).toBe('erouter0');
    expect(envToMsg('expire', { ADDR1: 'fd00::1' })).toMatchObject({ ok: false, variable: 'IFACE' });
  });

  it.each<[string, Record<string, string>, string]>([
    ['no IFACE on add', { ADDR1: 'fd00::1' }, 'IFACE'],
    ['an IFACE longer than 15 bytes', { IFACE: 'x'.repeat(16) }, 'IFACE'],
    ['an address that does not parse', { ...base, ADDR1: 'fd00::zz', ADDR1VALID: '30' }, 'ADDR1'],
    ['a prefix that does not parse', { ...base, PREFIX1: '10.0.0.0', PREFIX1VALID: '30' }, 'PREFIX1'],
    ['a prefix length above 128', { ...base, PREFIX1: '2001:db8::', PREFIX1VALID: '30', PREFIX1LEN: '129' }, 'PREFIX1LEN'],
    ['a lifetime with junk', { ...base, ADDR1: 'fd00::1', ADDR1VALID: '30s' }, 'ADDR1VALID'],
    ['a lifetime above 32 bits', { ...base, ADDR1: 'fd00::1', ADDR1VALID: '30', ADDR1PREF: '4294967296' }, 'ADDR1PREF'],
    ['a DNS server that is not IPv6', { ...base, SRV_OPTION23: '192.0.2.1' }, 'SRV_OPTION23'],
    ['a domain list longer than 64 bytes', { ...base, SRV_OPTION24: 'd'.repeat(65) }, 'SRV_OPTION24'],
    ['an AFTR name longer than 256 bytes', { ...base, SRV_OPTION64: 'a'.repeat(257) }, 'SRV_OPTION64'],
  ])('rejects %s, naming the variable', (_what, env, variable) => {
    expect(envToMsg('add', env)).toMatchObject({ ok: false, variable });
  });

  it('ignores events other than the five', () => {
    expect(envToMsg('start', base)).toMatchObject({ ok: 'ignore' });
  });
});
