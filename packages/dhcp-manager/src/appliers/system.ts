/**
 * `--apply iproute2`: make the whole lease true on the system. Per change, the applier works out
 * the wanted items (plan.ts: WAN address, default and static routes with the interface's
 * metric, /64s of the delegated prefix on the LAN interfaces), diffs them against what its
 * ledger says it added, runs all the commands through one `ip -force -batch -` (batch.ts), keeps
 * the ledger, and rewrites the resolver file (or tells systemd-resolved) from every active lease.
 * Changes of one interface run strictly in order on their own promise chain. A failure is
 * reported through `onResult` (logged and counted by the daemon) and never thrown: the model
 * update it belongs to has already been committed and stays.
 */
import { INFINITE } from '@dhcpmgr/plugin-msg';
import { execFile } from 'child_process';
import type { Logger } from 'pino';
import { Counter, type Registry } from '../metrics-registry';
import type { Applier, LeaseChange, ModelView } from '../contract';
import type { ApplyResult } from './iproute2';
import { runBatch } from './batch';
import type { CarveProblem, LanInterface } from './lanprefix';
import { keyOf, KeyState, Ledger } from './ledger';
import { addArgs, alreadyGone, oursExists, delArgs, desiredItems, diff, isV4Info, Item, itemKey, LeaseInfo, V6Info } from './plan';
import { reconcileTargets } from './reconcile';
import { DnsEntry, MergedDns, mergeDns, perInterface, renderResolv, resolvectlArgs, writeAtomic } from './resolv';

export interface SystemOptions {
  stateDir: string;
  ipPath?: string;
  netns?: string;
  routes?: boolean;
  mtu?: boolean;
  /** Route metric per interface; `*` is the default for the others (0 when not given). */
  routeMetrics?: Record<string, number>;
  lans?: LanInterface[];
  /** Seconds a LAN /64 stays deprecated (preferred 0) before it is deleted. 0: delete at once. */
  lanDeprecateS?: number;
  dns?: { mode: 'file' | 'resolved' | 'off'; file: string; priority: string[]; resolvectlPath?: string };
  timeoutMs?: number;
  onResult?: (r: ApplyResult) => void;
  logger?: Logger;
  registry?: Registry;
}

export class SystemApplier implements Applier {
  readonly name = 'iproute2';
  private readonly chains = new Map<string, Promise<void>>();
  private pending = 0;
  private waiters: Array<() => void> = [];
  private readonly ledger: Ledger;
  private lanProblems: Record<string, CarveProblem[]> = {};
  private readonly counts = { batches: 0, commands: 0, failed: 0, lanProblems: 0, dnsWrites: 0, dnsFailed: 0, reconciled: 0 };
  private lastDns = '';
  private lastPerIf = new Map<string, string>();
  private dnsNow: MergedDns = { servers: [], domains: [] };
  private readonly timers = new Set<NodeJS.Timeout>();
  private dnsQueue: Promise<void> = Promise.resolve();
  private readonly lanCounter?: Counter<'ifname'>;

  constructor(private readonly opts: SystemOptions) {
    this.ledger = new Ledger(opts.stateDir);
    if (this.ledger.loadError) opts.logger?.warn({ file: this.ledger.file, reason: this.ledger.loadError }, 'applier ledger unreadable: starting empty');
    if (opts.registry) {
      this.lanCounter = new Counter({
        name: 'dhcpmgr_lan_prefix_problems_total', help: 'Delegated prefixes that could not give a LAN interface its /64 (too small or longer than /64)',
        labelNames: ['ifname'], registry: opts.registry,
      });
    }
  }

  apply(change: LeaseChange): void {
    this.enqueue(change.ifname, () => this.run(change));
  }

