/**
 * The client table's TR-181 parameters: one row per parameter with its type, whether it can be
 * written, how it is read from a client and how a checked value is put into a copy of it.
 * writes.ts and the tree (model/tree.ts, through ClientTreeView) both read this table, and
 * docs/tr181.md lists the same rows.
 */
import type { ParamValue } from '../contract';
import { CHECK, ClientConfig, V4Client, V6Client } from './table';

export type ParamType = 'boolean' | 'unsignedInt' | 'int' | 'string' | 'hexBinary';
type Value = string | number | boolean;

export interface ClientParam<C extends ClientConfig> {
  name: string;
  type: ParamType;
  /** Undefined: read-only. */
  set?: (c: C, v: never) => void;
  get: (c: C) => Value;
  /** Range or format check of an already typed value. */
  check?: (v: never) => string | undefined;
  /** Not persisted: a write is an action (Renew). */
  action?: boolean;
}

const str = <C extends ClientConfig>(name: string, key: keyof C & string, check: (v: string) => string | undefined, type: ParamType = 'string'): ClientParam<C> => ({
  name, type, get: (c) => c[key] as unknown as string, set: (c, v: string) => { (c as unknown as Record<string, unknown>)[key] = v; }, check: check as (v: never) => string | undefined,
});
const bool = <C extends ClientConfig>(name: string, key: keyof C & string): ClientParam<C> => ({
  name, type: 'boolean', get: (c) => c[key] as unknown as boolean, set: (c, v: boolean) => { (c as unknown as Record<string, unknown>)[key] = v; },
});
const num = <C extends ClientConfig>(name: string, key: keyof C & string, type: 'int' | 'unsignedInt', check: (v: number) => string | undefined): ClientParam<C> => ({
  name, type, get: (c) => c[key] as unknown as number, set: (c, v: number) => { (c as unknown as Record<string, unknown>)[key] = v; }, check: check as (v: never) => string | undefined,
});
const renew = <C extends ClientConfig>(): ClientParam<C> => ({ name: 'Renew', type: 'boolean', get: () => false, set: () => undefined, action: true });

export const V4_PARAMS: ReadonlyArray<ClientParam<V4Client>> = [
  bool('Enable', 'enable'),
  renew(),
  str('X_DHCPMGR_HostName', 'hostName', CHECK.text),
  str('X_DHCPMGR_VendorClass', 'vendorClass', CHECK.text),
  str('X_DHCPMGR_ClientID', 'clientId', CHECK.hex, 'hexBinary'),
  str('X_DHCPMGR_RequestedIPAddress', 'requestedIp', CHECK.ipv4OrEmpty),
  { name: 'ReqOptionNumberOfEntries', type: 'unsignedInt', get: (c) => c.reqOptions.length },
  { name: 'SentOptionNumberOfEntries', type: 'unsignedInt', get: (c) => c.sentOptions.length },
];

export const V6_PARAMS: ReadonlyArray<ClientParam<V6Client>> = [
  bool('Enable', 'enable'),
  renew(),
  bool('RequestAddresses', 'requestAddresses'),
  bool('RequestPrefixes', 'requestPrefixes'),
  bool('RapidCommit', 'rapidCommit'),
  num('SuggestedT1', 'suggestedT1', 'int', CHECK.seconds),
  num('SuggestedT2', 'suggestedT2', 'int', CHECK.seconds),
  str('RequestedOptions', 'requestedOptions', CHECK.optionList),
  num('X_DHCPMGR_PrefixLengthHint', 'prefixLengthHint', 'unsignedInt', CHECK.prefixHint),
];

/** Parameters of ReqOption.{j}. and SentOption.{j}. (the entries themselves come from the config file). */
type Entry = { enable: boolean; tag: number; value?: string };
export interface EntryParam { name: string; type: ParamType; get: (e: Entry) => Value; set: (e: Entry, v: never) => void; check?: (v: never) => string | undefined }
export const ENTRY_PARAMS: Record<'ReqOption' | 'SentOption', EntryParam[]> = {
  ReqOption: [
    { name: 'Enable', type: 'boolean', get: (e) => e.enable, set: (e, v: boolean) => { e.enable = v; } },
    { name: 'Tag', type: 'unsignedInt', get: (e) => e.tag, set: (e, v: number) => { e.tag = v; }, check: CHECK.tag as (v: never) => string | undefined },
  ],
  SentOption: [
    { name: 'Enable', type: 'boolean', get: (e) => e.enable, set: (e, v: boolean) => { e.enable = v; } },
    { name: 'Tag', type: 'unsignedInt', get: (e) => e.tag, set: (e, v: number) => { e.tag = v; }, check: CHECK.tag as (v: never) => string | undefined },
    { name: 'Value', type: 'hexBinary', get: (e) => e.value ?? '', set: (e, v: string) => { e.value = v; }, check: CHECK.hex as (v: never) => string | undefined },
  ],
};

/** TR-181 type -> the type the read API reports. */
export function apiType(t: ParamType): ParamValue['type'] {
  return t === 'hexBinary' ? 'string' : t;
}

/**
 * A written value in its TR-181 type. JSON values of the right type are taken as they are;
 * strings in the TR-069 lexical forms ("true"/"false"/"1"/"0", decimal integers) are accepted
 * too, since `dhcp-manager set` and TR-069 send text. Anything else is a type error.
 */
export function coerce(type: ParamType, v: unknown): { ok: true; value: Value } | { ok: false; error: string } {
  switch (type) {
    case 'boolean':
      if (typeof v === 'boolean') return { ok: true, value: v };
      if (v === 'true' || v === '1') return { ok: true, value: true };
      if (v === 'false' || v === '0') return { ok: true, value: false };
      return { ok: false, error: `${JSON.stringify(v)} is not a boolean (true, false, 1 or 0)` };
    case 'int':
    case 'unsignedInt': {
      const n = typeof v === 'string' && /^-?\d{1,10}$/.test(v) ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isInteger(n)) return { ok: false, error: `${JSON.stringify(v)} is not an ${type}` };
      if (type === 'unsignedInt' && n < 0) return { ok: false, error: `${n} is not an unsignedInt (negative)` };
      return { ok: true, value: n };
    }
    default:
      if (typeof v !== 'string') return { ok: false, error: `${JSON.stringify(v)} is not a ${type === 'hexBinary' ? 'hexBinary string' : 'string'}` };
      return { ok: true, value: v };
  }
}
