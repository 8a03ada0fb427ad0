/**
 * The manager's DHCP clients: the client table (seeded by the config file, kept in the store),
 * one ClientRunner per client, the TR-181 view of the table, and writes.
 *
 * A write is planned on a copy (writes.ts: all or nothing), committed to the store, and only
 * then acted on: Enable=true starts the client, Enable=false releases and stops it and ends the
 * lease in the model (LEASE_DEL), Renew=true renews, any other change restarts a running client
 * with its new command line or configuration. Writes are serialized.
 */
import { accessSync, constants } from 'fs';
import { delimiter, dirname, join } from 'path';
import type { Logger } from 'pino';
import type { ClientObject, ClientTreeView } from '../model/tree';
import type { ParamValue } from '../contract';
import { linkProblem } from './link';
import { ENTRY_PARAMS, V4_PARAMS, V6_PARAMS, apiType } from './params';
import type { ClientParam } from './params';
import { ClientStore } from './persist';
import { ClientEventType, ClientRunner, DEFAULT_TIMING, Launcher, Timing } from './supervisor';
import { ClientConfig, ClientTable, V4Client, V6Client, allClients, clientKey } from './table';
import { planWrite, WriteError } from './writes';

/** What the client table needs from the engine (engine.ts). */
export interface ClientEngine {
  attachClients(view: ClientTreeView, configured: ((ifname: string, version: 4 | 6) => boolean) | undefined): void;
  instanceOf(ifname: string): number | undefined;
  reserveInterface(ifname: string, wanted: number): number;
  clientEvent(version: 4 | 6, ifname: string, type: ClientEventType, detail: Record<string, unknown>, cause: string): unknown;
  endLease(ifname: string, version: 4 | 6, cause: string): unknown;
  get(paths: string[]): { ok: boolean };
}

export interface ClientOptions {
  stateDir: string;
  spoolDir: string;
  listen: string | null;
  ackListen: string | null;
  keyFile?: string;
  udhcpcPlugin: string;
  dibblerPlugin: string;
  acceptUnconfigured: boolean;
  apiToken?: Buffer;
  timing?: Partial<Timing>;
}

export type WriteResult = { ok: true; applied: string[] } | { ok: false; errors: WriteError[] };

const CAUSE: Record<ClientEventType, string> = { CLIENT_STARTED: 'started', CLIENT_STOPPED: 'stopped', CLIENT_FAILED: 'failed' };

/** udhcpc itself when installed as a program, else busybox's applet. */
function udhcpcCommand(path: string): string[] {
  for (const dir of path.split(delimiter)) {
    const f = join(dir, 'udhcpc');
    try { accessSync(f, constants.X_OK); return [f]; } catch { /* next */ }
  }
  for (const dir of path.split(delimiter)) {
    const f = join(dir, 'busybox');
    try { accessSync(f, constants.X_OK); return [f, 'udhcpc']; } catch { /* next */ }
  }
  return ['busybox', 'udhcpc'];
}

/** A wildcard bind address is not one a plugin can connect to: use loopback. */
function connectable(ep: string): string {
  return ep.replace(/^tcp:\/\/(\*|0\.0\.0\.0):/, 'tcp://127.0.0.1:');
}

export class ClientManager implements ClientTreeView {
  private table: ClientTable;
  private readonly runners = new Map<string, ClientRunner>();
  private chain: Promise<unknown> = Promise.resolve();
  private readonly env: Record<string, string>;
  private readonly udhcpc: string[];
  private readonly timing: Timing;

