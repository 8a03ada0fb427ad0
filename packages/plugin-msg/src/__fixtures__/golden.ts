/**
 * The values of the static PLUGIN_MSG instances in golden.c, as typed messages. Keys are the
 * ELF section each instance lives in. The two must agree by hand: golden.c is written with
 * designated initialisers by C member name, so gcc (not our layout table) places every byte.
 */
import { DhcpV4Lease, DhcpV6Lease, PluginMsg, emptyV4Lease, emptyV6Lease } from '../types';

/** `n` characters cycling through `alphabet`: fills a field exactly to a known width. */
export function fill(n: number, alphabet: string): string {
  let s = '';
  while (s.length < n) s += alphabet;
  return s.slice(0, n);
}

const v4 = (over: Partial<DhcpV4Lease>): DhcpV4Lease => ({ ...emptyV4Lease(), ...over });
const v6 = (over: Partial<DhcpV6Lease>): DhcpV6Lease => ({ ...emptyV6Lease(), ...over });

const IF31 = fill(31, 'wan0-abcdefghijklmnopqrstuvwxyz');

export const GOLDEN: Readonly<Record<string, PluginMsg>> = {
  // A udhcpc `bound` as the C plugin would build it from fixtures/udhcpc/bound.env.
  gold_v4_bound: {
    version: 4,
    ifname: 'veth-cli',
    dhcpv4: v4({
      addressAssigned: true, address: '192.168.77.130', netmask: '255.255.255.0',
      gateway: '192.168.77.1', dnsServer: '192.168.77.53', dnsServer1: '192.168.77.54',
      ifname: 'veth-cli', leaseTime: 120, rebindingTime: 105, renewalTime: 60, timeOffset: 3600,
      isTimeOffsetAssigned: true, timeZone: 'CET-1CEST,M3.5.0,M10.5.0/3', upstreamCurrRate: 1000000,
      downstreamCurrRate: 50000000, dhcpServerId: '192.168.77.1', dhcpState: 'bound',
      mtuAssigned: true, mtuSize: 1400, sipSrv: 'sip.lab.test',
      staticRoutes: '10.99.0.0/16 192.168.77.1 0.0.0.0/0 192.168.77.1',
    }),
  },
  // Every field at its limit: text fields fill their array with no NUL, id fields are one short
  // of it, integers at their extremes, bytes above 0x7f.
  gold_v4_edge: {
    version: 4,
    ifname: IF31,
    dhcpv4: v4({
      addressAssigned: false, isExpired: true, address: fill(31, '0123456789.'),
      netmask: '\x01\x7f\x80\xff', gateway: fill(32, '10.0.0.1 '), dnsServer: fill(64, 'ns1.example '),
      dnsServer1: fill(64, '\xe9\xe8\xff\x80abc'), ifname: fill(31, 'eth'), leaseTime: 0xffffffff,
      rebindingTime: 0x80000000, renewalTime: 1, timeOffset: -2147483648, isTimeOffsetAssigned: true,
      timeZone: fill(64, 'UTC0/'), upstreamCurrRate: 0x01020304, downstreamCurrRate: 0xfedcba98,
      dhcpServerId: fill(64, '"quoted\\?'), dhcpState: fill(63, 'leasefail'), mtuAssigned: false,
      mtuSize: 0xffffffff, sipSrv: fill(64, 'sip'), staticRoutes: fill(64, '0.0.0.0/0 1.2.3.4 '),
    }),
  },
  // A dibbler `add` as the C plugin would build it.
  gold_v6_add: {
    version: 6,
    ifname: 'veth-cli',
    dhcpv6: v6({
      ifname: 'veth-cli',
      iaNa: { assigned: true, address: 'fd00:77::240', iaid: 1, preferredLifetime: 20, validLifetime: 30, t1: 10, t2: 16 },
      iaPd: {
        assigned: true, prefix: 'fd00:77:1::', prefixLength: 56, iaid: 2, preferredLifetime: 3600,
        validLifetime: 7200, t1: 1800, t2: 2880,
      },
      dns: { assigned: true, nameserver: 'fd00:77::53', nameserver1: 'fd00:77::54' },
      mapt: { assigned: false, container: '' },
      vendor: { assigned: true, data: 'vendor-data', length: 11 },
      domainName: 'lab.test corp.test ', ntpServer: 'fd00:77::1 ', aftr: 'aftr.lab.test', timeOffset: 7200,
    }),
  },
  gold_v6_edge: {
    version: 6,
    ifname: IF31,
    dhcpv6: v6({
      isExpired: true,
      ifname: fill(31, 'erouter0'),
      iaNa: {
        assigned: true, address: fill(47, '2001:db8::'), iaid: 0xffffffff, preferredLifetime: 0x11223344,
        validLifetime: 0x55667788, t1: 0x99aabbcc, t2: 0xddeeff00,
      },
      iaPd: {
        assigned: true, prefix: fill(47, '2001:db8:ff::/'), prefixLength: 128, iaid: 0x01010101,
        preferredLifetime: 0x02020202, validLifetime: 0x03030303, t1: 0x04040404, t2: 0x05050505,
      },
      dns: { assigned: true, nameserver: fill(127, '2001:4860::8888 '), nameserver1: fill(127, '\xa0\xffdns') },
      mapt: { assigned: true, container: fill(256, '\x01\x02mapt\x7f\x80') },
      vendor: { assigned: true, data: fill(255, 'vendor:'), length: 4000 },
      domainName: fill(64, 'example.org '), ntpServer: fill(128, 'ntp '), aftr: fill(256, 'aftr.isp.example '),
      timeOffset: 0xffffffff,
    }),
  },
};

/** Names of the v4 and v6 instances in golden.c, in section order. */
export const GOLDEN_SECTIONS = Object.keys(GOLDEN);
