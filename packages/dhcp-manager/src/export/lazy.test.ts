/**
 * The exporter costs nothing when it is not configured: a real daemon (built dist/) started
 * without --mqtt-url never loads the mqtt package; with it, it does (so this test can fail).
 */
import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { PKG, requireBuilt } from '../__fixtures__/daemon-harness';

function mqttLoaded(extra: string[]): { loaded: boolean; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-lazy-'));
  try {
    const script = `
      const { resolveConfig } = require(${JSON.stringify(join(PKG, 'dist', 'config.js'))});
      const { startDaemon } = require(${JSON.stringify(join(PKG, 'dist', 'daemon.js'))});
      const pino = require('pino');
      const d = ${JSON.stringify(dir)};
      const flags = { listen: 'ipc://' + d + '/p.sock', 'ack-listen': 'off', events: 'off', http: 'off', 'state-dir': d + '/state',
        'spool-dir': d + '/spool', durability: 'normal', 'gateway-id': 'lazy', ...Object.fromEntries(${JSON.stringify(extra)}.map((v, i, a) => i % 2 ? null : [a[i].slice(2), a[i + 1]]).filter(Boolean)) };
      startDaemon(resolveConfig(flags), pino({ level: 'silent' })).then(async (dm) => {
        const loaded = Object.keys(require.cache).some((k) => k.includes('/node_modules/mqtt/'));
        await dm.stop();
        console.log(JSON.stringify({ loaded }));
        process.exit(0);
      }, (err) => { console.error(err); process.exit(1); });`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: PKG, encoding: 'utf8', timeout: 20000 });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) throw new Error(`child failed (${r.status}): ${r.stderr} ${r.stdout}`);
    return { loaded: (JSON.parse(line) as { loaded: boolean }).loaded, out: r.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('MQTT exporter loading', () => {
  beforeAll(() => requireBuilt());

  it('never loads the mqtt package without --mqtt-url', () => {
    expect(mqttLoaded([]).loaded).toBe(false);
  });

  it('loads it with --mqtt-url (no broker needed to start)', () => {
    expect(mqttLoaded(['--mqtt-url', 'mqtt://127.0.0.1:22702']).loaded).toBe(true);
  });
});
