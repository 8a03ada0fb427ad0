/**
 * The built executable (dist/dhcpmgr-udhcpc-plugin.js, the esbuild bundle), spawned the way
 * udhcpc runs it: argv[1] = event, the lease in the environment. Exit codes and log lines.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { decode, encode } from '@dhcpmgr/plugin-msg';
import { envToMsg } from './envToMsg';
import { builtBin, loadFixtures, runBin } from '@dhcpmgr/plugin-msg/testing';

const bin = builtBin(join(__dirname, '..'), 'dhcpmgr-udhcpc-plugin');
let dir: string;
let cfgEnv: Record<string, string>;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-udhcpc-bin-'));
  // Nobody listens here, and the config default path must not leak in from the host.
  cfgEnv = {
    DHCPMGR_ACK_ADDR: `ipc://${dir}/nobody.ipc`, DHCPMGR_ADDR: `ipc://${dir}/nobody-pull.ipc`,
    DHCPMGR_SPOOL_DIR: join(dir, 'spool'), DHCPMGR_TIMEOUT_MS: '200', DHCPMGR_CONFIG: join(dir, 'none.json'),
  };
  writeFileSync(join(dir, 'none.json'), '{}');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bound = loadFixtures(join(__dirname, '__fixtures__')).find((f) => f.name === 'bound')!;

function logLines(stderr: string): Array<Record<string, unknown>> {
  return stderr.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('dhcpmgr-udhcpc-plugin executable', () => {
  it('is a single executable file with a node shebang that runs directly', () => {
    expect(statSync(bin).mode & 0o111).not.toBe(0);
    expect(readFileSync(bin, 'latin1').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(execFileSync(bin, ['--version'], { encoding: 'utf8' })).toMatch(/^dhcpmgr-udhcpc-plugin \d+\.\d+\.\d+\n$/);
  });

  it('prints help with the exit codes', () => {
    const r = runBin(bin, ['--help'], {});
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Exit codes');
    expect(r.stdout).toContain('DHCPMGR_SPOOL_DIR');
  });

  it('--dry-run prints the bytes our encoder makes and the decoded fields, sending nothing', () => {
    const r = runBin(bin, ['--dry-run', 'bound'], { ...cfgEnv, ...bound.env });
    expect(r.status).toBe(0);
    const m = envToMsg('bound', bound.env);
    if (m.ok !== true) throw new Error('fixture refused');
    const hex = r.stdout.split('\n{')[0]!.replace(/\n/g, '');
    expect(hex).toBe(encode(m.msg).toString('hex'));
    expect(r.stdout).toContain('"address": "192.168.77.130"');
  });

  it('--out writes the raw PLUGIN_MSG in the requested ABI', () => {
    const out = join(dir, 'msg.bin');
    const r = runBin(bin, ['--out', out, 'renew'], { ...cfgEnv, ...bound.env, DHCPMGR_ABI: 'ilp32' });
    expect(r.status).toBe(0);
    const bytes = readFileSync(out);
    expect(bytes.length).toBe(1456);
    expect(decode(bytes).msg).toMatchObject({ version: 4, ifname: 'veth-cli', dhcpv4: { dhcpState: 'renew', mtuSize: 1400 } });
  });

  it('exits 0 and sends nothing for nak', () => {
    const nak = loadFixtures(join(__dirname, '__fixtures__')).find((f) => f.name === 'nak')!;
    const r = runBin(bin, ['nak'], { ...cfgEnv, ...nak.env });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });

  it.each<[string, Record<string, string>, string]>([
    ['no interface', { ip: '10.0.0.2', subnet: '255.0.0.0' }, 'interface'],
    ['an address that does not parse', { interface: 'eth0', ip: '10.0.0', subnet: '255.0.0.0' }, 'ip'],
    ['a value longer than its field', { interface: 'eth0', ip: '10.0.0.2', subnet: '255.0.0.0', sipsrv: 's'.repeat(65) }, 'sipsrv'],
    ['a number out of range', { interface: 'eth0', ip: '10.0.0.2', subnet: '255.0.0.0', lease: '99999999999' }, 'lease'],
    ['a number with junk', { interface: 'eth0', ip: '10.0.0.2', subnet: '255.0.0.0', lease: '77abc' }, 'lease'],
  ])('exits 2 with one log line naming the variable for %s, and spools nothing', (_w, env, variable) => {
    const r = runBin(bin, ['bound'], { ...cfgEnv, ...env });
    expect(r.status).toBe(2);
    const lines = logLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, variable });
    expect(String(lines[0]!.msg)).toContain(variable);
    expect(readdirSafe(cfgEnv.DHCPMGR_SPOOL_DIR!)).toEqual([]);
  });

  it('exits 2 when the event is missing', () => {
    const r = runBin(bin, [], { ...cfgEnv, ...bound.env });
    expect(r.status).toBe(2);
    expect(logLines(r.stderr)[0]).toMatchObject({ variable: 'argv[1]' });
  });

  it.each<[string, Record<string, string>, string]>([
    ['an unknown mode', { DHCPMGR_MODE: 'fast' }, 'DHCPMGR_MODE'],
    ['a timeout that is not a number', { DHCPMGR_TIMEOUT_MS: '2s' }, 'DHCPMGR_TIMEOUT_MS'],
    ['an unknown ABI', { DHCPMGR_ABI: 'x32' }, 'DHCPMGR_ABI'],
    ['a bad address', { DHCPMGR_ACK_ADDR: '127.0.0.1:50326' }, 'DHCPMGR_ACK_ADDR'],
    ['a config file that is missing', { DHCPMGR_CONFIG: '/nonexistent/plugin.json' }, 'DHCPMGR_CONFIG'],
    ['a key file that is missing', { DHCPMGR_KEY_FILE: '/nonexistent/key' }, 'DHCPMGR_KEY_FILE'],
  ])('exits 3 for %s, naming it', (_w, env, variable) => {
    const r = runBin(bin, ['bound'], { ...bound.env, ...cfgEnv, ...env });
    expect(r.status).toBe(3);
    expect(logLines(r.stderr)[0]).toMatchObject({ level: 50, variable });
  });

  it('reads settings from the config file, with the environment winning', () => {
    const file = join(dir, 'plugin.json');
    writeFileSync(file, JSON.stringify({ abi: 'ilp32', mode: 'legacy' }));
    const out = join(dir, 'cfg.bin');
    expect(runBin(bin, ['--out', out, 'bound'], { ...bound.env, ...cfgEnv, DHCPMGR_CONFIG: file }).status).toBe(0);
    expect(readFileSync(out).length).toBe(1456);
    expect(runBin(bin, ['--out', out, 'bound'], { ...bound.env, ...cfgEnv, DHCPMGR_CONFIG: file, DHCPMGR_ABI: 'lp64' }).status).toBe(0);
    expect(readFileSync(out).length).toBe(1464);
    writeFileSync(file, JSON.stringify({ abi: 'ilp32', colour: 'blue' }));
    const r = runBin(bin, ['bound'], { ...bound.env, ...cfgEnv, DHCPMGR_CONFIG: file });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('colour');
  });

  it('also appends its log lines to DHCPMGR_LOG_FILE', () => {
    const log = join(dir, 'logs', 'plugin.log');
    const r = runBin(bin, ['bound'], { ...cfgEnv, interface: 'eth0', ip: 'x', subnet: 'y', DHCPMGR_LOG_FILE: log });
    expect(r.status).toBe(2);
    expect(logLines(readFileSync(log, 'utf8'))[0]).toMatchObject({ variable: 'ip' });
  });
});

function readdirSafe(d: string): string[] {
  try { return readdirSync(d); } catch { return []; }
}
