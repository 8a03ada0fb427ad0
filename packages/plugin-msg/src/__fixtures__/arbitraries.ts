/**
 * fast-check arbitraries for valid PLUGIN_MSG objects, built from the layout table so every
 * field is covered: strings of bytes 1..255 up to the width the field's policy allows (full
 * width for `text`, one less otherwise), often at exactly that width; integers over their whole
 * range, biased towards the edges by fast-check.
 */
import fc from 'fast-check';
import { Abi, ABIS, FieldSpec, OUTER_IFNAME, V4_FIELDS, V6_FIELDS } from '../layout';
import { DhcpV4Message, DhcpV6Message, PluginMsg, emptyV4Lease, emptyV6Lease } from '../types';

const byte = fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c));

export function maxLength(f: FieldSpec): number {
  return f.policy === 'text' ? f.size : f.size - 1;
}

function fieldArb(f: FieldSpec): fc.Arbitrary<unknown> {
  switch (f.type) {
    case 'bool': return fc.boolean();
    case 'u32': return fc.integer({ min: 0, max: 0xffffffff });
    case 'i32': return fc.integer({ min: -0x80000000, max: 0x7fffffff });
    case 'str': {
      const max = maxLength(f);
      return fc.oneof(
        { arbitrary: fc.string({ unit: byte, maxLength: max }), weight: 3 },
        { arbitrary: fc.string({ unit: byte, minLength: max, maxLength: max }), weight: 1 },
      );
    }
  }
}

function leaseArb<T>(fields: readonly FieldSpec[], empty: () => T): fc.Arbitrary<T> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of fields) model[f.name] = fieldArb(f);
  return fc.record(model).map((flat) => {
    const lease = empty() as unknown as Record<string, Record<string, unknown>>;
    for (const [path, v] of Object.entries(flat)) {
      const dot = path.indexOf('.');
      if (dot < 0) (lease as unknown as Record<string, unknown>)[path] = v;
      else lease[path.slice(0, dot)]![path.slice(dot + 1)] = v;
    }
    return lease as unknown as T;
  });
}

const ifnameArb = fieldArb(OUTER_IFNAME) as fc.Arbitrary<string>;

export const v4MsgArb: fc.Arbitrary<DhcpV4Message> = fc
  .tuple(ifnameArb, leaseArb(V4_FIELDS, emptyV4Lease))
  .map(([ifname, dhcpv4]) => ({ version: 4 as const, ifname, dhcpv4 }));

export const v6MsgArb: fc.Arbitrary<DhcpV6Message> = fc
  .tuple(ifnameArb, leaseArb(V6_FIELDS, emptyV6Lease))
  .map(([ifname, dhcpv6]) => ({ version: 6 as const, ifname, dhcpv6 }));

export const msgArb: fc.Arbitrary<PluginMsg> = fc.oneof(v4MsgArb, v6MsgArb);
export const abiArb: fc.Arbitrary<Abi> = fc.constantFrom(...ABIS);
