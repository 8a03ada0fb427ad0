/**
 * A client kind that is not configured is not loaded: a real daemon (built dist/) with no client
 * loads neither the udhcpc nor the dibbler module; with one DHCPv4 client (on an interface that
 * does not exist, so nothing is spawned) it loads the udhcpc module and still not dibbler's.
 */
import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { PKG, requireBuilt } from '../__fixtures__/daemon-harness';

function clientModules(clients: unknown): { udhcpc: boolean; dibbler: boolean } {
  const dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-lazy-clients-'));
  try {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ clients }));
    const script = `
      const { resolveConfig } = require(${JSON.stringify(join(PKG, 'dist', 'config.js'))});
      const { startDaemon } = require(${JSON.stringify(join(PKG, 'dist', 'daemon.js'))});
      const pino = require('pino');
      const d = ${JSON.stringify(dir)};
      const flags = { listen: 'ipc://' + d + '/p.sock', 'ack-listen': 'off', events: 'off', http: 'off',
        'state-dir': d + '/state', 'spool-dir': d + '/spool', durability: 'normal' };
      startDaemon(resolveConfig(flags, {}, d + '/config.json'), pino({ level: 'silent' })).then(async (dm) => {
        const has = (name) => Object.keys(require.cache).some((k) => k.endsWith('/dist/clients/' + name + '.js'));
        const out = { udhcpc: has('udhcpc'), dibbler: has('dibbler') };
        await dm.stop();
        console.log(JSON.stringify(out));
        process.exit(0);
      }, (err) => { console.error(err); process.exit(1); });`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: PKG, encoding: 'utf8', timeout: 20000 });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) throw new Error(`child failed (${r.status}): ${r.stderr} ${r.stdout}`);
    return JSON.parse(line) as { udhcpc: boolean; dibbler: boolean };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('client modules loading', () => {
  beforeAll(() => requireBuilt());

  it('loads neither client kind without clients', () => {
    expect(clientModules({})).toEqual({ udhcpc: false, dibbler: false });
  });

  it('loads only the udhcpc module for a DHCPv4 client', () => {
    expect(clientModules({ dhcpv4: [{ interface: 'dhcpmgrlazy0', enable: true }] })).toEqual({ udhcpc: true, dibbler: false });
  });
});
