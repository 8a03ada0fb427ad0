/**
 * The release package: `npm run package` builds the tarball and the .deb; the .deb is unpacked
 * (`dpkg-deb -x`) into a fresh directory under the system temp dir, outside the clone, and the
 * manager, its CLI and the udhcpc plugin run from there alone: a captured `bound` call goes in
 * through the installed plugin and its address is read back with the installed CLI. The contents
 * list is checked: the expected files, and no sources, tests, maps or other node_modules.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { asserted } from './src/check';
import { loadCapture } from './src/fixtures';
import { ROOT, toParams } from './src/manager';
import { run, start, stop, Tracked, waitFor } from './src/proc';

jest.setTimeout(600_000);

const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'packages', 'dhcp-manager', 'package.json'), 'utf8')) as { version: string }).version;
const ARCH = run(['dpkg', '--print-architecture']).stdout.trim();
const DEB = path.join(ROOT, 'dist-release', `dhcpmgr_${VERSION}_${ARCH}.deb`);
const TARBALL = path.join(ROOT, 'dist-release', `dhcpmgr-${VERSION}-${ARCH}.tar.gz`);
const PORTS = { listen: 23510, ack: 23511, events: 23512, http: 23513 };
const URL = `http://127.0.0.1:${PORTS.http}`;
/** The installed tree's programs run with no path into the clone (node's own dir first). */
const ENV = { PATH: [path.dirname(process.execPath), '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':'), LANG: 'C' };

let root: string;
let manager: Tracked | undefined;

/** Paths inside the .deb's data (`./usr/bin/x` -> `usr/bin/x`), directories end in `/`. */
function debList(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of run(['dpkg-deb', '-c', DEB]).stdout.split('\n').filter(Boolean)) {
    const m = /^(\S+)\s+\S+\s+\d+\s+\S+\s+\S+\s+\.\/(.*?)(?: -> (.*))?$/.exec(line);
    if (!m) throw new Error(`unparsed dpkg-deb -c line: ${line}`);
    if (m[2]) out.set(m[2], m[1]!.startsWith('l') ? `-> ${m[3]}` : m[1]!);
  }
  return out;
}

function installed(...args: string[]): string {
  return run([path.join(root, 'usr', 'bin', 'dhcp-manager'), ...args], { env: ENV }).stdout;
}

beforeAll(() => {
  const t0 = Date.now();
  const r = spawnSync('npm', ['run', 'package'], { cwd: ROOT, encoding: 'utf8', timeout: 540_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`npm run package failed (${r.status ?? r.signal}):\n${r.stdout.slice(-4000)}${r.stderr.slice(-4000)}`);
  asserted(`npm run package built ${path.basename(DEB)} (${fs.statSync(DEB).size} bytes) and ${path.basename(TARBALL)} (${fs.statSync(TARBALL).size} bytes) in ${Date.now() - t0} ms`);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'dhcpmgr-pkg-'));
});

