/**
 * The built dhcpmgr-dibbler-plugin bundle, spawned as dibbler-client runs it (argv[1] = event,
 * the lease in the environment), delivering to a real REP socket from plugin-msg's transport.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { decode, decodeEnvelope, encodeAck, listSpool } from '@dhcpmgr/plugin-msg';
import { bindRep, Receiver } from '@dhcpmgr/plugin-msg/transport';
import { builtBin, loadFixtures } from '@dhcpmgr/plugin-msg/testing';
import { spawn } from 'child_process';

const bin = builtBin(join(__dirname, '..'), 'dhcpmgr-dibbler-plugin');
const fixtures = loadFixtures(join(__dirname, '__fixtures__'));
let dir: string;
let base: Record<string, string>;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-dibbler-bin-'));
  writeFileSync(join(dir, 'plugin.json'), '{}');
  base = {
    PATH: process.env.PATH ?? '/usr/bin:/bin', DHCPMGR_ACK_ADDR: `ipc://${dir}/ack.ipc`,
    DHCPMGR_SPOOL_DIR: join(dir, 'spool'), DHCPMGR_TIMEOUT_MS: '300', DHCPMGR_CONFIG: join(dir, 'plugin.json'),
  };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...base, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const kill = setTimeout(() => child.kill('SIGKILL'), 15000);
    child.on('error', reject);
    child.on('exit', (code) => { clearTimeout(kill); resolve({ code, stdout, stderr }); });
  });
}

describe('dhcpmgr-dibbler-plugin executable', () => {
  it('is executable with a node shebang', () => {
    expect(statSync(bin).mode & 0o111).not.toBe(0);
    expect(readFileSync(bin, 'latin1').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('delivers every fixture to an acked responder and exits 0', async () => {
    const got: Buffer[] = [];
    const r: Receiver = bindRep(`ipc://${dir}/ack.ipc`, (req) => { got.push(req); return encodeAck({ status: 'applied', reason: '' }); }, () => encodeAck({ status: 'unavailable', reason: '' }));
    try {
      for (const f of fixtures) expect((await run([f.event], f.env)).code).toBe(0);
    } finally {
      r.close();
    }
    expect(got.map((g) => decode(decodeEnvelope(g).payload).msg.ifname)).toEqual(fixtures.map(() => 'veth-cli'));
    expect(listSpool(join(dir, 'spool'))).toEqual([]);
  });

  it('--dry-run prints the chosen prefix of the old-and-new update', async () => {
    const f = fixtures.find((x) => x.name === 'update-old-and-new-prefix')!;
    const r = await run(['--dry-run', f.event], f.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"prefix": "fd00:77:200:27::"');
  });

  it('exits 0 and sends nothing for an event it does not handle', async () => {
    const r = await run(['start'], { IFACE: 'eth0' });
    expect([r.code, r.stderr]).toEqual([0, '']);
  });

  it.each<[string, string, Record<string, string>, string]>([
    ['an expire call without IFACE and no DHCPMGR_IFNAME', 'expire', { ADDR1: 'fd00::1' }, 'IFACE'],
    ['an address that does not parse', 'add', { IFACE: 'eth0', ADDR1: 'fd00:::1', ADDR1VALID: '30' }, 'ADDR1'],
    ['a value longer than its field', 'add', { IFACE: 'eth0', SRV_OPTION31: 'n'.repeat(129) }, 'SRV_OPTION31'],
    ['a number out of range', 'update', { IFACE: 'eth0', PREFIX1: '2001:db8::', PREFIX1VALID: '30', PREFIX1LEN: '200' }, 'PREFIX1LEN'],
  ])('exits 2 with one log line naming the variable for %s', async (_w, event, env, variable) => {
    const r = await run([event], env);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 50, variable });
  });

  it('takes the interface of an expire call from DHCPMGR_IFNAME', async () => {
    const out = join(dir, 'expire.bin');
    const r = await run(['--out', out, 'expire'], { ADDR1: 'fd00::1', DHCPMGR_IFNAME: 'erouter0' });
    expect(r.code).toBe(0);
    expect(decode(readFileSync(out)).msg).toMatchObject({ version: 6, ifname: 'erouter0', dhcpv6: { isExpired: true } });
  });
});
