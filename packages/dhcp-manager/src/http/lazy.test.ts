/**
 * The HTTP server module is loaded only when the HTTP server is on: a manager started with
 * `--http off` (built dist, a fresh node process, so require.cache is the real one) has not
 * loaded dist/http/server.js nor anything it brings (the event stream, the page renderer).
 */
import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { requireBuilt, PKG } from '../__fixtures__/daemon-harness';

function loadedHttp(http: string): { http: boolean; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-lazy-'));
  try {
    const script = `
      const { resolveConfig } = require(${JSON.stringify(join(PKG, 'dist', 'config.js'))});
      const { startDaemon } = require(${JSON.stringify(join(PKG, 'dist', 'daemon.js'))});
      const pino = require('pino');
      const c = resolveConfig({ http: ${JSON.stringify(http)}, listen: 'off', 'ack-listen': 'off', events: 'off',
        'state-dir': ${JSON.stringify(join(dir, 'state'))}, 'spool-dir': ${JSON.stringify(join(dir, 'spool'))} });
      startDaemon(c, pino({ level: 'silent' })).then(async (d) => {
        const http = Object.keys(require.cache).some((k) => k.startsWith(${JSON.stringify(join(PKG, 'dist', 'http') + '/')}));
        await d.stop();
        console.log(JSON.stringify({ http }));
      });`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: PKG, encoding: 'utf8', timeout: 20000 });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    return { http: line.startsWith('{') ? (JSON.parse(line) as { http: boolean }).http : true, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

beforeAll(() => requireBuilt());

it('does not load the HTTP server when HTTP is off', () => {
  const r = loadedHttp('off');
  expect([r.http, r.out]).toEqual([false, expect.stringContaining('{"http":false}')]);
});

it('loads the HTTP server when HTTP is on (so the check above can fail)', () => {
  const r = loadedHttp('127.0.0.1:0');
  expect([r.http, r.out]).toEqual([true, expect.stringContaining('{"http":true}')]);
});
