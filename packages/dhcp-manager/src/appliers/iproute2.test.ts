/**
 * The iproute2 applier against a real veth interface inside a network namespace this test
 * creates (CI runs as root). The namespace is deleted afterwards, whatever happened.
 */
import { execFileSync } from 'child_process';
import { commandsFor, Iproute2Applier, ApplyResult } from './iproute2';

const NS = `dhcpmgr-apply-${process.pid}`;
const IF = 'wan0';

function ip(...args: string[]): string {
  return execFileSync('ip', ['-n', NS, ...args], { encoding: 'utf8' });
}

beforeAll(() => {
  // A missing `ip` or missing privileges must fail loudly here, never skip.
  execFileSync('ip', ['netns', 'add', NS]);
  ip('link', 'add', IF, 'type', 'veth', 'peer', 'name', 'wan0peer');
  ip('link', 'set', 'wan0peer', 'up');
  ip('link', 'set', IF, 'up');
  ip('link', 'set', 'lo', 'up');
});

afterAll(() => {
  try { execFileSync('ip', ['netns', 'del', NS]); } catch { /* already gone */ }
});

function applier(results: ApplyResult[]): Iproute2Applier {
  return new Iproute2Applier({ netns: NS, routes: true, mtu: true, onResult: (r) => results.push(r) });
}

describe('iproute2 applier', () => {
  it('builds argument arrays, never a shell line', () => {
    expect(commandsFor({ version: 4, ifname: 'eth0', action: 'set', address: '10.0.0.5', prefixLength: 24, broadcast: '10.0.0.255', routers: ['10.0.0.1'], mtu: 1400 }, { routes: true, mtu: true })).toEqual([
      ['addr', 'replace', '10.0.0.5/24', 'broadcast', '10.0.0.255', 'dev', 'eth0'],
      ['link', 'set', 'dev', 'eth0', 'mtu', '1400'],
      ['route', 'replace', 'default', 'via', '10.0.0.1', 'dev', 'eth0'],
    ]);
    expect(commandsFor({ version: 4, ifname: 'eth0', action: 'set', address: '10.0.0.5', prefixLength: 24, broadcast: '10.0.0.255', routers: ['10.0.0.1'], mtu: 1400 })).toHaveLength(1);
    expect(commandsFor({ version: 6, ifname: 'eth0', action: 'set', address: { address: '2001:db8::5', preferred: 0xffffffff, valid: 0xffffffff } })).toEqual([
      ['-6', 'addr', 'replace', '2001:db8::5/128', 'dev', 'eth0', 'preferred_lft', 'forever', 'valid_lft', 'forever'],
    ]);
  });

  it('adds, replaces and removes a v4 address with broadcast, MTU and default route on a real interface', async () => {
    const results: ApplyResult[] = [];
    const a = applier(results);
    a.apply({ version: 4, ifname: IF, action: 'set', address: '192.0.2.10', prefixLength: 24, broadcast: '192.0.2.255', routers: ['192.0.2.1'], mtu: 1400 });
    await a.idle();
    expect(results.map((r) => r.ok)).toEqual([true]);
    const addr = ip('-4', 'addr', 'show', 'dev', IF);
    expect(addr).toContain('inet 192.0.2.10/24 brd 192.0.2.255');
    expect(addr).toContain('mtu 1400');
    expect(ip('-4', 'route', 'show', 'default')).toContain('default via 192.0.2.1 dev wan0');

    // A renew with a new address, then the clear: applied in order on the one interface.
    a.apply({ version: 4, ifname: IF, action: 'set', address: '192.0.2.11', prefixLength: 24, broadcast: '192.0.2.255', routers: [] });
    a.apply({ version: 4, ifname: IF, action: 'clear', address: '192.0.2.10', prefixLength: 24 });
    await a.idle();
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    const after = ip('-4', 'addr', 'show', 'dev', IF);
    expect(after).toContain('inet 192.0.2.11/24');
    expect(after).not.toContain('192.0.2.10/');
  });

  it('sets a v6 address with finite lifetimes and removes it on clear', async () => {
    const results: ApplyResult[] = [];
    const a = applier(results);
    a.apply({ version: 6, ifname: IF, action: 'set', address: { address: '2001:db8:1::5', preferred: 3000, valid: 6000 } });
    await a.idle();
    const shown = ip('-6', 'addr', 'show', 'dev', IF);
    expect(shown).toContain('inet6 2001:db8:1::5/128');
    expect(shown).toMatch(/valid_lft (59\d\d|6000)sec preferred_lft (29\d\d|3000)sec/);
    a.apply({ version: 6, ifname: IF, action: 'clear', address: '2001:db8:1::5' });
    await a.idle();
    expect(ip('-6', 'addr', 'show', 'dev', IF)).not.toContain('2001:db8:1::5');
    expect(results.every((r) => r.ok)).toBe(true);
  });

  it('reports a failure with the command and keeps going with the next change', async () => {
    const results: ApplyResult[] = [];
    const a = applier(results);
    a.apply({ version: 4, ifname: 'nosuch0', action: 'set', address: '198.51.100.2', prefixLength: 24, broadcast: '198.51.100.255', routers: [] });
    a.apply({ version: 4, ifname: IF, action: 'set', address: '198.51.100.3', prefixLength: 24, broadcast: '198.51.100.255', routers: [] });
    await a.idle();
    expect(results[0]).toMatchObject({ ok: false, argv: ['ip', '-n', NS, 'addr', 'replace', '198.51.100.2/24', 'broadcast', '198.51.100.255', 'dev', 'nosuch0'] });
    expect(results[0]!.error).toMatch(/nosuch0|Cannot find device/);
    expect(results[1]).toMatchObject({ ok: true });
  });

  it('treats hostile interface names as plain arguments (no shell)', async () => {
    const results: ApplyResult[] = [];
    const a = applier(results);
    a.apply({ version: 4, ifname: 'x;touch /tmp/pwned-dhcpmgr', action: 'set', address: '203.0.113.2', prefixLength: 24, broadcast: '203.0.113.255', routers: [] });
    await a.idle();
    expect(results[0]!.ok).toBe(false);
    expect(require('fs').existsSync('/tmp/pwned-dhcpmgr')).toBe(false);
  });
});
