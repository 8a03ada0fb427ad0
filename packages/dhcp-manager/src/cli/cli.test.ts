/**
 * The built `dhcp-manager` executable: exit codes and messages for bad options, offline decode of
 * a file, and the client commands against a running daemon (tables by default, JSON with --json).
 */
import { spawn } from 'child_process';
import { writeFileSync } from 'fs';
import { join } from 'path';
import { encodeEnvelope, stampNow } from '@dhcpmgr/plugin-msg';
import { DEFAULT_URL, plainGet, run } from './index';
import { acked, BIN, cleanup, cli, endpoints, Endpoints, requireBuilt, startDaemon, v4, v6 } from '../__fixtures__/daemon-harness';

jest.setTimeout(60000);

/** run() in this process: the same code path as the executable, without a node start per call. */
async function inproc(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {}, { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; } });
  return { code, stdout, stderr };
}

describe('dhcp-manager CLI', () => {
  let e: Endpoints;
  beforeAll(() => { requireBuilt(); e = endpoints(25400 + Math.floor(Math.random() * 40), 'dhcpmgr-cli-'); });
  afterAll(() => cleanup(e));

  it.each([
    [['--http', '127.0.0.1'], /Invalid --http "127.0.0.1": expected HOST:PORT/],
    [['--listen', 'udp://x:1'], /Invalid --listen "udp:\/\/x:1": expected a nanomsg endpoint/],
    [['--apply', 'shell'], /Invalid --apply "shell": expected one of none, iproute2/],
    [['--interfaces', 'eth0,a b'], /Invalid --interfaces "a b"/],
    [['--queue-limit', '-3'], /Invalid --queue-limit -3: expected an integer from 1/],
    [['--config', '/nonexistent/dhcpmgr.json'], /Cannot read --config/],
  ])('start %j exits 2 with a message naming the value', async (args, message) => {
    const r = await inproc(['start', '--state-dir', join(e.dir, 'never'), ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('the executable prints its package version for --version', () => {
    const r = cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe((require('../../package.json') as { version: string }).version);
  });

  it('the executable exits 2 on a bad option value, an unknown command or option', async () => {
    const r = cli(['start', '--abi', 'x86', '--state-dir', join(e.dir, 'never')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Invalid --abi "x86": expected one of auto, lp64, ilp32');
    expect(cli(['frobnicate']).code).toBe(2);
    expect((await inproc(['status', '--bogus'])).code).toBe(2);
  });

  it('decodes a raw message file and a spooled envelope, listing fields and findings', async () => {
    const raw = join(e.dir, 'bound.bin');
    writeFileSync(raw, v4('erouter0', 'bound', { staticRoutes: 'x'.repeat(64) }));
    const r = await inproc(['decode', raw]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('abi: lp64');
    expect(r.stdout).toMatch(/dhcpv4\.address\s+"192\.0\.2\.10"/);
    expect(r.stdout).toContain('finding: dhcpv4.staticRoutes fills its field with no terminator (truncated)');

    const env = join(e.dir, 'spooled.msg');
    writeFileSync(env, encodeEnvelope(v6('erouter0', false, {}, 'ilp32'), stampNow()));
    const j = JSON.parse((await inproc(['decode', env, '--json'])).stdout);
    expect(j).toMatchObject({ ok: true, abi: 'ilp32', msg: { version: 6, dhcpv6: { iaNa: { address: '2001:db8::10' } } } });
    expect(j.envelope.senderPid).toBe(process.pid);
  });

  it('decode reports invalid input from stdin with its code and exits 1', () => {
    const r = cli(['decode', '-'], Buffer.alloc(1000));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('INVALID: BAD_SIZE');
    const bad = cli(['decode', '--json'], v4('bad name', 'bound'));
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).error.code).toBe('BAD_IFNAME');
  });

  it('reads a running daemon: status, get, leases, history, watch', async () => {
    await startDaemon(e);
    const url = ['--url', `http://127.0.0.1:${e.port}`];
    const w = spawn(process.execPath, [BIN, 'watch', '--events', e.pub, '--count', '1', '--json']);
    let watched = '';
    w.stdout.on('data', (c) => (watched += c));
    const wexit = new Promise<number | null>((r) => w.on('exit', (code) => r(code)));
    try {
      // The watcher's subscription joins at some point after its start: keep sending until it saw one.
      let exited = false;
      void wexit.then(() => { exited = true; });
      for (let k = 0; k < 40 && !exited; k++) {
        expect((await acked(e, v4('erouter0', 'bound'))).status).toBe('applied');
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(await wexit).toBe(0);
    } finally {
      if (w.exitCode === null) w.kill('SIGKILL');
    }
    expect(JSON.parse(watched.trim())).toMatchObject({ topic: 'Device.DHCPv4.Client.1.Events', event: { msgTypeName: expect.stringMatching(/^LEASE_(UPDATE|RENEW)$/), ifname: 'erouter0' } });

    const get = (await inproc(['get', 'Device.DHCPv4.Client.1.IPAddress', 'Device.DHCPv4.Client.1.DHCPStatus', ...url]));
    expect(get.code).toBe(0);
    expect(get.stdout).toMatch(/^path\s+value\s+type$/m);
    expect(get.stdout).toMatch(/Device\.DHCPv4\.Client\.1\.IPAddress\s+192\.0\.2\.10\s+string/);
    const gj = JSON.parse((await inproc(['get', 'Device.DHCPv4.Client.1.IPAddress', '--json', ...url])).stdout);
    expect(gj).toEqual([{ path: 'Device.DHCPv4.Client.1.IPAddress', value: '192.0.2.10', type: 'string' }]);
    const missing = (await inproc(['get', 'Device.Nothing.Here', ...url]));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/dhcp-manager: /);

    const leases = (await inproc(['leases', ...url]));
    expect(leases.stdout).toMatch(/erouter0\s+v4\s+1\s+bound\s+bound\s+ipv4 192\.0\.2\.10\/24/);
    const hist = (await inproc(['history', '--if', 'erouter0', ...url]));
    expect(hist.stdout).toMatch(/erouter0\s+v4\s+LEASE_UPDATE\(3\)\s+bound/);
    const status = (await inproc(['status', ...url]));
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/listen\s+ipc:\/\//);
    expect(JSON.parse((await inproc(['status', '--json', ...url])).stdout).engine.applied).toBeGreaterThanOrEqual(1);
  });

  it('says clearly when no daemon answers', async () => {
    const r = await inproc(['status', '--url', 'http://127.0.0.1:25499']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach dhcp-manager at http:\/\/127\.0\.0\.1:25499/);
  });
});

describe('plainGet (the yargs-free start path of `get`)', () => {
  it('parses paths, --url in both forms and --json the way yargs does', () => {
    expect(plainGet(['get', 'Device.A', '--url', 'http://h:1', 'Device.B.'], {})).toEqual({ url: 'http://h:1', paths: ['Device.A', 'Device.B.'], json: false });
    expect(plainGet(['get', '--json', '--url=http://h:2', 'Device.A'], {})).toEqual({ url: 'http://h:2', paths: ['Device.A'], json: true });
    expect(plainGet(['get', 'Device.A'], { DHCPMGR_URL: 'http://e:3' })).toEqual({ url: 'http://e:3', paths: ['Device.A'], json: false });
    expect(plainGet(['get', 'Device.A'], {})?.url).toBe(DEFAULT_URL);
  });

  it('leaves every other shape to yargs', () => {
    for (const argv of [['get'], ['get', '--help'], ['get', 'A', '--jsonx'], ['get', 'A', '--url'], ['get', 'A', '--json', '--json'],
      ['get', 'A', '--url', 'x', '--url', 'y'], ['get', '--', 'A'], ['status'], ['get', 'A', '-h'], ['get', '']]) {
      expect(plainGet(argv, {})).toBeUndefined();
    }
  });
});
