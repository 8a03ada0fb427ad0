/**
 * The built executables, driven from outside: the manager daemon runs INSIDE the client
 * namespace (so a plugin's tcp://127.0.0.1 reaches it), and its CLI is run there too. Nothing
 * here imports the manager's code; only dist/ files are executed, as a user would.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Lab } from './lab';
import { run, start, stop, Tracked, waitFor } from './proc';

export const ROOT = path.resolve(__dirname, '..', '..');

/** The executable a package declares in its package.json `bin` (what npm would install). */
export function binOf(pkg: string): string {
  const dir = path.join(ROOT, 'packages', pkg);
  const bin = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin;
  return path.join(dir, Object.values(bin)[0]!);
}

export const MANAGER_BIN = binOf('dhcp-manager');
export const UDHCPC_PLUGIN_BIN = binOf('udhcpc-plugin');
export const DIBBLER_PLUGIN_BIN = binOf('dibbler-plugin');

export function requireBuilt(...bins: string[]): void {
  const missing = bins.filter((b) => !fs.existsSync(b));
  if (missing.length) throw new Error(`not built: ${missing.join(', ')} (run \`npm run build\` first)`);
}

export type Params = Record<string, string | number | boolean>;

/** One TR-181 object or parameter list, whatever shape the CLI prints, as path -> value. */
export function toParams(json: unknown): Params {
  const out: Params = {};
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) { v.forEach(visit); return; }
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.path === 'string' && 'value' in o) { out[o.path] = o.value as Params[string]; return; }
      for (const [k, x] of Object.entries(o)) {
        if (k.startsWith('Device.') && (x === null || typeof x !== 'object')) out[k] = x as Params[string];
        else visit(x);
      }
    }
  };
  visit(json);
  return out;
}

export interface Manager {
  proc: Tracked;
  stateDir: string;
  spoolDir: string;
  /** Run `dhcp-manager ARGS` in the namespace; returns stdout, throws on a non-zero exit. */
  cli(args: string[]): string;
  json(args: string[]): unknown;
  get(pathPrefix: string): Params;
  status(): Record<string, unknown>;
  stop(): Promise<void>;
}

/** `env`: the daemon's environment (default: this process's), e.g. a preloaded time shim. */
export async function startManager(lab: Lab, extra: string[] = [], env?: NodeJS.ProcessEnv): Promise<Manager> {
  requireBuilt(MANAGER_BIN);
  const base = path.join(lab.dir, 'manager');
  const stateDir = path.join(base, 'state');
  const spoolDir = path.join(base, 'spool');
  fs.mkdirSync(spoolDir, { recursive: true });
  const proc = start('dhcp-manager', lab.inNs(lab.cli, [process.execPath, MANAGER_BIN, 'start',
    '--state-dir', stateDir, '--spool-dir', spoolDir, '--apply', 'iproute2', '--log-level', 'debug',
    // Clients started by the tests themselves: the manager takes their leases without a client table.
    ...(extra.some((x) => x.startsWith('--accept-unconfigured') || x === '--config') ? [] : ['--accept-unconfigured']), ...extra]),
  { logFile: path.join(base, 'manager.log'), ...(env ? { env } : {}) });
  const cli = (args: string[]): string => run(lab.inNs(lab.cli, [process.execPath, MANAGER_BIN, ...args])).stdout;
  const json = (args: string[]): unknown => JSON.parse(cli([...args, '--json']));
  const m: Manager = {
    proc, stateDir, spoolDir, cli, json,
    get: (p) => toParams(json(['get', p])),
    status: () => json(['status']) as Record<string, unknown>,
    stop: () => stop(proc),
  };
  await waitFor('the manager to answer `status --json`', () => {
    if (proc.child.exitCode !== null) throw new Error(`manager exited ${proc.child.exitCode}: ${proc.err()}${proc.out().slice(-2000)}`);
    return m.status();
  }, 15000, 250);
  return m;
}

export interface Watch {
  proc: Tracked;
  /** Every JSON line printed so far. */
  events(): Array<Record<string, unknown>>;
}

/** `dhcp-manager watch --json` running in the namespace; one JSON event per line. */
export function startWatch(lab: Lab): Watch {
  const proc = start('dhcp-manager watch', lab.inNs(lab.cli, [process.execPath, MANAGER_BIN, 'watch', '--json']),
    { logFile: path.join(lab.dir, 'watch.log') });
  return {
    proc,
    // Complete lines only (the last one may still be being written); each must be JSON.
    events: () => proc.out().split('\n').slice(0, -1).filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** The published event inside a `watch --json` line (`{topic, event}`); anything else throws. */
export function eventOf(e: Record<string, unknown>): Record<string, unknown> {
  if (typeof e.topic !== 'string' || e.event === null || typeof e.event !== 'object') {
    throw new Error(`not a watch --json line: ${JSON.stringify(e)}`);
  }
  return e.event as Record<string, unknown>;
}

/** The event's `msgTypeName` (LEASE_UPDATE, ...); reject events have none and give ''. */
export function msgTypeOf(e: Record<string, unknown>): string {
  const x = eventOf(e);
  return typeof x.msgTypeName === 'string' ? x.msgTypeName : '';
}

/**
 * The script a DHCP client runs: the built plugin bin when it is an executable with a shebang,
 * otherwise a two-line wrapper (written into the lab's temp dir) that execs node on it.
 */
export function pluginScript(lab: Lab, bin: string): string {
  requireBuilt(bin);
  const head = fs.readFileSync(bin, 'utf8').slice(0, 2);
  let executable = true;
  try { fs.accessSync(bin, fs.constants.X_OK); } catch { executable = false; }
  if (head === '#!' && executable) return bin;
  const wrapper = path.join(lab.dir, `${path.basename(bin, '.js')}.sh`);
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${process.execPath} ${bin} "$@"\n`, { mode: 0o755 });
  return wrapper;
}

/** Addresses on the client interface, from `ip -j addr` inside the namespace. */
export function addrsOn(lab: Lab, dev: string): Array<{ family: string; local: string; prefixlen: number; valid_life_time?: number; preferred_life_time?: number }> {
  const j = JSON.parse(run(['ip', '-n', lab.cli, '-j', 'addr', 'show', 'dev', dev]).stdout) as Array<{ addr_info: never[] }>;
  return j.flatMap((l) => l.addr_info);
}
