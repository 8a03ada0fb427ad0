import { DhcpV4Message, encode, decode } from '@dhcpmgr/plugin-msg';
import { envToMsg } from './envToMsg';
import { loadFixtures } from './__fixtures__/harness';

const fixtures = Object.fromEntries(loadFixtures().map((f) => [f.name, f]));

function v4(event: string, env: Record<string, string>): DhcpV4Message {
  const r = envToMsg(event, env);
  if (r.ok !== true) throw new Error(`expected a message, got ${JSON.stringify(r)}`);
  return r.msg as DhcpV4Message;
}

describe('udhcpc envToMsg over the captured fixtures', () => {
  it('has all ten captures', () => {
    expect(Object.keys(fixtures).sort()).toEqual([
      'bound', 'bound-after-nak', 'bound-extra-opts', 'deconfig-after-nak', 'deconfig-after-release-sigusr2',
      'deconfig-at-start', 'leasefail', 'nak', 'renew-T1', 'renew-sigusr1',
    ]);
  });

  it.each(['bound', 'bound-after-nak', 'bound-extra-opts', 'renew-T1', 'renew-sigusr1'])('maps the live lease of %s', (name) => {
    const f = fixtures[name]!;
    const m = v4(f.event, f.env);
    const t1 = parseInt(f.env.opt58!, 16);
    const t2 = parseInt(f.env.opt59!, 16);
    expect(m.ifname).toBe('veth-cli');
    expect(m.dhcpv4).toEqual({
      addressAssigned: true, isExpired: false, address: f.env.ip, netmask: '255.255.255.0',
      gateway: '192.168.77.1', dnsServer: '192.168.77.53', dnsServer1: '192.168.77.54', ifname: 'veth-cli',
      leaseTime: 120, renewalTime: t1, rebindingTime: t2, timeOffset: 0, isTimeOffsetAssigned: false,
      timeZone: '', upstreamCurrRate: 0, downstreamCurrRate: 0, dhcpServerId: '192.168.77.1',
      dhcpState: f.event, mtuAssigned: true, mtuSize: 1400, sipSrv: '',
      staticRoutes: '10.99.0.0/16 192.168.77.1 0.0.0.0/0 192.168.77.1',
    });
    expect([t1, t2]).toEqual(name.startsWith('renew') ? [56, 101] : [60, 105]);
  });

  it.each(['deconfig-after-nak', 'deconfig-after-release-sigusr2', 'deconfig-at-start', 'leasefail'])('maps %s to an expired lease with only the interface', (name) => {
    const f = fixtures[name]!;
    const m = v4(f.event, f.env);
    expect(m.dhcpv4.addressAssigned).toBe(false);
    expect(m.dhcpv4.isExpired).toBe(true);
    expect(m.dhcpv4.dhcpState).toBe(f.event);
    expect(m.dhcpv4.ifname).toBe('veth-cli');
    expect(m.dhcpv4.address).toBe('');
    expect(m.dhcpv4.leaseTime).toBe(0);
  });

  it('ignores nak, as the C plugin does', () => {
    const f = fixtures.nak!;
    expect(envToMsg(f.event, f.env)).toMatchObject({ ok: 'ignore' });
  });

  it('encodes every fixture message and decodes it back unchanged', () => {
    for (const f of Object.values(fixtures)) {
      const r = envToMsg(f.event, f.env);
      if (r.ok !== true) continue;
      expect(decode(encode(r.msg)).msg).toEqual(r.msg);
    }
  });
});

