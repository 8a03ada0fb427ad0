/**
 * The daemon's metrics need no prom-client: a daemon started from the built dist with HTTP on
 * (a fresh node process, so require.cache and the builtins compiled are the real ones), scraped
 * once, has loaded neither prom-client nor @opentelemetry/api, and none of the builtins that
 * prom-client brought and nothing else of the daemon needs at start (https, tls, zlib).
 */
import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { requireBuilt, PKG } from './__fixtures__/daemon-harness';

interface Loaded { modules: string[]; builtins: string[]; scraped: boolean }

/** `before`: code run first in the process (the control loads prom-client there). */
function loaded(before = ''): { got: Loaded | undefined; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-metricsdeps-'));
  try {
    const script = `${before}
      const { resolveConfig } = require(${JSON.stringify(join(PKG, 'dist', 'config.js'))});
      const { startDaemon } = require(${JSON.stringify(join(PKG, 'dist', 'daemon.js'))});
      const pino = require('pino');
      const c = resolveConfig({ http: '127.0.0.1:0', listen: 'off', 'ack-listen': 'off', events: 'off',
        'state-dir': ${JSON.stringify(join(dir, 'state'))}, 'spool-dir': ${JSON.stringify(join(dir, 'spool'))} });
      startDaemon(c, pino({ level: 'silent' })).then(async (d) => {
        const text = d.metrics.registry.metrics();
        const scraped = text.includes('# TYPE dhcpmgr_messages_total counter') && /\\nprocess_resident_memory_bytes \\d+\\n/.test(text);
        const modules = Object.keys(require.cache).filter((k) => /node_modules\\/(prom-client|@opentelemetry)\\//.test(k));
        const builtins = process.moduleLoadList.filter((m) => /^NativeModule (https|tls|zlib)$/.test(m));
        await d.stop();
        console.log(JSON.stringify({ modules, builtins, scraped }));
      });`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: PKG, encoding: 'utf8', timeout: 20000 });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    return { got: line.startsWith('{') ? (JSON.parse(line) as Loaded) : undefined, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

beforeAll(() => requireBuilt());

it('serves /metrics without loading prom-client, @opentelemetry/api, https, tls or zlib', () => {
  const r = loaded();
  expect([r.got, r.out]).toEqual([{ modules: [], builtins: [], scraped: true }, expect.any(String)]);
});

it('sees them when prom-client is loaded (so the check above can fail)', () => {
  const r = loaded("require('prom-client');");
  expect(r.got?.scraped).toBe(true);
  expect(r.got?.modules).toEqual(expect.arrayContaining([expect.stringContaining('node_modules/prom-client/index.js'), expect.stringContaining('node_modules/@opentelemetry/api/')]));
  expect(r.got?.builtins).toEqual(['NativeModule tls', 'NativeModule https', 'NativeModule zlib']);
});
