/**
 * What is not configured is not loaded, down to Node's own modules: each builtin module a daemon
 * loads costs heap (its compiled code) and resident pages of the node binary (its embedded source
 * and code cache). A real daemon (built dist/) in the default configuration (HTTP on, no clients,
 * `--apply none`, no MQTT) is started in a child process, and the builtins it has loaded once it
 * runs are listed from `process.moduleLoadList`. (`metrics-deps.test.ts` checks the JavaScript
 * packages the same way.)
 */
import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { PKG, requireBuilt } from './__fixtures__/daemon-harness';

const HTTP_PORT = 23901;

function builtinsOfIdleDaemon(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-lazy-builtins-'));
  try {
    const script = `
      const { resolveConfig } = require(${JSON.stringify(join(PKG, 'dist', 'config.js'))});
      const { startDaemon } = require(${JSON.stringify(join(PKG, 'dist', 'daemon.js'))});
      const pino = require('pino');
      const d = ${JSON.stringify(dir)};
      const flags = { listen: 'ipc://' + d + '/p.sock', 'ack-listen': 'ipc://' + d + '/a.sock', events: 'ipc://' + d + '/e.sock',
        http: '127.0.0.1:${HTTP_PORT}', 'state-dir': d + '/state', 'spool-dir': d + '/spool' };
      startDaemon(resolveConfig(flags, {}), pino({ level: 'silent' })).then(async (dm) => {
        const list = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13));
        await dm.stop();
        console.log(JSON.stringify(list));
        process.exit(0);
      }, (err) => { console.error(err); process.exit(1); });`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: PKG, encoding: 'utf8', timeout: 20000 });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('[')) throw new Error(`child failed (${r.status}): ${r.stderr} ${r.stdout}`);
    return JSON.parse(line) as string[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('builtin modules of an idle daemon', () => {
  beforeAll(() => requireBuilt());

  it('loads the HTTP server and none of the builtins only API writes or MQTT need', () => {
    const list = builtinsOfIdleDaemon();
    // The listing works: the HTTP API and the SQLite store's worker are there.
    expect(list).toEqual(expect.arrayContaining(['http', 'net', 'worker_threads']));
    // crypto: the token check of an API write; zlib: the MQTT outbox; tls/https: nothing here;
    // perf_hooks: nothing (durations come from process.hrtime, src/elapsed.ts).
    // (child_process is loaded by node itself: net's listen() loads cluster, which needs it.)
    expect(list.filter((m) => ['crypto', 'zlib', 'tls', 'https', 'perf_hooks'].includes(m))).toEqual([]);
  });
});
