/**
 * The daemon's metrics need no prom-client: a daemon started from the built dist with HTTP on
 * (a fresh node process, so require.cache and the builtins compiled are the real ones), scraped
 * once, has loaded neither prom-client nor @opentelemetry/api, and none of the builtins that
 * prom-client brought and nothing else of the daemon needs at start (https, tls, zlib).
 */
import { inFreshDaemon, requireBuilt } from './__fixtures__/daemon-harness';

interface Loaded { modules: string[]; builtins: string[]; scraped: boolean }

/** `before`: code run first in the process (the control loads prom-client there). */
function loaded(before = ''): { got: Loaded | undefined; out: string } {
  const r = inFreshDaemon<Loaded>({
    before,
    flags: (d) => ({ http: '127.0.0.1:0', listen: 'off', 'ack-listen': 'off', events: 'off', 'state-dir': `${d}/state`, 'spool-dir': `${d}/spool` }),
    body: `const text = d.metrics.registry.metrics();
      const scraped = text.includes('# TYPE dhcpmgr_messages_total counter') && /\\nprocess_resident_memory_bytes \\d+\\n/.test(text);
      const modules = Object.keys(require.cache).filter((k) => /node_modules\\/(prom-client|@opentelemetry)\\//.test(k));
      const builtins = process.moduleLoadList.filter((m) => /^NativeModule (https|tls|zlib)$/.test(m));
      return { modules, builtins, scraped };`,
  });
  return { got: r.value, out: r.out };
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
