import { checkIfname } from '../ifname';
import { DEFAULTS, loadConfig } from './config';
import { parseDecimal } from './parse';

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

  it('accepts Linux interface names only', () => {
    expect(checkIfname('erouter0')).toBeUndefined();
    expect(checkIfname('a'.repeat(15))).toBeUndefined();
    expect(checkIfname(undefined)).toBe('is missing or empty');
    expect(checkIfname('')).toBe('is missing or empty');
    expect(checkIfname('a'.repeat(16))).toBe(`"${'a'.repeat(16)}" is 16 bytes; an interface name has at most 15`);
    for (const bad of ['eth0/1', 'eth 0', '..', 'eth0:1']) expect(checkIfname(bad)).toBe(`"${bad}" is not a valid interface name`);
  });
});