  constructor(seed: ClientTable, private readonly opts: ClientOptions, private readonly engine: ClientEngine, private readonly store: ClientStore, private readonly log: Logger) {
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    const path = [dirname(process.execPath), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']
      .filter((d, i, a) => a.indexOf(d) === i).join(delimiter);
    this.env = {
      PATH: path,
      DHCPMGR_MODE: opts.ackListen ? 'acked' : 'legacy',
      ...(opts.ackListen ? { DHCPMGR_ACK_ADDR: connectable(opts.ackListen) } : {}),
      ...(opts.listen ? { DHCPMGR_ADDR: connectable(opts.listen) } : {}),
      DHCPMGR_SPOOL_DIR: opts.spoolDir,
      ...(opts.keyFile ? { DHCPMGR_KEY_FILE: opts.keyFile } : {}),
    };
    this.udhcpc = udhcpcCommand(path);
    // The instance number an interface already has in the store wins over the file's position.
    const renumber = <C extends ClientConfig>(c: C): C => {
      try {
        return { ...c, instance: engine.reserveInterface(c.interface, c.instance) };
      } catch (err) {
        // A read-only store: the model cannot number the interface now; keep the file's number.
        log.error({ component: 'clients', ifname: c.interface, err }, 'cannot store the interface instance number');
        return c;
      }
    };
    const numbered: ClientTable = { dhcpv4: seed.dhcpv4.map(renumber), dhcpv6: seed.dhcpv6.map(renumber) };
    this.table = store.load(numbered);
    engine.attachClients(this, opts.acceptUnconfigured ? undefined : (ifname, version) => this.configured(ifname, version));
  }

  /** Adopt or start every client (after the sockets are bound, so the first lease is received). */
  start(): void {
    for (const c of allClients(this.table)) this.runnerOf(c).adopt(c.enable);
  }

  /** Manager shutdown: stop the clients (`--stop-clients-on-exit`) or leave them running. */
  async stop(stopClients: boolean): Promise<void> {
    await this.chain.catch(() => undefined);
    if (stopClients) await Promise.all([...this.runners.values()].map((r) => r.disable(true)));
    for (const r of this.runners.values()) r.detach();
    this.store.close();
  }

  private find(key: string): ClientConfig | undefined {
    return allClients(this.table).find((c) => clientKey(c) === key);
  }

  private runnerOf(c: ClientConfig): ClientRunner {
    const key = clientKey(c);
    let r = this.runners.get(key);
    if (r) return r;
    const dir = join(this.opts.stateDir, 'clients');
    const current = (): ClientConfig => this.find(key)!;
    // Each client kind's module is loaded only when a client of that kind exists.
    const launcher: Launcher = c.version === 4 ? this.udhcpcLauncher(current) : this.dibblerLauncher(current, join(dir, key));
    r = new ClientRunner(key, { pid: join(dir, `${key}.pid`), log: join(dir, `${key}.log`) }, launcher,
      () => linkProblem(current().interface, c.version),
      {
        event: (type, detail) => { const x = current(); this.engine.clientEvent(x.version, x.interface, type, detail, CAUSE[type]); },
        released: () => { const x = current(); this.engine.endLease(x.interface, x.version, 'client-disabled'); },
      },
      this.log.child({ component: 'clients' }), this.timing);
    this.runners.set(key, r);
    return r;
  }

  private udhcpcLauncher(current: () => ClientConfig): Launcher {
    const { udhcpcArgv } = require('./udhcpc') as typeof import('./udhcpc');
    return {
      launch: () => {
        const argv = udhcpcArgv(current() as V4Client, this.udhcpc, this.opts.udhcpcPlugin);
        return { argv, env: this.env, expect: argv };
      },
      prepare: () => this.checkPlugin(this.opts.udhcpcPlugin),
      releaseSignal: 'SIGUSR2',
      renew: 'SIGUSR1',
    };
  }

  private dibblerLauncher(current: () => ClientConfig, base: string): Launcher {
    const { dibblerConf, dibblerLaunch, dibblerPaths, prepareNamespace, stopHolder } = require('./dibbler') as typeof import('./dibbler');
    const paths = dibblerPaths(base);
    return {
      launch: () => dibblerLaunch(paths, dibblerConf(current() as V6Client, this.opts.dibblerPlugin), this.env),
      prepare: () => {
        this.checkPlugin(this.opts.dibblerPlugin);
        prepareNamespace(paths, dibblerConf(current() as V6Client, this.opts.dibblerPlugin));
      },
      stopped: () => stopHolder(paths),
      // dibbler-client sends RELEASE when it is stopped with SIGTERM.
      renew: 'restart',
    };
  }

  private checkPlugin(file: string): void {
    try { accessSync(file, constants.X_OK); } catch { throw new Error(`plugin ${file} is missing or not executable (see --udhcpc-plugin / --dibbler-plugin)`); }
  }

  /** For `dhcp-manager status`. */
  summary(): Array<{ client: string; interface: string; enable: boolean; status: string; pid: number; detail: string }> {
    return allClients(this.table).map((c) => {
      const r = this.runners.get(clientKey(c));
      return { client: clientKey(c), interface: c.interface, enable: c.enable, status: this.client(c.version, c.interface)!.status, pid: r?.processId ?? 0, detail: r?.problem ?? '' };
    });
  }

  /** Leases are taken for an interface whose client of this version is enabled or still running. */
  configured(ifname: string, version: 4 | 6): boolean {
    const c = (version === 4 ? this.table.dhcpv4 : this.table.dhcpv6).find((x) => x.interface === ifname);
    return c !== undefined && (c.enable || this.runners.get(clientKey(c))?.processId !== undefined);
  }

  client(version: 4 | 6, ifname: string): ClientObject | undefined {
    const c = (version === 4 ? this.table.dhcpv4 : this.table.dhcpv6).find((x) => x.interface === ifname);
    if (!c) return undefined;
    const r = this.runners.get(clientKey(c));
    const params: ParamValue[] = [];
    const list = (c.version === 4 ? V4_PARAMS : V6_PARAMS) as ReadonlyArray<ClientParam<ClientConfig>>;
    for (const p of list) if (p.name !== 'Enable') params.push({ path: p.name, value: p.get(c), type: apiType(p.type) });
    if (c.version === 4) {
      for (const kind of ['ReqOption', 'SentOption'] as const) {
        (kind === 'ReqOption' ? c.reqOptions : c.sentOptions).forEach((e, j) => {
          for (const p of ENTRY_PARAMS[kind]) params.push({ path: `${kind}.${j + 1}.${p.name}`, value: p.get(e), type: apiType(p.type) });
        });
      }
    }
    params.push({ path: 'X_DHCPMGR_Pid', value: r?.processId ?? 0, type: 'unsignedInt' });
    params.push({ path: 'X_DHCPMGR_StatusDetail', value: r?.problem ?? '', type: 'string' });
    return { enable: c.enable, status: c.enable ? (r?.status === 'Disabled' || !r ? 'Enabled' : r.status) : 'Disabled', params };
  }

  /** The HTTP API's `write` object (PATCH /api/v1/tr181). */
  get write(): { authorize(token: string | undefined): 'ok' | 'missing' | 'bad' | 'disabled'; set(values: Record<string, unknown>): Promise<WriteResult> } {
    return {
      authorize: (token) => {
        const want = this.opts.apiToken;
        if (!want) return 'disabled';
        if (token === undefined || token === '') return 'missing';
        const got = Buffer.from(token);
        // crypto is loaded on the first authenticated write, not at start.
        const { timingSafeEqual } = require('crypto') as typeof import('crypto');
        return got.length === want.length && timingSafeEqual(got, want) ? 'ok' : 'bad';
      },
      set: (values) => {
        const p = this.chain.then(() => this.set(values));
        this.chain = p.catch(() => undefined);
        return p;
      },
    };
  }

  private async set(values: Record<string, unknown>): Promise<WriteResult> {
    const plan = planWrite(this.table, values, (path) => this.engine.get([path]).ok);
    if (!plan.ok) {
      this.log.warn({ component: 'clients', errors: plan.errors }, 'write refused');
      return plan;
    }
    const before = this.table;
    const changed = plan.changed.map((k) => allClients(plan.table).find((c) => clientKey(c) === k)!);
    try {
      this.store.save(changed);
    } catch (err) {
      this.log.error({ component: 'clients', err }, 'write not committed');
      return { ok: false, errors: [{ path: '', error: `store commit failed: ${(err as Error).message}` }] };
    }
    this.table = plan.table;
    this.log.info({ component: 'clients', applied: plan.applied }, 'write committed');
    for (const c of changed) {
      const was = allClients(before).find((x) => clientKey(x) === clientKey(c))!;
      const r = this.runnerOf(c);
      if (was.enable && !c.enable) await r.disable(true);
      else if (!was.enable && c.enable) r.enable();
      else if (c.enable) await r.restart();
    }
    for (const key of plan.renew) if (!plan.changed.includes(key)) await this.runners.get(key)?.renew();
    return { ok: true, applied: plan.applied };
  }
}
