/**
 * One supervised DHCP client process (udhcpc or dibbler-client).
 *
 * - Start: waits (polling cheap /sys and /proc reads) until the interface is up with carrier
 *   (and, for DHCPv6, has a non-tentative link-local address), then spawns the launcher's argument
 *   array (never a shell) in its own process group, detached, so that the manager can stop or
 *   die without taking the WAN client with it. A pid file in the state dir records the pid, the
 *   process start time and the expected command line.
 * - Exit while enabled: DHCP_CLIENT_FAILED, status Error, restart after an exponential back-off
 *   (backoffMinMs doubling up to backoffMaxMs); the back-off resets once a process ran stableMs.
 * - Manager restart: adopt() keeps a process whose pid file, start time and /proc/PID/cmdline
 *   all match what this configuration would run; a process of ours with an older command line
 *   is stopped and replaced; anything else (pid reused, file stale) is ignored.
 * - Adopted processes are not our children: they are watched by polling /proc/PID.
 */
import type { ChildProcess } from 'child_process';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'fs';
import { dirname } from 'path';
import type { Logger } from 'pino';

export interface Launch {
  argv: string[];
  env: Record<string, string>;
  /** /proc/PID/cmdline of the running client (differs from argv when a wrapper execs it). */
  expect: string[];
  /** Extra identity check of a running pid (dibbler: its mount namespace). */
  verify?: (pid: number) => boolean;
  /** What the running process was started with beyond its command line (dibbler: its configuration). */
  fingerprint?: string;
}

export interface Launcher {
  /** Build the launch for the current configuration; throw to report a misconfiguration. */
  launch(): Launch;
  /** Runs before a spawn, then launch() (dibbler: mount namespace and configuration). */
  prepare?(): void;
  /** The client was stopped for good (Enable=false, or stopped with the manager). */
  stopped?(): void;
  /** What an unrequested stop sends first (udhcpc: SIGUSR2 = release); undefined: SIGTERM only. */
  releaseSignal?: NodeJS.Signals;
  /** Renew: a signal to send, or 'restart' to stop (without release) and start again. */
  renew: NodeJS.Signals | 'restart';
}

export type ClientEventType = 'CLIENT_STARTED' | 'CLIENT_STOPPED' | 'CLIENT_FAILED';

export interface RunnerHooks {
  event(type: ClientEventType, detail: Record<string, unknown>): void;
  /** The process is gone after a requested stop with release (Enable=false). */
  released(): void;
}

export interface Timing { backoffMinMs: number; backoffMaxMs: number; stableMs: number; pollMs: number; stopTimeoutMs: number; releaseWaitMs: number }

export const DEFAULT_TIMING: Timing = { backoffMinMs: 1000, backoffMaxMs: 60_000, stableMs: 30_000, pollMs: 1000, stopTimeoutMs: 5000, releaseWaitMs: 300 };

export type RunStatus = 'Disabled' | 'Enabled' | 'Error_Misconfigured' | 'Error';

interface PidFile { pid: number; startTime: string; expect: string[]; fingerprint?: string }

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot): tells a reused pid apart. */
export function procStartTime(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[19];
  } catch {
    return undefined;
  }
}

export function procCmdline(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.endsWith('\0') ? raw.slice(0, -1).split('\0') : raw.split('\0');
  } catch {
    return undefined;
  }
}