afterAll(async () => {
  if (manager) await stop(manager);
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe('the package contents', () => {
  it('holds the bundles, the addons they load, bins, unit and config, and nothing from development', () => {
    const files = debList();
    const names = [...files.keys()];
    for (const f of [
      'usr/lib/dhcpmgr/dhcp-manager.js', 'usr/lib/dhcpmgr/dhcp-manager.main.js', 'usr/lib/dhcpmgr/dhcp-manager.mqtt.js',
      'usr/lib/dhcpmgr/style.css', 'usr/lib/dhcpmgr/app.js',
      'usr/lib/dhcpmgr/dhcpmgr-udhcpc-plugin.js', 'usr/lib/dhcpmgr/dhcpmgr-udhcpc-plugin.main.js', 'usr/lib/dhcpmgr/dhcpmgr-udhcpc-plugin.main.cache',
      'usr/lib/dhcpmgr/dhcpmgr-dibbler-plugin.js', 'usr/lib/dhcpmgr/dhcpmgr-dibbler-plugin.main.js', 'usr/lib/dhcpmgr/dhcpmgr-dibbler-plugin.main.cache',
      'usr/lib/dhcpmgr/node_modules/nanomsg/build/Release/node_nanomsg.node',
      'usr/lib/dhcpmgr/node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      'usr/lib/dhcpmgr/node_modules/@dhcpmgr/malloc-trim/build/Release/malloc_trim.node',
      'lib/systemd/system/dhcp-manager.service', 'etc/dhcpmgr/manager.json', 'etc/dhcpmgr/plugin.json',
      'usr/share/doc/dhcpmgr/copyright',
    ]) expect([f, files.has(f)]).toEqual([f, true]);
    expect(files.get('usr/bin/dhcp-manager')).toBe('-> ../lib/dhcpmgr/dhcp-manager.js');
    expect(files.get('usr/bin/dhcpmgr-udhcpc-plugin')).toBe('-> ../lib/dhcpmgr/dhcpmgr-udhcpc-plugin.js');
    expect(files.get('usr/bin/dhcpmgr-dibbler-plugin')).toBe('-> ../lib/dhcpmgr/dhcpmgr-dibbler-plugin.js');
    expect(files.get('usr/lib/dhcpmgr/dhcp-manager.js')).toBe('-rwxr-xr-x');
    expect(files.get('etc/dhcpmgr/manager.json')).toBe('-rw-r--r--');

    // No sources, tests, maps, declarations, fixtures; the only packages are the native ones.
    expect(names.filter((n) => /\.(ts|map|tsbuildinfo|cc|c|h|gyp)$/.test(n) || /(^|\/)(src|test|tests|__fixtures__|deps)\//.test(n) || /\.test\./.test(n))).toEqual([]);
    const pkgs = names.filter((n) => /node_modules\/(@[^/]+\/)?[^/@]+\/$/.test(n)).map((n) => n.replace(/^.*node_modules\//, '').replace(/\/$/, ''));
    expect(pkgs.sort()).toEqual(['@dhcpmgr/malloc-trim', 'better-sqlite3', 'nanomsg']);
    // Inside those: a package.json, the bundled index.js, the licence and the addon; no build
    // intermediates (obj.target), no test addon.
    const inNative = names.filter((n) => /node_modules\/[^/]+\/./.test(n) && !n.endsWith('/')).map((n) => n.replace(/^usr\/lib\/dhcpmgr\/node_modules\//, ''));
    expect(inNative.sort()).toEqual([
      '@dhcpmgr/malloc-trim/build/Release/malloc_trim.node', '@dhcpmgr/malloc-trim/index.js', '@dhcpmgr/malloc-trim/package.json',
      'better-sqlite3/LICENSE', 'better-sqlite3/build/Release/better_sqlite3.node', 'better-sqlite3/index.js', 'better-sqlite3/package.json',
      'nanomsg/LICENSE', 'nanomsg/build/Release/node_nanomsg.node', 'nanomsg/index.js', 'nanomsg/package.json',
    ]);

    // The tarball holds the same tree.
    const tarNames = run(['tar', '-tzf', TARBALL]).stdout.split('\n').filter(Boolean).map((n) => n.replace(/^\.\//, ''));
    expect(tarNames.filter((n) => !n.endsWith('/')).sort()).toEqual(names.filter((n) => !n.endsWith('/')).sort());

    const control = run(['dpkg-deb', '-f', DEB]).stdout;
    expect(control).toMatch(/^Package: dhcpmgr$/m);
    expect(control).toMatch(new RegExp(`^Version: ${VERSION.replace(/\./g, '\\.')}$`, 'm'));
    expect(control).toMatch(new RegExp(`^Architecture: ${ARCH}$`, 'm'));
    expect(control).toMatch(/^Depends: nodejs \(>= 2\d\), nodejs \(<< 2\d\), libc6 \(>= 2\.\d+\)/m);
    const conffiles = run(['dpkg-deb', '-I', DEB, 'conffiles']).stdout.split('\n').filter(Boolean);
    expect(conffiles).toEqual(['/etc/dhcpmgr/manager.json', '/etc/dhcpmgr/plugin.json']);
    asserted(`package lists ${names.length} entries: bins are symlinks into usr/lib/dhcpmgr, only node_modules/{@dhcpmgr/malloc-trim,better-sqlite3,nanomsg} with index.js + addon, no .ts/.map/tests; tarball = deb tree; Depends and conffiles as expected`);
  });
});

describe('the installed tree, outside the clone', () => {
  it('runs the manager, takes a lease from the installed udhcpc plugin and shows it with the installed CLI', async () => {
    run(['dpkg-deb', '-x', DEB, root]);
    // Nothing from the clone can be found by node's module search from the installed tree.
    expect(path.relative(ROOT, root).startsWith('..')).toBe(true);
    for (let d = root; ; d = path.dirname(d)) {
      expect([d, fs.existsSync(path.join(d, 'node_modules'))]).toEqual([d, false]);
      if (path.dirname(d) === d) break;
    }

    const stateDir = path.join(root, 'var', 'lib', 'dhcpmgr');
    const spoolDir = path.join(stateDir, 'spool');
    // Flags a newer manager may require for this run are added here, in one place, when its
    // --help offers them.
    const help = installed('start', '--help');
    const extra = ['--accept-unconfigured'].filter((f) => help.includes(f));
    manager = start('installed dhcp-manager', [path.join(root, 'usr', 'bin', 'dhcp-manager'), 'start',
      '--config', path.join(root, 'etc', 'dhcpmgr', 'manager.json'),
      '--state-dir', stateDir, '--spool-dir', spoolDir,
      '--listen', `tcp://127.0.0.1:${PORTS.listen}`, '--ack-listen', `tcp://127.0.0.1:${PORTS.ack}`,
      '--events', `tcp://127.0.0.1:${PORTS.events}`, '--http', `127.0.0.1:${PORTS.http}`, ...extra], { env: ENV });
    const m = manager;
    const status = await waitFor('the installed manager to answer `status --json`', () => {
      if (m.child.exitCode !== null) throw new Error(`manager exited ${m.child.exitCode}: ${m.err()}${m.out().slice(-2000)}`);
      return JSON.parse(installed('status', '--json', '--url', URL)) as Record<string, unknown>;
    }, 20_000);
    expect(status.version).toBe(VERSION);

    // The native addons the running manager mapped are the installed ones.
    const maps = fs.readFileSync(`/proc/${m.pid}/maps`, 'utf8');
    const addons = [...new Set(maps.split('\n').map((l) => l.split(/\s+/)[5] ?? '').filter((f) => f.endsWith('.node')))].sort();
    expect(addons).toEqual([
      path.join(root, 'usr/lib/dhcpmgr/node_modules/@dhcpmgr/malloc-trim/build/Release/malloc_trim.node'),
      path.join(root, 'usr/lib/dhcpmgr/node_modules/better-sqlite3/build/Release/better_sqlite3.node'),
      path.join(root, 'usr/lib/dhcpmgr/node_modules/nanomsg/build/Release/node_nanomsg.node'),
    ]);

    const cap = loadCapture('udhcpc-bound.env');
    expect(cap.env.ip).toBe('192.168.77.130');
    const plugin = spawnSync(path.join(root, 'usr', 'bin', 'dhcpmgr-udhcpc-plugin'), [cap.event], {
      cwd: root, encoding: 'utf8', timeout: 20_000,
      env: {
        ...cap.env, ...ENV,
        DHCPMGR_CONFIG: path.join(root, 'etc', 'dhcpmgr', 'plugin.json'),
        DHCPMGR_ACK_ADDR: `tcp://127.0.0.1:${PORTS.ack}`, DHCPMGR_SPOOL_DIR: spoolDir, DHCPMGR_TIMEOUT_MS: '10000',
      },
    });
    expect([plugin.status, plugin.stderr]).toEqual([0, '']);
    // Delivered and acknowledged: nothing was left in the spool.
    expect(fs.existsSync(spoolDir) ? fs.readdirSync(spoolDir).filter((f) => f.endsWith('.msg')) : []).toEqual([]);

    const address = installed('get', 'Device.DHCPv4.Client.1.IPAddress', '--url', URL);
    expect(address).toContain('192.168.77.130');
    const params = toParams(JSON.parse(installed('get', 'Device.DHCPv4.Client.1.IPAddress', '--url', URL, '--json')));
    expect(params['Device.DHCPv4.Client.1.IPAddress']).toBe('192.168.77.130');
    expect(fs.existsSync(path.join(stateDir, 'dhcpmgr.sqlite'))).toBe(true);
    // The WAL checkpoint worker thread loads better-sqlite3 by itself: it must find the
    // installed one too.
    const cp = await waitFor('a WAL checkpoint by the worker thread', () => {
      const c = (JSON.parse(installed('status', '--json', '--url', URL)) as { checkpointer: { runs: number; errors: number } }).checkpointer;
      return c.runs > 0 || c.errors > 0 ? c : undefined;
    }, 10_000);
    expect([cp.runs > 0, cp.errors]).toEqual([true, 0]);

    await stop(m);
    expect(await m.exited).toBe(0);
    manager = undefined;
    asserted(`installed tree in ${root}: manager ${VERSION} ran with its addons from there (${addons.length} .node mapped), the installed udhcpc plugin delivered bound (exit 0, spool empty), installed CLI read Device.DHCPv4.Client.1.IPAddress = 192.168.77.130, checkpoint worker ran ${cp.runs}x, SIGTERM -> exit 0`);
  });

  it('keeps the MQTT client in a file of its own, which the installed manager loads for --mqtt-url', async () => {
    const mqttFile = path.join(root, 'usr', 'lib', 'dhcpmgr', 'dhcp-manager.mqtt.js');
    // The MQTT library is not in the main file: the main file requires it by its own name.
    const main = fs.readFileSync(path.join(root, 'usr', 'lib', 'dhcpmgr', 'dhcp-manager.main.js'), 'utf8');
    expect(main).toContain('require("./dhcp-manager.mqtt.js")');
    expect(main).not.toContain('MqttClient extends');
    const stateDir = path.join(root, 'var', 'lib', 'dhcpmgr-mqtt');
    // No broker listens on the events port here: the exporter loads, tries, and counts failures.
    const brokerUrl = `mqtt://127.0.0.1:${PORTS.events}`;
    const m = start('installed dhcp-manager with --mqtt-url', [path.join(root, 'usr', 'bin', 'dhcp-manager'), 'start',
      '--state-dir', stateDir, '--spool-dir', path.join(stateDir, 'spool'), '--accept-unconfigured',
      '--listen', `tcp://127.0.0.1:${PORTS.listen}`, '--ack-listen', 'off', '--events', 'off',
      '--http', `127.0.0.1:${PORTS.http}`, '--mqtt-url', brokerUrl, '--gateway-id', 'pkgtest'], { env: ENV });
    manager = m;
    const mqtt = await waitFor('the installed manager to report a failed MQTT connection', () => {
      if (m.child.exitCode !== null) throw new Error(`manager exited ${m.child.exitCode}: ${m.err()}${m.out().slice(-2000)}`);
      const st = JSON.parse(installed('status', '--json', '--url', URL)) as { mqtt?: { url: string; connected: boolean; failures: number } };
      return st.mqtt && st.mqtt.failures > 0 ? st.mqtt : undefined;
    }, 20_000);
    expect([mqtt.url, mqtt.connected]).toEqual([brokerUrl, false]);
    await stop(m);
    expect(await m.exited).toBe(0);
    manager = undefined;
    asserted(`installed manager with --mqtt-url ${brokerUrl} (nothing listening): exporter from ${path.basename(mqttFile)} reported ${mqtt.failures} failed connection(s), connected false; SIGTERM -> exit 0`);
  });

  it('refuses a too old Node.js, and one with another addon ABI, with one line and exit 2', () => {
    const launcher = path.join(root, 'usr', 'lib', 'dhcpmgr', 'dhcp-manager.js');
    expect(fs.existsSync(launcher)).toBe(true);
    const fake = (prop: string, value: string) => spawnSync(process.execPath, ['-e',
      `Object.defineProperty(process.versions, ${JSON.stringify(prop)}, { value: ${JSON.stringify(value)} });
       process.argv = [process.argv[0], ${JSON.stringify(launcher)}, '--version']; require(${JSON.stringify(launcher)});`],
    { cwd: root, env: ENV, encoding: 'utf8', timeout: 20_000 });
    const old = fake('node', '18.19.0');
    expect([old.status, old.stdout, old.stderr]).toEqual([2, '', 'dhcp-manager: Node.js 18.19.0 is not supported; dhcp-manager needs Node.js >=20 <21 || >=22\n']);
    const abi = fake('modules', '999');
    expect(abi.status).toBe(2);
    expect(abi.stderr).toBe(`dhcp-manager: the native addons of this installation were built for Node.js ABI ${process.versions.modules}, but this Node.js ${process.versions.node} has ABI 999; install the Node.js major version the package was built for, or a package built for this one\n`);
    asserted('installed launcher: Node 18.19.0 -> exit 2 "not supported"; ABI 999 -> exit 2 naming the built ABI');
  });
});
