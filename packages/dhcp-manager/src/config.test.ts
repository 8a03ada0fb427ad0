import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ConfigError, DEFAULTS, OPTIONS, resolveConfig } from './config';
import { ifnameProblem } from './ifname';

describe('config', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-config-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('uses the documented defaults when nothing is given', () => {
    const c = resolveConfig({}, {});
    expect(c.listen).toBe('tcp://127.0.0.1:50324');
    expect(c.ackListen).toBe('tcp://127.0.0.1:50326');
    expect(c.events).toBe('tcp://127.0.0.1:50327');
    expect(c.http).toEqual({ host: '127.0.0.1', port: 50325 });
    expect(c.stateDir).toBe('/var/lib/dhcpmgr');
    expect(c.spoolDir).toBe('/var/lib/dhcpmgr/spool');
    expect(c.apply).toBe('none');
    expect(c.abi).toBe('auto');
    expect(c.interfaces).toEqual([]);
  });

  it('reads what --apply iproute2 touches: resolver file in the state dir by default, metrics, LAN subnet ids', () => {
    expect(resolveConfig({ 'state-dir': '/st' }).system).toEqual({
      resolvFile: '/st/resolv.conf', dnsMode: 'file', dnsPriority: [], routeMetrics: {}, lanInterfaces: [], lanDeprecateS: 30,
    });
    const file = join(dir, 'lan.json');
    writeFileSync(file, JSON.stringify({ 'lan-interfaces': ['br-lan', 'br-guest=5'], 'route-metric': 'erouter0=10,*=100' }));
    const c = resolveConfig({ 'dns-priority': 'erouter0,wan2', 'dns-mode': 'resolved', 'resolv-file': '/etc/resolv.conf' }, {}, file).system!;
    expect(c.lanInterfaces).toEqual([{ ifname: 'br-lan', id: 0 }, { ifname: 'br-guest', id: 5 }]);
    expect(c.routeMetrics).toEqual({ erouter0: 10, '*': 100 });
    expect([c.dnsMode, c.dnsPriority, c.resolvFile]).toEqual(['resolved', ['erouter0', 'wan2'], '/etc/resolv.conf']);
  });

  it.each([
    ['route-metric', 'erouter0', 'Invalid --route-metric "erouter0": expected IF=N or *=N with N from 0 to 4294967295'],
    ['route-metric', 'erouter0=-1', 'Invalid --route-metric "erouter0=-1": expected IF=N or *=N with N from 0 to 4294967295'],
    ['lan-interfaces', 'br-lan,br-lan', 'Invalid --lan-interfaces "br-lan": expected each interface and subnet id once'],
    ['lan-interfaces', 'br-lan=1,br-guest', 'Invalid --lan-interfaces "br-guest": expected each interface and subnet id once'],
    ['lan-interfaces', 'br-lan=70000', 'Invalid --lan-interfaces "br-lan=70000": expected IF or IF=ID with a subnet id from 0 to 65535'],
    ['dns-mode', 'dnsmasq', 'Invalid --dns-mode "dnsmasq": expected one of file, resolved, off'],
    ['lan-deprecate-s', '-1', 'Invalid --lan-deprecate-s "-1": expected an integer from 0 to 86400'],
  ])('refuses --%s %s', (name, value, message) => {
    expect(() => resolveConfig({ [name]: value })).toThrow(new ConfigError(message));
  });

  it('takes the spool dir from $DHCPMGR_SPOOL_DIR unless a flag or the file names one', () => {
    expect(resolveConfig({}, { DHCPMGR_SPOOL_DIR: '/run/sp' }).spoolDir).toBe('/run/sp');
    expect(resolveConfig({ 'spool-dir': '/x' }, { DHCPMGR_SPOOL_DIR: '/run/sp' }).spoolDir).toBe('/x');
  });

  it('turns `off` into a disabled endpoint', () => {
    const c = resolveConfig({ listen: 'off', http: 'off', events: 'off', 'ack-listen': 'off' });
    expect([c.listen, c.http, c.events, c.ackListen]).toEqual([null, null, null, null]);
  });

  it('lets flags override the config file, which overrides defaults', () => {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ 'log-level': 'debug', interfaces: ['erouter0', 'wan0'], 'queue-limit': 5, http: '127.0.0.1:1' }));
    const c = resolveConfig({ http: '127.0.0.1:2' }, {}, file);
    expect(c.logLevel).toBe('debug');
    expect(c.interfaces).toEqual(['erouter0', 'wan0']);
    expect(c.queueLimit).toBe(5);
    expect(c.http).toEqual({ host: '127.0.0.1', port: 2 });
  });

  it('takes --ack-workers from 1 to 256 (default 16) and refuses anything else with the range', () => {
    expect(resolveConfig({}).ackWorkers).toBe(16);
    expect(resolveConfig({ 'ack-workers': '1' }).ackWorkers).toBe(1);
    expect(resolveConfig({ 'ack-workers': 256 }).ackWorkers).toBe(256);
    for (const bad of [0, 257, 2.5, '', 'many', -1]) {
      expect(() => resolveConfig({ 'ack-workers': bad })).toThrow(ConfigError);
      expect(() => resolveConfig({ 'ack-workers': bad })).toThrow(/--ack-workers .*an integer from 1 to 256/);
    }
  });

  it('splits comma-separated interface lists', () => {
    expect(resolveConfig({ interfaces: ['a,b', 'c'] }).interfaces).toEqual(['a', 'b', 'c']);
  });

  it.each([
    [{ listen: 'http://x' }, /Invalid --listen "http:\/\/x": expected a nanomsg endpoint/],
    [{ http: '127.0.0.1:99999' }, /Invalid --http "127.0.0.1:99999": expected HOST:PORT/],
    [{ apply: 'nft' }, /Invalid --apply "nft": expected one of none, iproute2/],
    [{ abi: 'x32' }, /Invalid --abi "x32": expected one of auto, lp64, ilp32/],
    [{ interfaces: ['this-name-is-too-long'] }, /Invalid --interfaces "this-name-is-too-long"/],
    [{ interfaces: ['a/b'] }, /Invalid --interfaces "a\/b"/],
    [{ 'log-level': 'loud' }, /Invalid --log-level "loud"/],
    [{ durability: 'maybe' }, /Invalid --durability "maybe": expected one of full, normal/],
    [{ 'queue-limit': 0 }, /Invalid --queue-limit 0: expected an integer from 1/],
    [{ rcvmaxsize: 'lots' }, /Invalid --rcvmaxsize "lots"/],
  ])('refuses %j with a message naming the value', (flags, message) => {
    expect(() => resolveConfig(flags as never)).toThrow(ConfigError);
    expect(() => resolveConfig(flags as never)).toThrow(message);
  });

  it('refuses in --interfaces exactly the names the validator refuses (BAD_IFNAME), with its reason', () => {
    for (const name of ['.', '..', 'caf\xe9', 'a\x7f', 'a:1', 'x'.repeat(16)]) {
      expect(() => resolveConfig({ interfaces: [name] })).toThrow(`Invalid --interfaces ${JSON.stringify(name)}: ${ifnameProblem(name)}`);
    }
    expect(() => resolveConfig({ interfaces: ['..'] })).toThrow('Invalid --interfaces "..": interface name .. is reserved');
    expect(resolveConfig({ interfaces: ['br-lan.100', 'x'.repeat(15)] }).interfaces).toEqual(['br-lan.100', 'x'.repeat(15)]);
  });

  it('refuses an unknown key or broken JSON in the config file', () => {
    const f1 = join(dir, 'bad-key.json');
    writeFileSync(f1, JSON.stringify({ lisen: 'off' }));
    expect(() => resolveConfig({}, {}, f1)).toThrow(/unknown option "lisen"/);
    const f2 = join(dir, 'bad.json');
    writeFileSync(f2, '{');
    expect(() => resolveConfig({}, {}, f2)).toThrow(/expected JSON/);
    expect(() => resolveConfig({}, {}, join(dir, 'missing.json'))).toThrow(/Cannot read --config/);
  });

  it('takes --bind-retry-s from 0 to 86400 (default 120) and refuses anything else', () => {
    expect(resolveConfig({}).bindRetryS).toBe(120);
    expect(resolveConfig({ 'bind-retry-s': '0' }).bindRetryS).toBe(0);
    for (const bad of [-1, 86_401, 1.5, 'soon']) expect(() => resolveConfig({ 'bind-retry-s': bad })).toThrow(ConfigError);
  });

  it('takes --release-memory-after-ms from 0 to 3600000 (default 5000) and refuses anything else', () => {
    expect(resolveConfig({}).releaseMemoryAfterMs).toBe(5000);
    expect(resolveConfig({ 'release-memory-after-ms': '0' }).releaseMemoryAfterMs).toBe(0);
    for (const bad of [-1, 3_600_001, 2.5, 'later']) {
      expect(() => resolveConfig({ 'release-memory-after-ms': bad })).toThrow(/release-memory-after-ms/);
    }
  });

  it('documents every option and its description in docs/configuration.md', () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'configuration.md'), 'utf8');
    for (const [name, spec] of Object.entries(OPTIONS)) {
      expect(doc).toContain(`### \`--${name}\``);
      expect(doc).toContain(spec.describe);
    }
    expect(Object.keys(OPTIONS).sort()).toEqual(Object.keys(DEFAULTS).sort());
  });
});

