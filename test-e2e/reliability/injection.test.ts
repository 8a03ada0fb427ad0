/**
 * No shell anywhere (the CVE-2018-1111 class): interface names and option strings such as
 * `$(touch MARKER)`, `;reboot`, backticks, newlines, NUL bytes and over-long values go through
 * both plugins (as a DHCP client would hand them over in the environment) and straight into the
 * manager (raw PLUGIN_MSG frames on the legacy channel), with the iproute2 applier on inside a
 * network namespace this test creates. Nothing may execute (the marker files never appear), the
 * manager must not crash, and each value is rejected or stored byte for byte (inertly).
 * Log forgery: values carrying newlines and fake JSON log records must not produce a log line of
 * their own in the manager's or the plugins' logs (pino escapes control characters).
 */
import { spawnSync } from 'child_process';
import { existsSync, writeFileSync } from 'fs';
import { join } from 'path';
import { encode, emptyV4Lease } from '@dhcpmgr/plugin-msg';
import * as nano from 'nanomsg';
import { DIBBLER_PLUGIN, getJson, ManagerProc, removeDir, requireBuilt, runPlugin, sleep, startManager, tempDir, udhcpcEnv, UDHCPC_PLUGIN, metrics, sum } from './harness';

jest.setTimeout(300_000);
const HTTP = '127.0.0.1:25508';
const NS = `dmrel-inj-${process.pid}`;
let dir: string;
let mgr: ManagerProc | undefined;
let nsMade = false;

function sh(argv: string[]): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
}

beforeAll(() => {
  requireBuilt(UDHCPC_PLUGIN, DIBBLER_PLUGIN);
  dir = tempDir('inject');
  writeFileSync(join(dir, 'plugin.json'), '{}');
  sh(['ip', 'netns', 'add', NS]);
  nsMade = true;
  sh(['ip', '-n', NS, 'link', 'add', 'inj0', 'type', 'veth', 'peer', 'name', 'inj0p']); // no dummy module on every kernel
  sh(['ip', '-n', NS, 'link', 'set', 'inj0', 'up']);
});

afterAll(async () => {
  await mgr?.stop();
  if (nsMade) spawnSync('ip', ['netns', 'del', NS]);
  removeDir(dir);
});

