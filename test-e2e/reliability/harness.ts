/**
 * Shared by the reliability tests: the built manager and plugins as separate processes (as an
 * operator runs them), tracked by PID and stopped by PID; HTTP reads of status, history and
 * Prometheus metrics; RSS from /proc. TCP ports used by these files: 25500-25599 on loopback.
 */
import { ChildProcess, spawn } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';

export const ROOT = resolve(__dirname, '..', '..');
export const MANAGER = join(ROOT, 'packages', 'dhcp-manager', 'dist', 'bin.js');
export const UDHCPC_PLUGIN = join(ROOT, 'packages', 'udhcpc-plugin', 'dist', 'dhcpmgr-udhcpc-plugin.js');
export const DIBBLER_PLUGIN = join(ROOT, 'packages', 'dibbler-plugin', 'dist', 'dhcpmgr-dibbler-plugin.js');

export function requireBuilt(...files: string[]): void {
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length) throw new Error(`not built: ${missing.join(', ')} (run \`npm run build\` first)`);
}

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `dhcpmgr-rel-${tag}-`));
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ManagerProc {
  child: ChildProcess;
  pid: number;
  http: string;
  stderr(): string;
  stdout(): string;
  exited: Promise<number | null>;
  /** SIGTERM, SIGKILL after 5 s. */
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => { for (const c of live) { try { c.kill('SIGKILL'); } catch { /* gone */ } } });

/** Start `dhcp-manager start ARGS` (optionally wrapped, e.g. by `unshare`) and wait for /healthz. */
export async function startManager(args: string[], opts: { http: string; wrap?: string[]; env?: NodeJS.ProcessEnv; waitMs?: number; noWait?: boolean }): Promise<ManagerProc> {
  requireBuilt(MANAGER);
  // The plugins these tests run are not clients of this manager: take their leases anyway.
  const open = args.some((x) => x.startsWith('--accept-unconfigured')) ? [] : ['--accept-unconfigured'];
  const argv = [...(opts.wrap ?? []), process.execPath, MANAGER, 'start', '--http', opts.http, ...open, ...args];
  const child = spawn(argv[0]!, argv.slice(1), { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.length > 64 << 20) out = out.slice(-(32 << 20)); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((res) => child.on('exit', (code, sig) => { live.delete(child); res(code ?? (sig ? -1 : null)); }));
  const m: ManagerProc = {
    child, pid: child.pid!, http: opts.http, stderr: () => err, stdout: () => out, exited,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.kill('SIGTERM');
      const code = await exited;
      clearTimeout(t);
      return code;
    },
    kill9: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
  if (opts.noWait) return m;
  const deadline = Date.now() + (opts.waitMs ?? 15000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`manager exited ${child.exitCode}: ${err}${out.slice(-3000)}`);
    try {
      if ((await fetch(`http://${opts.http}/healthz`)).ok) return m;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) { await m.kill9(); throw new Error(`manager did not answer /healthz: ${err}${out.slice(-3000)}`); }
    await sleep(50);
  }
}

export async function getJson<T = Record<string, unknown>>(http: string, path: string): Promise<T> {
  const r = await fetch(`http://${http}${path}`);
  if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

export interface HistoryEvent { ifname: string; version: number; msgTypeName: string; cause: string; lease: Record<string, unknown> }

export async function history(http: string, ifname: string, limit = 100000): Promise<HistoryEvent[]> {
  return (await getJson<{ events: HistoryEvent[] }>(http, `/api/v1/history?if=${encodeURIComponent(ifname)}&limit=${limit}`)).events;
}

/** Prometheus text -> `name{labels}` -> value. */
export async function metrics(http: string): Promise<Map<string, number>> {
  const text = await (await fetch(`http://${http}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** Sum every sample of `name` whose labels contain all of `match` (e.g. 'channel="legacy"'). */
export function sum(m: Map<string, number>, name: string, ...match: string[]): number {
  let s = 0;
  for (const [k, v] of m) {
    if ((k === name || k.startsWith(`${name}{`)) && match.every((x) => k.includes(x))) s += v;
  }
  return s;
}

/** Samples of `name` by the value of label `label`. */
export function byLabel(m: Map<string, number>, name: string, label: string, ...match: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of m) {
    if (!k.startsWith(`${name}{`) || !match.every((x) => k.includes(x))) continue;
    const l = new RegExp(`${label}="([^"]*)"`).exec(k)?.[1] ?? '';
    out[l] = (out[l] ?? 0) + v;
  }
  return out;
}

/** Resident set size now and at its peak (VmHWM), MiB, from /proc. */
export function rssMiB(pid: number): { rss: number; peak: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

export interface PluginRun { code: number | null; stderr: string; ms: number; outcome?: string }

/** One plugin run, as a DHCP client runs its script: argv[1] = event, the lease in the environment. */
export function runPlugin(bin: string, event: string, env: NodeJS.ProcessEnv, timeoutMs = 30000): Promise<PluginRun> {
  const t0 = Date.now();
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [bin, event], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    live.add(child);
    let stderr = '';
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', rej);
    // 'close', not 'exit': 'exit' can come before the last stderr bytes were read.
    child.on('close', (code) => {
      clearTimeout(t);
      live.delete(child);
      // Every delivery log line of the plugin carries `outcome` (applied etc. only at debug level).
      const outcome = /"outcome":"(\w+)"/.exec(stderr)?.[1];
      res({ code, stderr, ms: Date.now() - t0, outcome });
    });
  });
}

/** The environment busybox udhcpc gives its script for a bound/renew on `ifname`. */
export function udhcpcEnv(ifname: string, lease: number, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { interface: ifname, ip: '10.1.0.2', subnet: '255.255.0.0', router: '10.1.0.1', dns: '10.1.0.1', serverid: '10.1.0.1', lease: String(lease), ...extra };
}

export function spoolFiles(dir: string): string[] {
  try { return readdirSync(dir).filter((f) => f.endsWith('.msg')); } catch { return []; }
}

/** Run `fn` over `items` with at most `n` in flight. */
export async function pool<T, R>(items: T[], n: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  }));
  return out;
}
