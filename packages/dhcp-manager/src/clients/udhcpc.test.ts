import { dibblerConf } from './dibbler';
import { parseClients } from './table';
import { udhcpcArgv } from './udhcpc';

describe('client command lines and configurations', () => {
  it('passes every option value to udhcpc as its own argument', () => {
    const c = parseClients({ dhcpv4: [{
      interface: 'erouter0', reqOptions: [{ tag: 42 }, { tag: 43, enable: false }], sentOptions: [{ tag: 60, value: '6162' }],
      hostName: 'cpe; rm -rf / $(x) `y`', vendorClass: 'v "q"', clientId: '01aabbccddeeff', requestedIp: '192.0.2.9',
    }] }).dhcpv4[0]!;
    expect(udhcpcArgv(c, ['/bin/busybox', 'udhcpc'], '/p/plugin.js')).toEqual([
      '/bin/busybox', 'udhcpc', '-f', '-i', 'erouter0', '-s', '/p/plugin.js', '-O', '42', '-x', '0x3c:6162',
      '-x', 'hostname:cpe; rm -rf / $(x) `y`', '-V', 'v "q"', '-x', '0x3d:01aabbccddeeff', '-r', '192.0.2.9',
    ]);
  });

  it('generates a dibbler-client configuration from the DHCPv6 client', () => {
    const c = parseClients({ dhcpv6: [{ interface: 'erouter0', requestPrefixes: true, rapidCommit: true, suggestedT1: 100, suggestedT2: 200, requestedOptions: '23,31,99', prefixLengthHint: 56 }] }).dhcpv6[0]!;
    expect(dibblerConf(c, '/p/d.js')).toBe(['log-level 7', 'log-mode short', 'script "/p/d.js"', 'iface "erouter0" {',
      '  ia {\n    t1 100\n    t2 200\n  }', '  pd {\n    t1 100\n    t2 200\n    prefix ::/56\n  }', '  rapid-commit yes',
      '  option dns-server', '  option ntp-server', '  option 99 hex', '}', ''].join('\n'));
  });
});
