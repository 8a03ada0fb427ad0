/**
 * Test harness for the daemon shell: runs the real built daemon (`node dist/bin.js start`) with
 * ipc:// endpoints in a fresh temp dir and HTTP on a given loopback port, and talks to it over
 * real sockets. Every process it starts is tracked by PID and killed in `cleanup()`.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { get } from 'http';
import { tmpdir } from 'os';
import { join } from 'path';
import { decodeAck, emptyV4Lease, emptyV6Lease, encode, encodeEnvelope, stampNow, Ack, DhcpV4Lease, DhcpV6Lease, EnvelopeMeta, Abi } from '@dhcpmgr/plugin-msg';
import { pushOnce, requestOnce, subscribe } from '@dhcpmgr/plugin-msg/transport';

export const PKG = join(__dirname, '..', '..');
export const BIN = join(PKG, 'dist', 'bin.js');

/** Fail loudly (never skip) when the package has not been built. */
export function requireBuilt(): void {
  if (!existsSync(BIN) || !existsSync(join(PKG, 'dist', 'engine.js'))) {
    throw new Error(`${BIN} (or dist/engine.js) is missing: build first with \`npx tsc -b packages/dhcp-manager\` (root \`npm test\` builds)`);
  }
}

/**
 * Starts the built daemon (startDaemon from dist/) in a fresh node process, so that require.cache
 * and the builtins it compiled are the daemon's own, runs `body` against it (JavaScript, the
 * daemon is `d`; `body` returns the value to report) and stops it. `flags` (command-line names)
 * and `files` (name -> text, written first; `config.json` becomes the --config file) are given
 * the temp dir; `before` runs first in the process. Returns the reported value (undefined when
 * the process failed) and everything it printed.
 */
export function inFreshDaemon<T>(opts: {
  flags: (dir: string) => Record<string, string>; body: string; files?: (dir: string) => Record<string, string>; before?: string;
}): { value: T | undefined; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-fresh-daemon-'));
  try {
    const files = opts.files?.(dir) ?? {};
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const configFile = 'config.json' in files ? join(dir, 'config.json') : undefined;
    const script = `${opts.before ?? ''}
      const { resolveConfig } = require(${JSON.stringify(join(PKG, 'dist', 'config.js'))});
      const { startDaemon } = require(${JSON.stringify(join(PKG, 'dist', 'daemon.js'))});
      const pino = require('pino');
      startDaemon(resolveConfig(${JSON.stringify(opts.flags(dir))}, {}, ${JSON.stringify(configFile)}), pino({ level: 'silent' })).then(async (d) => {
        const value = await (async () => { ${opts.body} })();
        await d.stop();
        console.log(JSON.stringify(value));
        process.exit(0);
      }, (err) => { console.error(err); process.exit(1); });`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: PKG, encoding: 'utf8', timeout: 20000 });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    const value = r.status === 0 && line !== '' ? (JSON.parse(line) as T) : undefined;
    return { value, out: `exit ${r.status ?? r.signal}: ${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Endpoints { dir: string; pull: string; rep: string; pub: string; state: string; spool: string; port: number }

export function endpoints(port: number, prefix = 'dhcpmgr-daemon-'): Endpoints {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, pull: `ipc://${dir}/pull.sock`, rep: `ipc://${dir}/rep.sock`, pub: `ipc://${dir}/pub.sock`, state: join(dir, 'state'), spool: join(dir, 'spool'), port };
}

export interface Running {
  proc: ChildProcess;
  pid: number;
  logs: Array<Record<string, unknown>>;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: ChildProcess[] = [];

/**
 * Tests run with `--durability normal` unless `extra` names a durability, and with
 * `--accept-unconfigured` (they send leases for interfaces no configured client runs) unless
 * `extra` has `--accept-unconfigured=false`.
 */
export function daemonArgs(e: Endpoints, extra: string[] = []): string[] {
  const durability = extra.includes('--durability') ? [] : ['--durability', 'normal'];
  const open = extra.some((x) => x.startsWith('--accept-unconfigured')) ? [] : ['--accept-unconfigured'];
  return ['start', '--listen', e.pull, '--ack-listen', e.rep, '--events', e.pub, '--http', `127.0.0.1:${e.port}`,
    '--state-dir', e.state, '--spool-dir', e.spool, ...durability, '--spool-scan-ms', '100', ...open, ...extra];
}

/**
 * Spawn the daemon; resolves once it logged that it started (rejects if it exits first). When the
 * HTTP port is taken (another test run on this machine), moves `e.port` up by one and retries.
 */
export async function startDaemon(e: Endpoints, extra: string[] = [], timeoutMs = 8000): Promise<Running> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await startOnce(e, extra, timeoutMs);
    } catch (err) {
      if (attempt >= 8 || !/EADDRINUSE[^"]*127\.0\.0\.1:\d+/.test((err as Error).message)) throw err;
      e.port += 1;
    }
  }
}

