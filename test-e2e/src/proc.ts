/**
 * Child processes the e2e suite starts, tracked by PID so that cleanup stops exactly those and
 * nothing else. Cleanup runs from afterAll and, as a last resort, from process exit and signal
 * handlers (a failing or interrupted run must not leave daemons or namespaces behind).
 */
import { ChildProcess, spawn, spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface Tracked {
  name: string;
  child: ChildProcess;
  pid: number;
  /** Everything the process wrote to stdout so far. */
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

const live = new Map<number, Tracked>();
const finalizers: Array<() => void> = [];
const namespaces = new Set<string>();
const dirs = new Set<string>();
let hooked = false;
let reaperList: string | undefined;

/**
 * A detached watchdog (src/reaper.sh) outlives this process: when jest dies without running any
 * handler (SIGINT in band, SIGKILL), it kills the PIDs we started and deletes our namespaces.
 */
function startReaper(): void {
  reaperList = path.join(os.tmpdir(), `dhcpmgr-e2e-reap-${process.pid}-${Date.now()}.list`);
  fs.writeFileSync(reaperList, '');
  const r = spawn('sh', [path.join(__dirname, 'reaper.sh'), String(process.pid), reaperList], { detached: true, stdio: 'ignore' });
  r.unref();
}

function startTime(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

/** Keep the reaper's list equal to what is live now. */
function syncReaper(): void {
  if (!reaperList) return;
  const lines = [...live.keys()].map((p) => `pid ${p} ${startTime(p)}`).concat([...namespaces].map((n) => `netns ${n}`), [...dirs].map((d) => `dir ${d}`));
  fs.writeFileSync(reaperList, lines.length ? `${lines.join('\n')}\n` : '');
}

/** Namespaces the reaper deletes if this process dies before teardown. */
export function trackNetns(name: string, present: boolean): void {
  hookExit();
  if (present) namespaces.add(name); else namespaces.delete(name);
  syncReaper();
}

/** A temp dir the reaper removes if this process dies before teardown. */
export function trackDir(dir: string, present: boolean): void {
  hookExit();
  if (present) dirs.add(dir); else dirs.delete(dir);
  syncReaper();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  startReaper();
  process.on('exit', runFinalizersSync);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => { runFinalizersSync(); process.exit(130); });
  }
}

/** Register a synchronous last-resort cleanup (namespace deletion); runs once, in reverse order. */
export function onFinal(fn: () => void): () => void {
  hookExit();
  finalizers.push(fn);
  return () => {
    const i = finalizers.indexOf(fn);
    if (i >= 0) finalizers.splice(i, 1);
  };
}

function runFinalizersSync(): void {
  for (const t of live.values()) {
    try { process.kill(t.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  live.clear();
  while (finalizers.length) {
    try { finalizers.pop()!(); } catch { /* best effort at exit */ }
  }
}

/** Start a long-running process with an argument array (never a shell with outside data). */
export function start(name: string, argv: string[], opts: { env?: NodeJS.ProcessEnv; logFile?: string } = {}): Tracked {
  hookExit();
  const child = spawn(argv[0]!, argv.slice(1), { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`cannot start ${name}: ${argv.join(' ')}`);
  let out = '';
  let err = '';
  const log = opts.logFile ? fs.createWriteStream(opts.logFile) : undefined;
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); log?.write(d); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); log?.write(d); });
  const pid = child.pid;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, sig) => {
    live.delete(pid);
    syncReaper();
    log?.end();
    resolve(code ?? (sig ? -1 : null));
  }));
  const t: Tracked = { name, child, pid, out: () => out, err: () => err, exited };
  live.set(pid, t);
  syncReaper();
  return t;
}

export function isRunning(t: Tracked): boolean {
  return live.has(t.pid);
}

/** Signal one process we started, by its PID. */
export function signal(t: Tracked, sig: NodeJS.Signals): void {
  if (!live.has(t.pid)) return;
  process.kill(t.pid, sig);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stop(t: Tracked, graceMs = 3000): Promise<void> {
  if (!live.has(t.pid)) return;
  try { process.kill(t.pid, 'SIGTERM'); } catch { return; }
  const timer = setTimeout(() => { try { process.kill(t.pid, 'SIGKILL'); } catch { /* gone */ } }, graceMs);
  await t.exited;
  clearTimeout(timer);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live.values()].reverse().map((t) => stop(t)));
}

/** Run a short command to completion; throws with its output when it fails. */
export function run(argv: string[], opts: { env?: NodeJS.ProcessEnv; input?: string | Buffer; allowFail?: boolean; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(argv[0]!, argv.slice(1), {
    env: opts.env ?? process.env, input: opts.input, encoding: 'utf8', timeout: opts.timeoutMs ?? 20000,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (!opts.allowFail && (r.status !== 0 || r.error)) {
    throw new Error(`command failed (${r.status ?? r.signal ?? r.error?.message}): ${argv.join(' ')}\n${r.stdout}${r.stderr}`);
  }
  return r;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Poll `probe` until it returns a value other than undefined, or fail after `timeoutMs` with
 * the last error or value seen, so a timeout says what was being waited for.
 */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? last.message : last === undefined ? 'no value' : String(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${why})`);
    }
    await sleep(everyMs);
  }
}

/** Run a short command and return its stdout as raw bytes; throws when it fails. */
export function runBytes(argv: string[], env: NodeJS.ProcessEnv): Buffer {
  const r = spawnSync(argv[0]!, argv.slice(1), { env, timeout: 20000 });
  if (r.status !== 0 || r.error) throw new Error(`command failed (${r.status ?? r.signal}): ${argv.join(' ')}\n${r.stderr?.toString()}`);
  return r.stdout;
}
