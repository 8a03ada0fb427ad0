/**
 * Typed PLUGIN_MSG objects. Names are readable versions of the C members (the layout table in
 * layout.ts maps each to its C name); strings are byte strings (latin1), as C char arrays are.
 */
import type { Abi } from './layout';

/**
 * A lease time or lifetime of 0xFFFFFFFF seconds means "infinite" (RFC 2131 3.3, RFC 8415 7.7),
 * in DHCPv4 `leaseTime` and DHCPv6 preferred/valid lifetimes alike.
 */
export const INFINITE = 0xffffffff;

export interface DhcpV4Lease {
  addressAssigned: boolean;
  isExpired: boolean;
  address: string;
  netmask: string;
  /** May hold several routers separated by spaces (udhcpc's `router`). */
  gateway: string;
  dnsServer: string;
  dnsServer1: string;
  /** The inner interface name (`dhcpcInterface`); the outer `ifname` is the one routed on. */
  ifname: string;
  leaseTime: number;
  rebindingTime: number;
  renewalTime: number;
  timeOffset: number;
  isTimeOffsetAssigned: boolean;
  timeZone: string;
  upstreamCurrRate: number;
  downstreamCurrRate: number;
  dhcpServerId: string;
  /** The udhcpc event name: bound, renew, deconfig, leasefail. */
  dhcpState: string;
  mtuAssigned: boolean;
  mtuSize: number;
  sipSrv: string;
  staticRoutes: string;
}

export interface IaNa {
  assigned: boolean;
  address: string;
  iaid: number;
  preferredLifetime: number;
  validLifetime: number;
  t1: number;
  t2: number;
}

export interface IaPd {
  assigned: boolean;
  prefix: string;
  prefixLength: number;
  iaid: number;
  preferredLifetime: number;
  validLifetime: number;
  t1: number;
  t2: number;
}

export interface DhcpV6Lease {
  isExpired: boolean;
  ifname: string;
  iaNa: IaNa;
  iaPd: IaPd;
  dns: { assigned: boolean; nameserver: string; nameserver1: string };
  /** Option 95 (S46 MAP-T container) as text. */
  mapt: { assigned: boolean; container: string };
  /** Option 17; `length` is the whole option's length even when `data` holds part of it. */
  vendor: { assigned: boolean; data: string; length: number };
  domainName: string;
  ntpServer: string;
  /** Option 64 (DS-Lite AFTR name). */
  aftr: string;
  timeOffset: number;
}

export interface DhcpV4Message {
  version: 4;
  ifname: string;
  dhcpv4: DhcpV4Lease;
}

export interface DhcpV6Message {
  version: 6;
  ifname: string;
  dhcpv6: DhcpV6Lease;
}

export type PluginMsg = DhcpV4Message | DhcpV6Message;

export interface DecodedMsg {
  msg: PluginMsg;
  abi: Abi;
  /**
   * Paths (`dhcpv4.staticRoutes`) of free-text fields that filled their array with no NUL:
   * legitimate from a C sender, decoded at full width, worth counting.
   */
  truncated: string[];
}

export function emptyV4Lease(): DhcpV4Lease {
  return {
    addressAssigned: false, isExpired: false, address: '', netmask: '', gateway: '',
    dnsServer: '', dnsServer1: '', ifname: '', leaseTime: 0, rebindingTime: 0, renewalTime: 0,
    timeOffset: 0, isTimeOffsetAssigned: false, timeZone: '', upstreamCurrRate: 0,
    downstreamCurrRate: 0, dhcpServerId: '', dhcpState: '', mtuAssigned: false, mtuSize: 0,
    sipSrv: '', staticRoutes: '',
  };
}

export function emptyV6Lease(): DhcpV6Lease {
  const ia = { assigned: false, iaid: 0, preferredLifetime: 0, validLifetime: 0, t1: 0, t2: 0 };
  return {
    isExpired: false, ifname: '',
    iaNa: { ...ia, address: '' },
    iaPd: { ...ia, prefix: '', prefixLength: 0 },
    dns: { assigned: false, nameserver: '', nameserver1: '' },
    mapt: { assigned: false, container: '' },
    vendor: { assigned: false, data: '', length: 0 },
    domainName: '', ntpServer: '', aftr: '', timeOffset: 0,
  };
}
