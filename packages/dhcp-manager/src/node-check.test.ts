import { spawnSync } from 'child_process';
import { join } from 'path';
import { nodeRefusal } from './node-check';

describe('nodeRefusal', () => {
  it('accepts Node 20.x and 22 or later', () => {
    expect(nodeRefusal('20.0.0')).toBeUndefined();
    expect(nodeRefusal('20.20.2')).toBeUndefined();
    expect(nodeRefusal('v22.11.0')).toBeUndefined();
    expect(nodeRefusal('24.1.0')).toBeUndefined();
  });

  it('refuses older Node and Node 21, naming the version and the supported range', () => {
    expect(nodeRefusal('18.19.0')).toBe('Node.js 18.19.0 is not supported; dhcp-manager needs Node.js >=20 <21 || >=22');
    expect(nodeRefusal('v12.22.12')).toBe('Node.js 12.22.12 is not supported; dhcp-manager needs Node.js >=20 <21 || >=22');
    expect(nodeRefusal('21.7.3')).toMatch(/^Node\.js 21\.7\.3 is not supported/);
    expect(nodeRefusal('19.9.9')).toMatch(/^Node\.js 19\.9\.9 is not supported/);
  });

  it('refuses an unreadable version string', () => {
    expect(nodeRefusal('banana')).toBe('cannot read the Node.js version "banana"; dhcp-manager needs Node.js >=20 <21 || >=22');
  });

  it('refuses a supported Node whose addon ABI differs from the one the package was built with', () => {
    expect(nodeRefusal('22.11.0', '127', '115')).toBe('the native addons of this installation were built for Node.js ABI 115, '
      + 'but this Node.js 22.11.0 has ABI 127; install the Node.js major version the package was built for, or a package built for this one');
    expect(nodeRefusal('20.20.2', '115', '115')).toBeUndefined();
    // From a clone nothing is known about the addons' ABI: only the version counts.
    expect(nodeRefusal('20.20.2', '115', undefined)).toBeUndefined();
  });
});

describe('bin.js on a too old Node', () => {
  it('exits 2 with one line before loading the CLI', () => {
    // The real built executable, with process.versions.node faked by a preload: what a user
    // with Node 18 sees.
    const bin = join(__dirname, '..', 'dist', 'bin.js');
    const r = spawnSync(process.execPath, ['-e', `Object.defineProperty(process.versions, 'node', { value: '18.19.0' });
      process.argv = [process.argv[0], ${JSON.stringify(bin)}, '--version']; require(${JSON.stringify(bin)});`], { encoding: 'utf8', timeout: 10000 });
    expect(r.stderr).toBe('dhcp-manager: Node.js 18.19.0 is not supported; dhcp-manager needs Node.js >=20 <21 || >=22\n');
    expect(r.stdout).toBe('');
    expect(r.status).toBe(2);
  });
});
