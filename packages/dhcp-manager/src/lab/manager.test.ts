import { mkdtempSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { resolveConfig } from '../config';
import { managerFlags, writeManagerFiles } from './manager';

/** `--name value` / `--flag` pairs back into the option map `dhcp-manager start` hands resolveConfig. */
function parseFlags(argv: string[]): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!.replace(/^--/, '');
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out[name] = true;
    else { out[name] = next; i++; }
  }
  return out;
}

describe('the lab manager', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-labmgr-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a 0600 token file and a config the manager accepts: both clients on erouter0, writes on, clients stopped on exit', () => {
    const files = writeManagerFiles(dir);
    expect(files.token).toMatch(/^[0-9a-f]{32}$/);
    expect((statSync(files.tokenFile).mode & 0o777).toString(8)).toBe('600');
    const { config, ...flags } = parseFlags(managerFlags(dir, files));
    expect(config).toBe(files.config);
    const c = resolveConfig(flags, {}, config as string);
    expect(c.apiToken?.toString()).toBe(files.token);
    expect(c.stopClientsOnExit).toBe(true);
    expect(c.clients.dhcpv4.map((x) => [x.interface, x.enable])).toEqual([['erouter0', true]]);
    expect(c.clients.dhcpv6.map((x) => [x.interface, x.enable, x.requestAddresses, x.requestPrefixes])).toEqual([['erouter0', true, true, true]]);
    expect([c.stateDir, c.spoolDir]).toEqual([join(dir, 'state'), join(dir, 'spool')]);
    expect(c.udhcpcPlugin).toMatch(/dhcpmgr-udhcpc-plugin(\.js)?$/);
    expect(c.dibblerPlugin).toMatch(/dhcpmgr-dibbler-plugin(\.js)?$/);
  });

  it('makes a new token each run', () => {
    const a = writeManagerFiles(dir).token;
    expect(writeManagerFiles(dir).token).not.toBe(a);
  });
});
