import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { mergeDns, renderResolv, resolvectlArgs, writeAtomic } from './resolv';

const entries = [
  { ifname: 'wan2', version: 4 as const, servers: ['10.2.0.53'], domains: [] },
  { ifname: 'erouter0', version: 6 as const, servers: ['fd00:77::53', '192.168.77.53'], domains: ['lab.test', 'corp.test'] },
  { ifname: 'erouter0', version: 4 as const, servers: ['192.168.77.53', '192.168.77.54'], domains: [] },
  { ifname: 'aaa0', version: 4 as const, servers: ['10.3.0.53'], domains: ['a.test'] },
];

describe('resolver file content', () => {
  it('merges servers and domains in the configured interface priority, v4 before v6, without duplicates', () => {
    expect(mergeDns(entries, ['erouter0', 'wan2'])).toEqual({
      servers: ['192.168.77.53', '192.168.77.54', 'fd00:77::53', '10.2.0.53', '10.3.0.53'],
      domains: ['lab.test', 'corp.test', 'a.test'],
    });
    // Unlisted interfaces follow by name.
    expect(mergeDns(entries, []).servers[0]).toBe('10.3.0.53');
  });

  it('renders nameserver and search lines, and only the header when no lease is left', () => {
    expect(renderResolv({ servers: ['192.168.77.53', 'fd00:77::53'], domains: ['lab.test', 'corp.test'] })).toBe(
      '# Written by dhcp-manager from the active DHCP leases; rewritten on every change.\nsearch lab.test corp.test\nnameserver 192.168.77.53\nnameserver fd00:77::53\n');
    expect(renderResolv({ servers: [], domains: [] })).toBe('# Written by dhcp-manager from the active DHCP leases; rewritten on every change.\n');
  });

  it('drops a value that could inject a line or an option', () => {
    const text = renderResolv({ servers: ['1.1.1.1\nnameserver 6.6.6.6', '9.9.9.9'], domains: ['ok.test', 'bad domain', 'x#y'] });
    expect(text).toBe('# Written by dhcp-manager from the active DHCP leases; rewritten on every change.\nsearch ok.test\nnameserver 9.9.9.9\n');
  });

  it('replaces the file atomically, leaving no temporary file behind', () => {
    const d = mkdtempSync(join(tmpdir(), 'dhcpmgr-resolv-'));
    try {
      const f = join(d, 'resolv.conf');
      writeAtomic(f, 'one\n');
      writeAtomic(f, 'two\n');
      expect(readFileSync(f, 'utf8')).toBe('two\n');
      expect(readdirSync(d)).toEqual(['resolv.conf']);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('gives resolvectl argument arrays per interface, and revert when nothing is left', () => {
    expect(resolvectlArgs('erouter0', ['192.168.77.53', 'fd00:77::53'], ['lab.test'])).toEqual([
      ['dns', 'erouter0', '192.168.77.53', 'fd00:77::53'], ['domain', 'erouter0', 'lab.test'],
    ]);
    expect(resolvectlArgs('erouter0', [], [])).toEqual([['revert', 'erouter0']]);
  });
});
