/**
 * What is not configured is not loaded, down to Node's own modules: each builtin module a daemon
 * loads costs heap (its compiled code) and resident pages of the node binary (its embedded source
 * and code cache). A real daemon (built dist/) in the default configuration (HTTP on, no clients,
 * `--apply none`, no MQTT) is started in a child process, and the builtins it has loaded once it
 * runs are listed from `process.moduleLoadList`. (`metrics-deps.test.ts` checks the JavaScript
 * packages the same way.)
 */
import { inFreshDaemon, requireBuilt } from './__fixtures__/daemon-harness';

const HTTP_PORT = 23901;

function builtinsOfIdleDaemon(): string[] {
  const r = inFreshDaemon<string[]>({
    flags: (d) => ({ listen: `ipc://${d}/p.sock`, 'ack-listen': `ipc://${d}/a.sock`, events: `ipc://${d}/e.sock`,
      http: `127.0.0.1:${HTTP_PORT}`, 'state-dir': `${d}/state`, 'spool-dir': `${d}/spool` }),
    body: "return process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13));",
  });
  if (!r.value) throw new Error(`child failed: ${r.out}`);
  return r.value;
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
