/**
 * The WAN-only applier: one `ip` process per command, no routes beyond the default, no ledger.
 * `--apply iproute2` uses system.ts instead; this stays as a library export (and its
 * `commandsFor` as the simplest reading of a change). It makes a lease true by running `ip` with argument arrays
 * (execFile, never a shell: every value in a change came from a DHCP message). Changes of one
 * interface run strictly in order on their own promise chain; interfaces are independent.
 * A failure is reported through `onResult` (logged and counted by the daemon) and never thrown:
 * the model update it belongs to has already been committed and stays.
 */
import { execFile } from 'child_process';
import type { Applier, LeaseChange } from '../contract';

/** 0xFFFFFFFF is "infinite" in DHCPv6; iproute2 spells it `forever`. */
const INFINITE = 0xffffffff;

export interface ApplyResult {
  change: LeaseChange;
  ok: boolean;
  /** The command that failed (argv), and its stderr. */
  argv?: string[];
  error?: string;
}

export interface Iproute2Options {
  /** Path of the `ip` program; default `ip` from PATH. */
  ipPath?: string;
  /** Run inside this network namespace (`ip -n NAME ...`). */
  netns?: string;
  routes?: boolean;
  mtu?: boolean;
  timeoutMs?: number;
  onResult?: (r: ApplyResult) => void;
}

function lifetime(v: number): string {
  return v === INFINITE ? 'forever' : String(v);
}

/** The `ip` argument lists for one change, in the order they must run. Pure, for tests. */
export function commandsFor(change: LeaseChange, opts: { routes?: boolean; mtu?: boolean } = {}): string[][] {
  const dev = change.ifname;
  const cmds: string[][] = [];
  if (change.version === 4) {
    if (change.action === 'set') {
      cmds.push(['addr', 'replace', `${change.address}/${change.prefixLength}`, 'broadcast', change.broadcast, 'dev', dev]);
      if (opts.mtu && change.mtu !== undefined && change.mtu > 0) cmds.push(['link', 'set', 'dev', dev, 'mtu', String(change.mtu)]);
      const router = change.routers[0];
      if (opts.routes && router) cmds.push(['route', 'replace', 'default', 'via', router, 'dev', dev]);
    } else if (change.address) {
      // Removing the address also removes the routes that went through it.
      cmds.push(['addr', 'del', `${change.address}/${change.prefixLength ?? 32}`, 'dev', dev]);
    }
  } else if (change.action === 'set') {
    const a = change.address;
    if (a) {
      // valid 0 with preferred 0 means "not given" from stock dibbler: keep it, as the C manager does.
      const unknown = a.valid === 0 && a.preferred === 0;
      cmds.push(['-6', 'addr', 'replace', `${a.address}/128`, 'dev', dev,
        'preferred_lft', unknown ? 'forever' : lifetime(a.preferred), 'valid_lft', unknown ? 'forever' : lifetime(a.valid)]);
    }
    // A delegated prefix belongs to the LAN side (router advertisements), not to this interface.
  } else if (change.address) {
    cmds.push(['-6', 'addr', 'del', `${change.address}/128`, 'dev', dev]);
  }
  return cmds;
}

export class Iproute2Applier implements Applier {
  readonly name = 'iproute2';
  private readonly chains = new Map<string, Promise<void>>();
  /**
   * The v4 address we last put on each interface. Deleting a primary address makes the kernel
   * drop the secondaries of its subnet too (unless promote_secondaries is set), so a changed
   * address is swapped delete-old-then-add-new, and a later clear of the old one is skipped.
   */
  private readonly v4Current = new Map<string, string>();
  private pending = 0;
  private waiters: Array<() => void> = [];

  constructor(private readonly opts: Iproute2Options = {}) {}

  apply(change: LeaseChange): void {
    const prev = this.chains.get(change.ifname) ?? Promise.resolve();
    this.pending++;
    const next = prev.then(() => this.run(change)).finally(() => {
      this.pending--;
      if (this.chains.get(change.ifname) === next) this.chains.delete(change.ifname);
      if (this.pending === 0) for (const w of this.waiters.splice(0)) w();
    });
    this.chains.set(change.ifname, next);
  }

  idle(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  private async run(change: LeaseChange): Promise<void> {
    const cmds = commandsFor(change, this.opts);
    if (change.version === 4) {
      const current = this.v4Current.get(change.ifname);
      if (change.action === 'set') {
        const next = `${change.address}/${change.prefixLength}`;
        if (current && current !== next) cmds.unshift(['addr', 'del', current, 'dev', change.ifname]);
        this.v4Current.set(change.ifname, next);
      } else {
        if (current && change.address && current !== `${change.address}/${change.prefixLength ?? 32}`) cmds.length = 0;
        this.v4Current.delete(change.ifname);
      }
    }
    for (const args of cmds) {
      const argv = this.opts.netns ? ['-n', this.opts.netns, ...args] : args;
      const error = await this.exec(argv);
      // The old address may already be gone (removed by hand): not a failure of this change.
      if (error !== undefined && !(args[1] === 'del' && /Cannot assign requested address/.test(error))) {
        this.opts.onResult?.({ change, ok: false, argv: ['ip', ...argv], error });
        return;
      }
    }
    this.opts.onResult?.({ change, ok: true });
  }

  private exec(argv: string[]): Promise<string | undefined> {
    return new Promise((resolve) => {
      execFile(this.opts.ipPath ?? 'ip', argv, { timeout: this.opts.timeoutMs ?? 5000 }, (err, _stdout, stderr) => {
        resolve(err ? (String(stderr).trim() || err.message) : undefined);
      });
    });
  }
}