it('hostile strings through both plugins and the manager execute nothing and are rejected or stored inertly; logs cannot be forged', async () => {
  const marker = (tag: string): string => join(dir, `pwn-${tag}`);
  const hostile = (tag: string): string[] => [
    `$(touch ${marker(tag)})`, `;touch ${marker(tag)}`, `\`touch ${marker(tag)}\``, `|touch ${marker(tag)}`, `&&touch ${marker(tag)}`,
    `x\ntouch ${marker(tag)}`, ';reboot', '$(reboot)', `10.0.0.1;touch ${marker(tag)}`, `10.0.0.1 $(touch ${marker(tag)})`, 'A'.repeat(5000),
  ];
  const forged = '\n{"level":50,"time":1,"msg":"FORGED"}\n\x1b[31mRED';
  const tmpPwnBefore = existsSync('/tmp/pwn');

  mgr = await startManager(['--listen', `ipc://${dir}/legacy.ipc`, '--ack-listen', `ipc://${dir}/ack.ipc`, '--events', 'off', '--state-dir', join(dir, 'state'),
    '--spool-dir', join(dir, 'spool'), '--apply', 'iproute2', '--apply-netns', NS, '--apply-routes', '--log-level', 'debug'], { http: HTTP });
  const env = { DHCPMGR_ACK_ADDR: `ipc://${dir}/ack.ipc`, DHCPMGR_SPOOL_DIR: join(dir, 'spool'), DHCPMGR_CONFIG: join(dir, 'plugin.json'), DHCPMGR_TIMEOUT_MS: '5000', DHCPMGR_LOG_LEVEL: 'debug' };
  const pluginLogs: string[] = [];
  const tally = { tried: 0, rejected: 0, stored: 0 };
  const note = (code: number | null, outcome: string | undefined, what: string): void => {
    tally.tried++;
    if (code === 2 || code === 4) tally.rejected++;
    else if (code === 0 && outcome === 'applied') tally.stored++;
    else throw new Error(`${what}: unexpected exit ${code} outcome ${outcome}`);
  };

  // udhcpc plugin: every hostile value in the interface name and each text/address variable.
  for (const v of [...hostile('u'), forged]) {
    for (const field of ['interface', 'ip', 'router', 'dns', 'serverid', 'timezone', 'sipsrv', 'staticroutes']) {
      const r = await runPlugin(UDHCPC_PLUGIN, 'bound', { ...env, ...udhcpcEnv('inj0', 600, { [field]: v }) });
      pluginLogs.push(r.stderr);
      note(r.code, r.outcome, `udhcpc ${field}=${JSON.stringify(v).slice(0, 60)}`);
    }
  }
  // dibbler plugin: interface, addresses, prefix, DNS and domain options.
  const dibblerBase = { IFACE: 'inj0', ADDR1: 'fd00:77::10b', ADDR1PREF: '20', ADDR1VALID: '30', PREFIX1: 'fd00:77:100:26::', PREFIX1LEN: '64', PREFIX1PREF: '20', PREFIX1VALID: '30', SRV_OPTION23: 'fd00:77::53 ', SRV_OPTION24: 'lab.test ' };
  for (const v of [...hostile('d'), forged]) {
    for (const field of ['IFACE', 'ADDR1', 'PREFIX1', 'SRV_OPTION23', 'SRV_OPTION24']) {
      const r = await runPlugin(DIBBLER_PLUGIN, 'add', { ...env, ...dibblerBase, [field]: v });
      pluginLogs.push(r.stderr);
      note(r.code, r.outcome, `dibbler ${field}=${JSON.stringify(v).slice(0, 60)}`);
    }
  }
  // The manager directly: raw frames whose strings hold the hostile bytes, NUL bytes included.
  const before = sum(await metrics(HTTP), 'dhcpmgr_messages_total', 'channel="legacy"');
  const valid = encode({ version: 4, ifname: 'inj0', dhcpv4: { ...emptyV4Lease(), ifname: 'inj0', addressAssigned: true, address: '10.7.0.2', netmask: '255.255.255.0', gateway: '10.7.0.1', leaseTime: 600, dhcpState: 'bound' } } as never, { abi: 'lp64' });
  // Outer ifname (0, 32 bytes) and, inside the DHCPv4 struct at 40: ifname 226 (32), gateway and other text fields.
  const spots = [[0, 32], [40 + 226, 32], [40 + 2, 32], [40 + 34, 32], [40 + 66, 32], [40 + 98, 64]] as const;
  const raw = [...hostile('m'), forged, 'a\0$(touch x)', '\0\0\0;reboot'];
  // One long-lived PUSH socket (pushOnce per frame closes right after the send, which can drop
  // the frame on a loaded machine: the legacy channel has no acknowledgement).
  const push = nano.socket('push');
  push.on('error', () => undefined);
  push.connect(`ipc://${dir}/legacy.ipc`);
  let frames = 0;
  for (const v of raw) {
    for (const [at, width] of spots) {
      const f = Buffer.from(valid);
      f.fill(0, at, at + width);
      Buffer.from(v, 'latin1').copy(f, at, 0, width);
      push.send(f);
      frames++;
    }
  }
  for (let i = 0; i < 100 && sum(await metrics(HTTP), 'dhcpmgr_messages_total', 'channel="legacy"') - before < frames; i++) await sleep(50);
  push.close();
  const m = await metrics(HTTP);
  expect(sum(m, 'dhcpmgr_messages_total', 'channel="legacy"') - before).toBe(frames);
  tally.tried += frames;
  await sleep(1000); // let the applier finish

  // Nothing ran.
  const markers = ['u', 'd', 'm'].map(marker).filter((p) => existsSync(p));
  expect(markers).toEqual([]);
  if (!tmpPwnBefore) expect(existsSync('/tmp/pwn')).toBe(false);
  expect(mgr.child.exitCode).toBeNull();
  // What was stored is inert: every string in the model is printable and came from our inputs.
  const values = (await getJson<{ values: Array<{ path: string; value: unknown }> }>(HTTP, '/api/v1/tr181?path=Device.')).values;
  // Control characters (ESC from the forged value) may sit in a stored string: they are data, and
  // every output escapes them (JSON here, the logs below). Newlines and NUL never get in.
  const withControls = values.filter((v) => typeof v.value === 'string' && /[\x00-\x1f\x7f]/.test(v.value)).map((v) => v.path);
  for (const v of values) if (typeof v.value === 'string') expect(v.value).not.toMatch(/[\x00\n\r]/);

  // Logs: every line is one JSON record; no forged record, no raw control characters.
  const check = (text: string, who: string): number => {
    let n = 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let rec: { msg?: string };
      try { rec = JSON.parse(line) as { msg?: string }; } catch { throw new Error(`${who}: a line that is not one JSON record: ${JSON.stringify(line).slice(0, 200)}`); }
      expect(rec.msg).not.toBe('FORGED');
      expect(line).not.toMatch(/[\x00-\x1f\x7f]/);
      n++;
    }
    return n;
  };
  const managerLines = check(mgr.stdout(), 'manager log');
  const pluginLines = pluginLogs.reduce((a, t) => a + check(t, 'plugin log'), 0);
  expect(mgr.stdout()).toContain('FORGED'); // the value was logged somewhere, escaped, inside a record
  const addrs = spawnSync('ip', ['-n', NS, '-j', 'addr', 'show', 'dev', 'inj0'], { encoding: 'utf8' }).stdout;
  console.log(`FIGURES injection ${JSON.stringify({ ...tally, markersCreated: markers.length, storedWithControlChars: withControls, managerLogLines: managerLines, pluginLogLines: pluginLines, inj0: JSON.parse(addrs)[0]?.addr_info?.map((a: { local: string }) => a.local) })}`);
  expect(await mgr.stop()).toBe(0);
});