function sameArgv(a: string[] | undefined, b: string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

export class ClientRunner {
  private desired = false;
  private pid: number | undefined;
  private child: ChildProcess | undefined;
  private expect: string[] = [];
  private fingerprint: string | undefined;
  private startedAt = 0;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private poller: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  private exitWaiters: Array<() => void> = [];
  private state: RunStatus = 'Disabled';
  private lastProblem = '';
  private detached = false;

  constructor(
    readonly name: string,
    private readonly files: { pid: string; log: string },
    private readonly launcher: Launcher,
    private readonly linkProblem: () => string | undefined,
    private readonly hooks: RunnerHooks,
    private readonly log: Logger,
    private readonly timing: Timing = DEFAULT_TIMING,
  ) {}

  get status(): RunStatus { return this.state; }
  get processId(): number | undefined { return this.pid; }
  get problem(): string { return this.lastProblem; }

  /** At manager start: take over a running client of ours, or start one. */
  adopt(enabled: boolean): void {
    const old = this.readPidFile();
    let launch: Launch | undefined;
    try { launch = this.launcher.launch(); } catch { launch = undefined; }
    if (old && procStartTime(old.pid) === old.startTime && sameArgv(procCmdline(old.pid), old.expect)) {
      if (enabled && launch && sameArgv(old.expect, launch.expect) && old.fingerprint === launch.fingerprint && (launch.verify?.(old.pid) ?? true)) {
        this.desired = true;
        this.running(old.pid, old.expect, old.fingerprint);
        this.watchByPolling();
        this.log.info({ client: this.name, pid: old.pid }, 'client re-adopted');
        return;
      }
      this.log.info({ client: this.name, pid: old.pid, enabled }, 'client from an earlier run stopped (configuration changed or disabled)');
      try { process.kill(old.pid, 'SIGTERM'); } catch { /* gone meanwhile */ }
    }
    this.removePidFile();
    if (enabled) this.enable();
  }

  enable(): void {
    this.desired = true;
    if (this.pid === undefined && !this.timer) this.tryStart();
  }

  /** Stop; with `release` the client gives its lease back first (Enable=false). */
  async disable(release: boolean): Promise<void> {
    this.desired = false;
    this.clearTimer();
    await this.stopProcess(release, true);
    this.launcher.stopped?.();
  }

  /** Configuration changed: stop without release and start again with the new command line. */
  async restart(): Promise<void> {
    if (!this.desired) return;
    await this.stopProcess(false, false);
    if (this.desired && this.pid === undefined) { this.clearTimer(); this.tryStart(); }
  }

  renew(): Promise<void> {
    if (this.pid === undefined) return Promise.resolve();
    if (this.launcher.renew === 'restart') return this.restart();
    this.signal(this.launcher.renew);
    return Promise.resolve();
  }

  /** Manager shutdown without stopping the client: forget it, keep the pid file for the next run. */
  detach(): void {
    this.detached = true;
    this.clearTimer();
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
    this.child?.removeAllListeners('exit');
    this.child?.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    this.clearTimer();
    this.timer = setTimeout(() => { this.timer = undefined; this.tryStart(); }, ms);
    this.timer.unref();
  }

  private tryStart(): void {
    if (!this.desired || this.pid !== undefined || this.detached) return;
    const why = this.linkProblem();
    if (why) {
      if (why !== this.lastProblem) this.log.info({ client: this.name, reason: why }, 'waiting for the interface');
      this.lastProblem = why;
      if (this.state !== 'Error' && this.state !== 'Error_Misconfigured') this.state = 'Enabled';
      this.schedule(this.timing.pollMs);
      return;
    }
    let launch: Launch;
    try {
      this.launcher.prepare?.();
      launch = this.launcher.launch();
    } catch (err) {
      this.misconfigured((err as Error).message);
      return;
    }
    this.spawnClient(launch);
  }

  private misconfigured(message: string): void {
    this.lastProblem = message;
    this.state = 'Error_Misconfigured';
    this.log.error({ client: this.name, err: message }, 'client cannot be started');
    this.hooks.event('CLIENT_FAILED', { reason: 'misconfigured', detail: message });
    this.schedule(this.timing.backoffMaxMs);
  }

  /** A client process of ours runs (just spawned, or adopted from its pid file). */
  private running(pid: number, expect: string[], fingerprint: string | undefined): void {
    this.pid = pid;
    this.expect = expect;
    this.fingerprint = fingerprint;
    this.startedAt = Date.now();
    this.state = 'Enabled';
  }

  private spawnClient(launch: Launch): void {
    mkdirSync(dirname(this.files.log), { recursive: true });
    const fd = openSync(this.files.log, 'a', 0o640);
    let child: ChildProcess;
    try {
      // child_process is loaded on the first launch: a daemon with no enabled client never needs it.
      const { spawn } = require('child_process') as typeof import('child_process');
      child = spawn(launch.argv[0]!, launch.argv.slice(1), { env: launch.env, stdio: ['ignore', fd, fd], detached: true });
    } finally {
      closeSync(fd);
    }
    child.once('error', (err) => {
      if (child.pid === undefined) this.misconfigured(`cannot run ${launch.argv[0]}: ${err.message}`);
    });
    if (child.pid === undefined) return;
    child.unref();
    this.child = child;
    this.running(child.pid, launch.expect, launch.fingerprint);
    this.lastProblem = '';
    child.once('exit', (code, signal) => this.exited(child.pid!, code, signal));
    this.writePidFile(child.pid);
    this.log.info({ client: this.name, pid: child.pid, argv: launch.argv }, 'client started');
    this.hooks.event('CLIENT_STARTED', { pid: child.pid });
  }

  /** Adopted processes are not our children: poll /proc for their end. */
  private watchByPolling(): void {
    const pid = this.pid!;
    const start = procStartTime(pid);
    this.poller = setInterval(() => {
      if (procStartTime(pid) !== start || start === undefined) {
        clearInterval(this.poller!);
        this.poller = undefined;
        this.exited(pid, null, null);
      }
    }, this.timing.pollMs);
    this.poller.unref();
  }

  private exited(pid: number, code: number | null, signal: NodeJS.Signals | null): void {
    if (pid !== this.pid) return;
    this.pid = undefined;
    this.child = undefined;
    const waiters = this.exitWaiters.splice(0);
    for (const w of waiters) w();
    if (this.detached) return;
    this.removePidFile();
    if (waiters.length > 0 || !this.desired) return; // a requested stop: stopProcess() reports it
    const ranMs = Date.now() - this.startedAt;
    if (ranMs >= this.timing.stableMs) this.failures = 0;
    const delay = Math.min(this.timing.backoffMaxMs, this.timing.backoffMinMs * 2 ** this.failures);
    this.failures++;
    this.state = 'Error';
    this.lastProblem = `exited (code ${code}, signal ${signal}) after ${ranMs} ms`;
    this.log.warn({ client: this.name, pid, code, signal, ranMs, restartInMs: delay }, 'client exited; restarting after back-off');
    this.hooks.event('CLIENT_FAILED', { pid, code, signal, restartInMs: delay });
    this.schedule(delay);
  }

  private signal(sig: NodeJS.Signals): boolean {
    if (this.pid === undefined) return false;
    try { process.kill(this.pid, sig); return true; } catch { return false; }
  }

  private waitExit(ms: number): Promise<boolean> {
    if (this.pid === undefined) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.exitWaiters = this.exitWaiters.filter((w) => w !== done); resolve(false); }, ms);
      const done = (): void => { clearTimeout(t); resolve(true); };
      this.exitWaiters.push(done);
    });
  }

  private stopProcess(release: boolean, final: boolean): Promise<void> {
    this.stopping ??= (async () => {
      const pid = this.pid;
      if (pid !== undefined) {
        if (!this.child && !this.poller) this.watchByPolling();
        if (release && this.launcher.releaseSignal && this.signal(this.launcher.releaseSignal)) {
          await new Promise((r) => setTimeout(r, this.timing.releaseWaitMs));
        }
        this.signal('SIGTERM');
        if (!(await this.waitExit(this.timing.stopTimeoutMs))) {
          this.log.warn({ client: this.name, pid }, 'client ignored SIGTERM; killing it');
          this.signal('SIGKILL');
          await this.waitExit(this.timing.stopTimeoutMs);
        }
        this.removePidFile();
        this.log.info({ client: this.name, pid, release }, 'client stopped');
        this.hooks.event('CLIENT_STOPPED', { pid, release });
      }
      if (final) {
        this.state = 'Disabled';
        this.failures = 0;
        if (release) this.hooks.released();
      }
    })().finally(() => { this.stopping = undefined; });
    return this.stopping;
  }

  private readPidFile(): PidFile | undefined {
    try {
      const p = JSON.parse(readFileSync(this.files.pid, 'utf8')) as PidFile;
      return Number.isInteger(p.pid) && p.pid > 1 && typeof p.startTime === 'string' && Array.isArray(p.expect) ? p : undefined;
    } catch {
      return undefined;
    }
  }

  private writePidFile(pid: number): void {
    const body: PidFile = { pid, startTime: procStartTime(pid) ?? '', expect: this.expect, ...(this.fingerprint !== undefined ? { fingerprint: this.fingerprint } : {}) };
    mkdirSync(dirname(this.files.pid), { recursive: true });
    const tmp = `${this.files.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(body)}\n`, { mode: 0o644 });
    renameSync(tmp, this.files.pid);
  }

  private removePidFile(): void {
    rmSync(this.files.pid, { force: true });
  }
}
