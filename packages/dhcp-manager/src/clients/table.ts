/**
 * The DHCP client table: which interface runs which client with which options. It maps to
 * Device.DHCPv4.Client.{i}. and Device.DHCPv6.Client.{i}. (docs/tr181.md, "Writable client
 * parameters"). The `clients` section of the --config file seeds it; the array position + 1 is a
 * client's initial instance number. The instance number is also the model's number for the
 * interface (Device.IP.Interface.{i}., shared by v4 and v6, see model/tree.ts), so the same
 * interface in both lists must sit at the same position or carry the same `"instance"`.
 * Pure data and checks: no I/O.
 */
import { isIPv4 } from 'net';
import { ifnameProblem } from '../validate';

export interface ReqOption { enable: boolean; tag: number }
export interface SentOption { enable: boolean; tag: number; value: string }

export interface V4Client {
  version: 4;
  instance: number;
  interface: string;
  enable: boolean;
  reqOptions: ReqOption[];
  sentOptions: SentOption[];
  hostName: string;
  vendorClass: string;
  /** Hex (TR-181 hexBinary), sent as option 61. */
  clientId: string;
  requestedIp: string;
}

export interface V6Client {
  version: 6;
  instance: number;
  interface: string;
  enable: boolean;
  requestAddresses: boolean;
  requestPrefixes: boolean;
  rapidCommit: boolean;
  /** Seconds; -1: let the server choose (TR-181 default). */
  suggestedT1: number;
  suggestedT2: number;
  /** TR-181 list of unsignedInt: option codes, comma separated. */
  requestedOptions: string;
  /** 0: no hint; else the prefix length asked for in IA_PD. */
  prefixLengthHint: number;
}

export type ClientConfig = V4Client | V6Client;

export interface ClientTable { dhcpv4: V4Client[]; dhcpv6: V6Client[] }

export class ClientConfigError extends Error {
  override readonly name = 'ClientConfigError';
}

export const MAX_CLIENTS = 64;
export const MAX_OPTIONS = 32;
const HEX = /^(?:[0-9A-Fa-f]{2}){0,255}$/;
/** Printable ASCII, at most 255 bytes (one DHCP option); no NUL, no control characters. */
const PRINTABLE = /^[\x20-\x7e]{0,255}$/;

/** A value check shared by the config file and API writes; returns a problem or undefined. */
export const CHECK = {
  tag: (v: number): string | undefined => (Number.isInteger(v) && v >= 1 && v <= 254 ? undefined : 'expected an option code from 1 to 254'),
  hex: (v: string): string | undefined => (HEX.test(v) ? undefined : 'expected hexBinary (pairs of hex digits, at most 255 bytes)'),
  text: (v: string): string | undefined => (PRINTABLE.test(v) ? undefined : 'expected printable ASCII text of at most 255 characters'),
  ipv4OrEmpty: (v: string): string | undefined => (v === '' || isIPv4(v) ? undefined : 'expected an IPv4 address or empty'),
  ifname: (v: string): string | undefined => ifnameProblem(v),
  seconds: (v: number): string | undefined => (Number.isInteger(v) && v >= -1 && v <= 0x7fffffff ? undefined : 'expected -1 or whole seconds up to 2147483647'),
  prefixHint: (v: number): string | undefined => (Number.isInteger(v) && v >= 0 && v <= 128 ? undefined : 'expected 0 (no hint) or a prefix length 1..128'),
  optionList: (v: string): string | undefined => {
    if (v === '') return undefined;
    const parts = v.split(',');
    if (parts.length > MAX_OPTIONS) return `expected at most ${MAX_OPTIONS} option codes`;
    return parts.every((p) => /^\d{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65535) ? undefined : 'expected a comma-separated list of DHCPv6 option codes 1..65535 (e.g. 23,24)';
  },
};

type Obj = Record<string, unknown>;

function field<T>(where: string, o: Obj, key: string, kind: 'boolean' | 'number' | 'string', def: T, check?: (v: T) => string | undefined): T {
  const v = o[key] === undefined ? def : o[key];
  if (typeof v !== kind) throw new ClientConfigError(`${where}.${key}: ${JSON.stringify(v)} is not a ${kind}`);
  const problem = check?.(v as T);
  if (problem) throw new ClientConfigError(`${where}.${key}: ${JSON.stringify(v)}: ${problem}`);
  return v as T;
}

function onlyKeys(where: string, o: Obj, keys: string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new ClientConfigError(`${where}: unknown key "${k}"; expected one of ${keys.join(', ')}`);
}

function object(where: string, v: unknown): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ClientConfigError(`${where}: expected a JSON object`);
  return v as Obj;
}

function list(where: string, v: unknown, max: number): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new ClientConfigError(`${where}: expected an array`);
  if (v.length > max) throw new ClientConfigError(`${where}: ${v.length} entries; at most ${max}`);
  return v;
}

const V4_KEYS = ['interface', 'enable', 'instance', 'reqOptions', 'sentOptions', 'hostName', 'vendorClass', 'clientId', 'requestedIp'];
const V6_KEYS = ['interface', 'enable', 'instance', 'requestAddresses', 'requestPrefixes', 'rapidCommit', 'suggestedT1', 'suggestedT2', 'requestedOptions', 'prefixLengthHint'];