describe('config: the clients section', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-config-clients-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the client table beside the options, and the client defaults', () => {
    const f = join(dir, 'c.json');
    writeFileSync(f, JSON.stringify({ apply: 'iproute2', clients: { dhcpv4: [{ interface: 'erouter0', enable: true }] } }));
    const c = resolveConfig({}, {}, f);
    expect(c.clients.dhcpv4).toEqual([expect.objectContaining({ interface: 'erouter0', enable: true, instance: 1 })]);
    expect([c.acceptUnconfigured, c.maxInterfaces, c.stopClientsOnExit, c.apiToken]).toEqual([false, 64, false, undefined]);
    expect(c.udhcpcPlugin).toMatch(/dhcpmgr-udhcpc-plugin(\.js)?$/);
  });

  it('refuses a bad client entry naming it, and a client outside --interfaces', () => {
    const f = join(dir, 'bad.json');
    writeFileSync(f, JSON.stringify({ clients: { dhcpv6: [{ interface: 'erouter0', requestPrefixes: 'yes' }] } }));
    expect(() => resolveConfig({}, {}, f)).toThrow('Invalid --config: clients.dhcpv6[0].requestPrefixes: "yes" is not a boolean');
    writeFileSync(f, JSON.stringify({ interfaces: ['wan0'], clients: { dhcpv4: [{ interface: 'erouter0' }] } }));
    expect(() => resolveConfig({}, {}, f)).toThrow(/client on erouter0 is not in --interfaces wan0/);
  });

  it('refuses an --api-token-file others can read, naming the option', () => {
    const f = join(dir, 'token');
    writeFileSync(f, 'x'.repeat(32), { mode: 0o644 });
    expect(() => resolveConfig({ 'api-token-file': f })).toThrow(ConfigError);
    expect(() => resolveConfig({ 'api-token-file': f })).toThrow(/Invalid --api-token-file .*mode 0644/);
  });
});