function startOnce(e: Endpoints, extra: string[], timeoutMs: number): Promise<Running> {
  const proc = spawn(process.execPath, [BIN, ...daemonArgs(e, extra)], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(proc);
  const logs: Array<Record<string, unknown>> = [];
  let err = '';
  let buf = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not start in ${timeoutMs} ms; stderr: ${err}; logs: ${JSON.stringify(logs)}`)), timeoutMs);
    proc.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
    proc.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const rec = JSON.parse(line) as Record<string, unknown>;
          logs.push(rec);
          if (rec.msg === 'dhcp-manager started') {
            clearTimeout(timer);
            resolve({ proc, pid: proc.pid!, logs, stderr: () => err, exited });
          }
        } catch {
          logs.push({ raw: line });
        }
      }
    });
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`daemon exited (${code}) before starting; stderr: ${err}; logs: ${JSON.stringify(logs)}`)); });
  });
}

/** Run the CLI to completion (for exit codes and output). */
export function cli(args: string[], input?: Buffer): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', timeout: 15000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export async function stop(r: Running, signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  r.proc.kill(signal);
  return r.exited;
}

export function cleanup(e?: Endpoints): void {
  for (const p of started.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  if (e) rmSync(e.dir, { recursive: true, force: true });
}

export function httpJson(port: number, path: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, timeout: 5000 }, (res) => {
      let t = '';
      res.on('data', (c) => (t += c));
      res.on('end', () => { try { resolve({ status: res.statusCode!, body: JSON.parse(t) }); } catch { resolve({ status: res.statusCode!, body: t }); } });
    }).on('error', reject);
  });
}

/** The values of `paths` as a path -> value map. */
export async function tr181(port: number, ...paths: string[]): Promise<Record<string, unknown>> {
  const r = await httpJson(port, `/api/v1/tr181?${paths.map((p) => `path=${encodeURIComponent(p)}`).join('&')}`);
  if (r.status !== 200) throw new Error(`tr181 ${paths.join(' ')}: ${r.status} ${JSON.stringify(r.body)}`);
  return Object.fromEntries((r.body.values as Array<{ path: string; value: unknown }>).map((v) => [v.path, v.value]));
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// Messages -------------------------------------------------------------------------------------

export function v4(ifname: string, state: string, lease: Partial<DhcpV4Lease> = {}, abi: Abi = 'lp64'): Buffer {
  const set = state === 'bound' || state === 'renew';
  const l: DhcpV4Lease = {
    ...emptyV4Lease(), ifname, dhcpState: state, addressAssigned: set, isExpired: !set,
    ...(set ? { address: '192.0.2.10', netmask: '255.255.255.0', gateway: '192.0.2.1', dnsServer: '192.0.2.53', dhcpServerId: '192.0.2.1', leaseTime: 3600, renewalTime: 1800, rebindingTime: 3150 } : {}),
    ...lease,
  };
  return encode({ version: 4, ifname, dhcpv4: l }, { abi });
}

export function v6(ifname: string, expired: boolean, lease: Partial<DhcpV6Lease> = {}, abi: Abi = 'lp64'): Buffer {
  const base = emptyV6Lease();
  const l: DhcpV6Lease = {
    ...base, ifname, isExpired: expired,
    iaNa: { ...base.iaNa, assigned: true, address: '2001:db8::10', iaid: 1, preferredLifetime: 3000, validLifetime: 6000, t1: 1500, t2: 2400 },
    iaPd: { ...base.iaPd, assigned: true, prefix: '2001:db8:100::', prefixLength: 56, iaid: 2, preferredLifetime: 3000, validLifetime: 6000, t1: 1500, t2: 2400 },
    dns: { assigned: true, nameserver: '2001:db8::53', nameserver1: '' },
    ...lease,
  };
  return encode({ version: 6, ifname, dhcpv6: l }, { abi });
}

export async function push(e: Endpoints, frame: Buffer): Promise<void> {
  if (!(await pushOnce(e.pull, frame, 2000))) throw new Error('legacy push was not taken');
}

export async function acked(e: Endpoints, frame: Buffer, meta: EnvelopeMeta = stampNow()): Promise<Ack> {
  const r = await requestOnce(e.rep, encodeEnvelope(frame, meta), 5000);
  if (!r.ok) throw new Error(`acked request failed: ${r.reason} ${r.error?.message ?? ''}`);
  return decodeAck(r.reply);
}

export interface Published { topic: string; body: any }
export interface Sub { events: Published[]; close(): void }

/** Subscribe to every topic of the PUB socket (give it ~300 ms to join before relying on it). */
export function listen(e: Endpoints): Sub {
  const events: Published[] = [];
  const s = subscribe(e.pub, [''], (msg) => {
    const text = msg.toString();
    const sp = text.indexOf(' ');
    events.push({ topic: text.slice(0, sp), body: JSON.parse(text.slice(sp + 1)) });
  });
  return { events, close: () => s.close() };
}