  idle(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Bring the system in line with the restored model; queued before any new change. */
  reconcile(model: ModelView): void {
    const targets = reconcileTargets(this.ledger.data.keys, model);
    for (const t of targets) {
      const change: LeaseChange = t.version === 4 ? { version: 4, ifname: t.ifname, action: t.lease ? 'set' : 'clear' } as LeaseChange
        : { version: 6, ifname: t.ifname, action: t.lease ? 'set' : 'clear' } as LeaseChange;
      this.enqueue(t.ifname, async () => {
        this.counts.reconciled++;
        await this.converge(t.key, t.ifname, t.version, t.lease, t.dns, change);
      });
    }
    // `until` is wall-clock time from an earlier run; a wall-clock step since then must not keep a
    // deprecated LAN address for longer than the hold time (nor for years after a step back).
    const now = Date.now();
    const holdMs = (this.opts.lanDeprecateS ?? 30) * 1000;
    for (const d of [...this.ledger.data.deprecated]) this.scheduleDelete(d.item, Math.min(holdMs, Math.max(0, d.until - now)));
    // After every interface's reconcile: the resolver file then holds exactly the kept leases.
    const all = [...this.chains.values()];
    this.enqueue('', async () => {
      await Promise.allSettled(all);
      await this.updateDns(true);
    });
  }

  /** Drop pending deprecation timers (their items stay in the ledger for the next start). */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  status(): Record<string, unknown> {
    const managed = Object.values(this.ledger.data.keys).map((k) => ({ ifname: k.ifname, version: k.version, items: k.items.map(itemKey) }));
    return {
      ledger: this.ledger.file,
      counters: { ...this.counts },
      managed,
      deprecating: this.ledger.data.deprecated.map((d) => ({ item: itemKey(d.item), until: new Date(d.until).toISOString() })),
      lanPrefixProblems: Object.values(this.lanProblems).flat(),
      dns: { mode: this.opts.dns?.mode ?? 'off', file: this.opts.dns?.mode === 'file' ? this.opts.dns.file : undefined, ...this.dnsNow },
    };
  }

  private enqueue(chain: string, job: () => Promise<void>): void {
    const prev = this.chains.get(chain) ?? Promise.resolve();
    this.pending++;
    const next = prev.then(job).catch((err) => this.opts.logger?.error({ err }, 'applier job failed')).finally(() => {
      this.pending--;
      if (this.chains.get(chain) === next) this.chains.delete(chain);
      if (this.pending === 0) for (const w of this.waiters.splice(0)) w();
    });
    this.chains.set(chain, next);
  }

  private metricOf(ifname: string): number {
    const m = this.opts.routeMetrics ?? {};
    return m[ifname] ?? m['*'] ?? 0;
  }

  /** The lease after this change, from the one applied before (a v6 message may carry one IA only). */
  private nextLease(prev: KeyState | undefined, change: LeaseChange): LeaseInfo | null {
    if (change.version === 4) {
      if (change.action === 'clear') return null;
      return { address: change.address, prefixLength: change.prefixLength, broadcast: change.broadcast, routers: change.routers,
        ...(change.mtu !== undefined ? { mtu: change.mtu } : {}), staticRoutes: change.staticRoutes ?? '' };
    }
    const old: V6Info = prev?.lease && !isV4Info(prev.lease) ? prev.lease : {};
    const next: V6Info = { ...old };
    if (change.action === 'set') {
      if (change.address) next.na = { ...change.address };
      if (change.prefix) next.pd = { ...change.prefix };
    } else {
      if (change.address) delete next.na;
      if (change.prefix) delete next.pd;
    }
    return next.na || next.pd ? next : null;
  }

  private async run(change: LeaseChange): Promise<void> {
    const key = keyOf(change.ifname, change.version);
    const prev = this.ledger.data.keys[key];
    const lease = this.nextLease(prev, change);
    let dns = prev?.dns ?? { servers: [], domains: [] };
    if (change.action === 'set') dns = { servers: [...(change.dnsServers ?? [])], domains: change.version === 6 ? [...(change.domains ?? [])] : [] };
    if (lease === null) dns = { servers: [], domains: [] };
    const mtu = change.version === 4 && change.action === 'set' && this.opts.mtu && change.mtu !== undefined && change.mtu > 0
      ? [['link', 'set', 'dev', change.ifname, 'mtu', String(change.mtu)]] : [];
    await this.converge(key, change.ifname, change.version, lease, dns, change, mtu);
    await this.updateDns(false);
  }

  private async converge(key: string, ifname: string, version: 4 | 6, lease: LeaseInfo | null, dns: KeyState['dns'],
    change: LeaseChange, extra: string[][] = []): Promise<void> {
    const prevItems = this.ledger.data.keys[key]?.items ?? [];
    const want = desiredItems(ifname, lease, { routes: !!this.opts.routes, metric: this.metricOf(ifname), lans: this.opts.lans ?? [] });
    const now = Date.now();
    for (const i of want.items) if (i.kind === 'addr' && i.valid !== undefined && i.valid !== INFINITE) i.until = now + i.valid * 1000;
    this.noteLanProblems(key, want.lanProblems);
    if (want.badRoutes.length) this.opts.logger?.warn({ ifname, tokens: want.badRoutes }, 'static route tokens not understood: not applied');
    const hold = this.opts.lanDeprecateS ?? 30;
    const plan = diff(prevItems, want.items, hold, now);
    // A LAN /64 wanted again is no longer on its way out.
    const wanted = new Set(want.items.map(itemKey));
    this.ledger.data.deprecated = this.ledger.data.deprecated.filter((d) => !wanted.has(itemKey(d.item)));
    // Intent first: whatever may exist after this batch is listed before the batch runs.
    const union = [...prevItems, ...want.items.filter((i) => !prevItems.some((p) => itemKey(p) === itemKey(i)))];
    this.ledger.data.keys[key] = { ifname, version, lease, items: union, dns };
    this.saveLedger();
    const cmds = [...plan.cmds.slice(0, plan.cmds.length - want.items.length), ...extra, ...plan.cmds.slice(plan.cmds.length - want.items.length)];
    const failures = await this.runCmds(cmds, prevItems);
    const failure = failures[0];
    // An item whose add failed is not ours on the system (it may be someone else's): not listed.
    const failedAdds = new Set(failures.map((f) => f.argv.slice(1).join(' ')));
    const added = want.items.filter((i) => !failedAdds.has(addArgs(i).join(' ')));
    if (lease === null) delete this.ledger.data.keys[key];
    else this.ledger.data.keys[key] = { ifname, version, lease, items: added, dns };
    for (const d of plan.deprecated) {
      this.ledger.data.deprecated.push({ item: d, until: d.until! });
      this.scheduleDelete(d, d.until! - now);
    }
    this.saveLedger();
    this.opts.onResult?.(failure ? { change, ok: false, argv: failure.argv, error: failure.error } : { change, ok: true });
  }

  /** Runs one batch; returns the real failures (argv with a leading `ip`), the first one first. */
  private async runCmds(cmds: string[][], before: readonly Item[] = []): Promise<Array<{ argv: string[]; error: string }>> {
    if (cmds.length === 0) return [];
    this.counts.batches++;
    this.counts.commands += cmds.length;
    const r = await runBatch(cmds, { ipPath: this.opts.ipPath, netns: this.opts.netns, timeoutMs: this.opts.timeoutMs });
    if (r.fatal) {
      this.counts.failed++;
      return [{ argv: ['ip', '-batch', '-'], error: r.fatal }];
    }
    const real = r.failures.filter((f) => !alreadyGone(f.argv, f.error) && !oursExists(f.argv, f.error, before));
    this.counts.failed += real.length;
    for (const f of real.slice(1)) this.opts.logger?.error({ argv: ['ip', ...f.argv], err: f.error }, 'ip command failed');
    return real.map((f) => ({ argv: ['ip', ...f.argv], error: f.error }));
  }

  private scheduleDelete(item: Item, afterMs: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.enqueue(item.dev, async () => {
        const k = itemKey(item);
        if (!this.ledger.data.deprecated.some((d) => itemKey(d.item) === k)) return; // wanted again meanwhile
        const [failure] = await this.runCmds([delArgs(item)]);
        if (failure) this.opts.logger?.error({ argv: failure.argv, err: failure.error }, 'removing a deprecated LAN address failed');
        this.ledger.data.deprecated = this.ledger.data.deprecated.filter((d) => itemKey(d.item) !== k);
        this.saveLedger();
      });
    }, afterMs);
    t.unref();
    this.timers.add(t);
  }

  private noteLanProblems(key: string, problems: CarveProblem[]): void {
    const before = JSON.stringify(this.lanProblems[key] ?? []);
    if (problems.length === 0) { delete this.lanProblems[key]; return; }
    this.lanProblems[key] = problems;
    if (before === JSON.stringify(problems)) return;
    for (const p of problems) {
      this.counts.lanProblems++;
      this.lanCounter?.inc({ ifname: p.ifname });
      this.opts.logger?.warn({ wan: key, ifname: p.ifname, subnetId: p.id, reason: p.reason }, 'delegated prefix too small for a LAN interface: not assigned');
    }
  }

  private saveLedger(): void {
    try {
      this.ledger.save();
    } catch (err) {
      this.opts.logger?.error({ err, file: this.ledger.file }, 'cannot write the applier ledger');
    }
  }

  private dnsEntries(): DnsEntry[] {
    return Object.values(this.ledger.data.keys).filter((k) => k.lease !== null)
      .map((k) => ({ ifname: k.ifname, version: k.version, servers: k.dns.servers, domains: k.dns.domains }));
  }

  /** One DNS update at a time: interface chains run concurrently, the resolver state is shared. */
  private updateDns(force: boolean): Promise<void> {
    const run = this.dnsQueue.then(() => this.doUpdateDns(force));
    this.dnsQueue = run.catch(() => undefined);
    return run;
  }

  private async doUpdateDns(force: boolean): Promise<void> {
    const d = this.opts.dns;
    if (!d || d.mode === 'off') return;
    const entries = this.dnsEntries();
    this.dnsNow = mergeDns(entries, d.priority);
    if (d.mode === 'file') {
      const text = renderResolv(this.dnsNow);
      if (!force && text === this.lastDns) return;
      try {
        writeAtomic(d.file, text);
        this.lastDns = text;
        this.counts.dnsWrites++;
      } catch (err) {
        this.counts.dnsFailed++;
        this.opts.logger?.error({ err, file: d.file }, 'cannot write the resolver file');
      }
      return;
    }
    const per = perInterface(entries);
    for (const ifname of new Set([...per.keys(), ...this.lastPerIf.keys()])) {
      const m = per.get(ifname) ?? { servers: [], domains: [] };
      const sig = JSON.stringify(m);
      if (!force && this.lastPerIf.get(ifname) === sig) continue;
      let ok = true;
      for (const args of resolvectlArgs(ifname, m.servers, m.domains)) {
        const err = await this.exec(d.resolvectlPath ?? 'resolvectl', args);
        if (err !== undefined) {
          ok = false;
          this.counts.dnsFailed++;
          this.opts.logger?.error({ argv: ['resolvectl', ...args], err }, 'resolvectl failed');
          break;
        }
      }
      if (ok) {
        this.counts.dnsWrites++;
        if (per.has(ifname)) this.lastPerIf.set(ifname, sig);
        else this.lastPerIf.delete(ifname);
      }
    }
  }

  private exec(file: string, args: string[]): Promise<string | undefined> {
    return new Promise((resolve) => {
      execFile(file, args, { timeout: this.opts.timeoutMs ?? 5000 }, (err, _o, stderr) => resolve(err ? (String(stderr).trim() || err.message) : undefined));
    });
  }
}