function parseV4(where: string, raw: unknown, position: number): V4Client {
  const o = object(where, raw);
  onlyKeys(where, o, V4_KEYS);
  const reqOptions = list(`${where}.reqOptions`, o.reqOptions, MAX_OPTIONS).map((x, k) => {
    const w = `${where}.reqOptions[${k}]`;
    const e = typeof x === 'number' ? { tag: x } : object(w, x);
    onlyKeys(w, e, ['enable', 'tag']);
    return { enable: field(w, e, 'enable', 'boolean', true), tag: field(w, e, 'tag', 'number', 0, CHECK.tag) };
  });
  const sentOptions = list(`${where}.sentOptions`, o.sentOptions, MAX_OPTIONS).map((x, k) => {
    const w = `${where}.sentOptions[${k}]`;
    const e = object(w, x);
    onlyKeys(w, e, ['enable', 'tag', 'value']);
    return { enable: field(w, e, 'enable', 'boolean', true), tag: field(w, e, 'tag', 'number', 0, CHECK.tag), value: field(w, e, 'value', 'string', '', CHECK.hex) };
  });
  return {
    version: 4,
    instance: field(where, o, 'instance', 'number', position + 1, instanceCheck),
    interface: field(where, o, 'interface', 'string', '', CHECK.ifname),
    enable: field(where, o, 'enable', 'boolean', false),
    reqOptions, sentOptions,
    hostName: field(where, o, 'hostName', 'string', '', CHECK.text),
    vendorClass: field(where, o, 'vendorClass', 'string', '', CHECK.text),
    clientId: field(where, o, 'clientId', 'string', '', CHECK.hex),
    requestedIp: field(where, o, 'requestedIp', 'string', '', CHECK.ipv4OrEmpty),
  };
}

function parseV6(where: string, raw: unknown, position: number): V6Client {
  const o = object(where, raw);
  onlyKeys(where, o, V6_KEYS);
  return {
    version: 6,
    instance: field(where, o, 'instance', 'number', position + 1, instanceCheck),
    interface: field(where, o, 'interface', 'string', '', CHECK.ifname),
    enable: field(where, o, 'enable', 'boolean', false),
    requestAddresses: field(where, o, 'requestAddresses', 'boolean', true),
    requestPrefixes: field(where, o, 'requestPrefixes', 'boolean', false),
    rapidCommit: field(where, o, 'rapidCommit', 'boolean', false),
    suggestedT1: field(where, o, 'suggestedT1', 'number', -1, CHECK.seconds),
    suggestedT2: field(where, o, 'suggestedT2', 'number', -1, CHECK.seconds),
    requestedOptions: field(where, o, 'requestedOptions', 'string', '', CHECK.optionList),
    prefixLengthHint: field(where, o, 'prefixLengthHint', 'number', 0, CHECK.prefixHint),
  };
}

function instanceCheck(v: number): string | undefined {
  return Number.isInteger(v) && v >= 1 && v <= 65535 ? undefined : 'expected an instance number from 1 to 65535';
}

/** Parse the `clients` section of the config file; throws ClientConfigError naming the entry. */
export function parseClients(raw: unknown): ClientTable {
  if (raw === undefined) return { dhcpv4: [], dhcpv6: [] };
  const o = object('clients', raw);
  onlyKeys('clients', o, ['dhcpv4', 'dhcpv6']);
  const table: ClientTable = {
    dhcpv4: list('clients.dhcpv4', o.dhcpv4, MAX_CLIENTS).map((x, k) => parseV4(`clients.dhcpv4[${k}]`, x, k)),
    dhcpv6: list('clients.dhcpv6', o.dhcpv6, MAX_CLIENTS).map((x, k) => parseV6(`clients.dhcpv6[${k}]`, x, k)),
  };
  checkNumbering(table);
  return table;
}

/**
 * One number per interface and one interface per number, over both lists; one client per
 * interface and version (two udhcpc on one interface would fight over it).
 */
export function checkNumbering(t: ClientTable): void {
  const byName = new Map<string, { instance: number; where: string }>();
  const byNumber = new Map<number, { ifname: string; where: string }>();
  for (const [key, items] of [['dhcpv4', t.dhcpv4], ['dhcpv6', t.dhcpv6]] as const) {
    const seen = new Set<string>();
    items.forEach((c: ClientConfig, k: number) => {
      const where = `clients.${key}[${k}]`;
      if (seen.has(c.interface)) throw new ClientConfigError(`${where}: a second ${key} client on interface ${c.interface}`);
      seen.add(c.interface);
      const n = byName.get(c.interface);
      if (n && n.instance !== c.instance) {
        throw new ClientConfigError(`${where}: interface ${c.interface} gets instance ${c.instance} but ${n.where} gave it ${n.instance}; `
          + 'an interface has one instance number for DHCPv4, DHCPv6 and IP.Interface: put it at the same position or set "instance"');
      }
      const m = byNumber.get(c.instance);
      if (m && m.ifname !== c.interface) {
        throw new ClientConfigError(`${where}: instance ${c.instance} is already ${m.ifname} (${m.where}); set "instance" to a free number`);
      }
      byName.set(c.interface, { instance: c.instance, where });
      byNumber.set(c.instance, { ifname: c.interface, where });
    });
  }
}

/** Every client, v4 first, by instance. */
export function allClients(t: ClientTable): ClientConfig[] {
  return [...t.dhcpv4, ...t.dhcpv6];
}

export function clientKey(c: { version: 4 | 6; instance: number }): string {
  return `dhcpv${c.version}.${c.instance}`;
}
