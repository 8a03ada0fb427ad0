import fc from 'fast-check';
import { isIPv4 } from 'net';
import { checkIfname } from '../ifname';
import { DEFAULTS, loadConfig } from './config';
import { isCStringText, isDottedQuad, parseDecimal } from './parse';

const files = (m: Record<string, string>) => (p: string): Buffer => {
  if (m[p] === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
  return Buffer.from(m[p]!);
};

describe('plugin configuration', () => {
  it('uses the defaults when nothing is set and the default file is absent', () => {
    const r = loadConfig({}, files({}));
    expect(r).toMatchObject({ ok: true, config: { ...DEFAULTS, abi: 'lp64' } });
  });

  it('reads the default config file when present, and the environment wins over it', () => {
    const f = files({ '/etc/dhcpmgr/plugin.json': JSON.stringify({ mode: 'legacy', timeoutMs: 500, spoolDir: '/x' }) });
    expect(loadConfig({}, f)).toMatchObject({ ok: true, config: { mode: 'legacy', timeoutMs: 500, spoolDir: '/x', configFile: '/etc/dhcpmgr/plugin.json' } });
    expect(loadConfig({ DHCPMGR_TIMEOUT_MS: '900' }, f)).toMatchObject({ ok: true, config: { timeoutMs: 900 } });
  });

  it('names the variable or file key that is wrong', () => {
    expect(loadConfig({ DHCPMGR_TIMEOUT_MS: '0' }, files({}))).toMatchObject({ ok: false, variable: 'DHCPMGR_TIMEOUT_MS' });
    const f = files({ '/c.json': JSON.stringify({ abi: 'x32' }) });
    expect(loadConfig({ DHCPMGR_CONFIG: '/c.json' }, f)).toMatchObject({ ok: false, variable: '/c.json: abi' });
    expect(loadConfig({ DHCPMGR_CONFIG: '/missing.json' }, files({}))).toMatchObject({ ok: false, variable: 'DHCPMGR_CONFIG' });
    expect(loadConfig({ DHCPMGR_KEY_FILE: '/k' }, files({ '/k': 'short' }))).toMatchObject({ ok: false, variable: 'DHCPMGR_KEY_FILE' });
  });

  it('loads the HMAC key bytes', () => {
    const r = loadConfig({ DHCPMGR_KEY_FILE: '/k' }, files({ '/k': 'k'.repeat(32) }));
    expect(r.ok && r.config.key?.toString()).toBe('k'.repeat(32));
  });
});

describe('parsing helpers', () => {
  it('reads strict decimals with surrounding whitespace and a sign, within range', () => {
    expect(parseDecimal(' 30 ', 0, 100)).toBe(30);
    expect(parseDecimal('+30', 0, 100)).toBe(30);
    expect(parseDecimal('30s', 0, 100)).toBeUndefined();
    expect(parseDecimal('', 0, 100)).toBeUndefined();
    expect(parseDecimal('101', 0, 100)).toBeUndefined();
    expect(parseDecimal('-5', -10, 0)).toBe(-5);
  });

  it('parseDecimal and isCStringText agree with the patterns they replace, on any string', () => {
    const decimal = (v: string, min: number, max: number): number | undefined => {
      const m = /^\s*([+-]?\d{1,20})\s*$/.exec(v);
      const n = m ? Number(m[1]) : NaN;
      return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
    };
    const text = fc.oneof(fc.string(), fc.stringMatching(/^[\s+\-0-9a\u00a0\u2028\ufeff]{0,24}$/), fc.integer().map((n) => ` ${n}\t`));
    fc.assert(fc.property(text, (v) => {
      expect([v, parseDecimal(v, -0x80000000, 0xffffffff)]).toEqual([v, decimal(v, -0x80000000, 0xffffffff)]);
      expect([v, isCStringText(v)]).toEqual([v, !/[^\x01-\xff]/.test(v)]);
    }), { numRuns: 5000 });
    expect(isCStringText('caf\u00e9 \u00ff')).toBe(true);
    expect(isCStringText('a\u0000b')).toBe(false);
    expect(isCStringText('\u0100')).toBe(false);
  });

  it('isDottedQuad accepts exactly what net.isIPv4 accepts', () => {
    for (const ok of ['0.0.0.0', '255.255.255.255', '192.168.77.130', '10.0.0.1']) expect(isDottedQuad(ok)).toBe(true);
    for (const bad of ['', '1.2.3', '1.2.3.4.', '.1.2.3.4', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.00', '1..3.4', '1.2.3.4 ', '1.2.3.4\n', '1.2.3.a', '1234.1.1.1', '+1.2.3.4']) {
      expect([bad, isDottedQuad(bad)]).toEqual([bad, false]);
    }
    // Strings made of the characters that matter (digits, dots, a sign, a space), short and long.
    const part = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.stringMatching(/^[0-9. +a]{0,4}$/));
    fc.assert(fc.property(fc.array(part, { minLength: 1, maxLength: 6 }), fc.constantFrom('.', '', '..'), (parts, sep) => {
      const s = parts.join(sep === '' ? '.' : sep);
      expect([s, isDottedQuad(s)]).toEqual([s, isIPv4(s)]);
    }), { numRuns: 5000 });
  });

  it('accepts Linux interface names only', () => {
    expect(checkIfname('erouter0')).toBeUndefined();
    expect(checkIfname('a'.repeat(15))).toBeUndefined();
    expect(checkIfname(undefined)).toBe('is missing or empty');
    expect(checkIfname('')).toBe('is missing or empty');
    expect(checkIfname('a'.repeat(16))).toBe(`"${'a'.repeat(16)}" is 16 bytes; an interface name has at most 15`);
    for (const bad of ['eth0/1', 'eth 0', '..', 'eth0:1']) expect(checkIfname(bad)).toBe(`"${bad}" is not a valid interface name`);
  });
});
