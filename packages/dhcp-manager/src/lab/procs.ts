/**
 * The lab's child processes: spawned with argument arrays (never a shell with outside data),
 * output appended to a log file in the lab's temp dir, stopped by their own PID only.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { openSync, closeSync } from 'fs';

export interface Proc { name: string; child: ChildProcess; exited: Promise<void> }

export class Procs {
  private readonly live: Proc[] = [];

  start(name: string, argv: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): Proc {
    const fd = openSync(logFile, 'a');
    // detached: a new process group, so a Ctrl-C in the terminal reaches only the lab, which
    // then stops everything in order (the manager last of the DHCP parts, the servers after it).
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', fd, fd], detached: true });
    closeSync(fd);
    if (child.pid === undefined) throw new Error(`cannot start ${name}: ${argv.join(' ')}`);
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    const p = { name, child, exited };
    this.live.push(p);
    return p;
  }

  pids(): number[] {
    return this.live.filter((p) => p.child.exitCode === null && p.child.signalCode === null).map((p) => p.child.pid!);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it is gone. */
  async stop(p: Proc, graceMs = 3000): Promise<void> {
    const i = this.live.indexOf(p);
    if (i >= 0) this.live.splice(i, 1);
    if (p.child.exitCode !== null || p.child.signalCode !== null) return;
    try { p.child.kill('SIGTERM'); } catch { return; }
    const t = setTimeout(() => { try { p.child.kill('SIGKILL'); } catch { /* gone */ } }, graceMs);
    await p.exited;
    clearTimeout(t);
  }

  /** Stop everything still running, newest first. */
  async stopAll(): Promise<void> {
    while (this.live.length) await this.stop(this.live[this.live.length - 1]!);
  }
}

/** Run a short command to completion; throws with its output when it fails. */
export function sh(argv: string[], allowFail = false): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 20000 });
  if (!allowFail && (r.status !== 0 || r.error)) throw new Error(`command failed (${r.status ?? r.signal ?? r.error?.message}): ${argv.join(' ')}\n${r.stdout ?? ''}${r.stderr ?? ''}`);
  return r.stdout ?? '';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * SIGKILL every process still inside these network namespaces (which the lab created, so all of
 * them are the lab's, e.g. a DHCP client its manager left running) and wait until they are gone.
 */
export async function killLeftovers(namespaces: string[]): Promise<number[]> {
  const pids = namespaces.flatMap((ns) => sh(['ip', 'netns', 'pids', ns], true).split('\n').filter(Boolean).map(Number))
    .filter((pid) => Number.isInteger(pid) && pid > 1 && pid !== process.pid);
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  for (let i = 0; i < 50 && pids.some(alive); i++) await sleep(100);
  return pids;
}

/** The process exists (signal 0). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