describe('udhcpc envToMsg on hand-made input', () => {
  const base = { interface: 'eth0', ip: '10.0.0.2', subnet: '255.255.255.0' };

  it('prefers renewaltime/rebindingtime over opt58/opt59, and an empty one blocks the hex', () => {
    expect(v4('bound', { ...base, renewaltime: '30', opt58: '3c' }).dhcpv4.renewalTime).toBe(30);
    expect(v4('bound', { ...base, renewaltime: '', opt58: '3c' }).dhcpv4.renewalTime).toBe(0);
    expect(v4('bound', { ...base, opt59: 'FFFFFFFF' }).dhcpv4.rebindingTime).toBe(0xffffffff);
  });

  it('fills timeOffset from a numeric timezone but keeps a TZ string as text only', () => {
    const a = v4('bound', { ...base, timezone: '-3600' }).dhcpv4;
    expect([a.timeZone, a.timeOffset, a.isTimeOffsetAssigned]).toEqual(['-3600', -3600, true]);
    const b = v4('bound', { ...base, timezone: 'CET-1CEST' }).dhcpv4;
    expect([b.timeZone, b.timeOffset, b.isTimeOffsetAssigned]).toEqual(['CET-1CEST', 0, false]);
    const c = v4('bound', { ...base, timezone: '7200', timeoffset: '3600' }).dhcpv4;
    expect([c.timeOffset, c.isTimeOffsetAssigned]).toEqual([3600, true]);
  });

  it('keeps the whole router list and the first two DNS tokens', () => {
    const m = v4('renew', { ...base, router: '10.0.0.1 10.0.0.254', dns: ' 1.1.1.1   8.8.8.8 9.9.9.9 ' }).dhcpv4;
    expect([m.gateway, m.dnsServer, m.dnsServer1]).toEqual(['10.0.0.1 10.0.0.254', '1.1.1.1', '8.8.8.8']);
  });

  it.each<[string, Record<string, string>, string]>([
    ['no interface', { ip: '10.0.0.2', subnet: '255.0.0.0' }, 'interface'],
    ['an empty interface', { ...base, interface: '' }, 'interface'],
    ['a 16-byte interface', { ...base, interface: 'abcdefghijklmnop' }, 'interface'],
    ['no ip on bound', { interface: 'eth0', subnet: '255.0.0.0' }, 'ip'],
    ['an ip that does not parse', { ...base, ip: '10.0.0.256' }, 'ip'],
    ['a bad subnet', { ...base, subnet: '24' }, 'subnet'],
    ['a lease with trailing junk', { ...base, lease: '77abc' }, 'lease'],
    ['a negative lease', { ...base, lease: '-1' }, 'lease'],
    ['a lease above 32 bits', { ...base, lease: '4294967296' }, 'lease'],
    ['opt58 that is not hex', { ...base, opt58: '0x3c' }, 'opt58'],
    ['opt59 longer than 8 hex digits', { ...base, opt59: '100000000' }, 'opt59'],
    ['a router list longer than 32 bytes', { ...base, router: '10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4' }, 'router'],
    ['staticroutes longer than 64 bytes', { ...base, staticroutes: 'x'.repeat(65) }, 'staticroutes'],
    ['a DNS token that is not an address', { ...base, dns: '1.1.1.1 dns.example' }, 'dns'],
    ['an MTU out of range', { ...base, mtu: '40' }, 'mtu'],
    ['a timeoffset out of range', { ...base, timeoffset: '2147483648' }, 'timeoffset'],
  ])('rejects %s, naming the variable', (_what, env, variable) => {
    expect(envToMsg('bound', env)).toMatchObject({ ok: false, variable });
  });

  it('accepts a value that exactly fills a full-width field', () => {
    expect(v4('bound', { ...base, staticroutes: 'x'.repeat(64) }).dhcpv4.staticRoutes).toHaveLength(64);
  });

  it('fills staticRoutes from option 121, else 249 (msstaticroutes), else 33 (routes)', () => {
    const all = { ...base, staticroutes: '10.99.0.0/16 192.168.77.1', msstaticroutes: '10.97.0.0/16 192.168.77.1', routes: '10.98.0.1/192.168.77.1' };
    expect(v4('bound', all).dhcpv4.staticRoutes).toBe('10.99.0.0/16 192.168.77.1');
    expect(v4('bound', { ...all, staticroutes: '' }).dhcpv4.staticRoutes).toBe('10.97.0.0/16 192.168.77.1');
    expect(v4('bound', { ...base, routes: '10.98.0.1/192.168.77.1' }).dhcpv4.staticRoutes).toBe('10.98.0.1/192.168.77.1');
    expect(envToMsg('bound', { ...base, routes: 'r'.repeat(65) })).toMatchObject({ ok: false, variable: 'routes' });
  });

  it('needs only the interface on deconfig and leasefail', () => {
    expect(envToMsg('deconfig', { interface: 'eth0', ip: 'garbage' })).toMatchObject({ ok: true });
    expect(envToMsg('leasefail', {})).toMatchObject({ ok: false, variable: 'interface' });
  });

  it('ignores unknown events with no interface check', () => {
    expect(envToMsg('frobnicate', {})).toMatchObject({ ok: 'ignore' });
  });
});
