/**
 * The daemon: owns the sockets, timers, HTTP server and appliers around the synchronous Engine.
 * Start order matters: the store opens, every spooled event is replayed in order, and only then
 * are the receive sockets bound, so an old spooled event can never overtake a newer live one
 * unnoticed (the engine's ordering check makes the late one stale either way).
 * Stop order: stop receiving, commit what is queued, answer the acked sender, wait for the
 * appliers, close the store.
 */
import { mkdirSync } from 'fs';
import type { Server } from 'http';
import type { Logger } from 'pino';
import type { Receiver, Publisher } from '@dhcpmgr/plugin-msg/transport';
import type { Config } from './config';
import { describeEndpoints } from './config';
import { VERSION } from './version';
import type { Applier, Channel, EngineOptions, EngineStats, IngestResult, LeaseEvent, LeaseView, ParamValue, Ingest } from './contract';
import { ManagerMetrics } from './metrics';
import { registerProcessMetrics } from './metrics-process';
import { PubSink } from './publisher';
import { createApplier, ApplyResult } from './appliers';
import { IngestQueue, rateLimited } from './monitor/queue';
import { bindAcked, bindLegacy, ReceiveHooks } from './monitor/receivers';
import { SenderAuth } from './auth';
import { applyIpcPermissions } from './monitor/ipcperm';
import { Spool } from './monitor/spool';
import { ExpiryTimer } from './expiry-timer';
import { bindWithRetry } from './monitor/bindretry';
import type { EngineDeps } from './engine';
import type { DurableStore } from './store/durable';
import type { Store } from './store/store';
import type { ClientEngine, ClientManager } from './clients/manager';
import type { MqttExporter } from './export/mqtt';
import { IdleRelease } from './memory';
import * as mallocTrim from '@dhcpmgr/malloc-trim';

/** The part of the Engine (engine.ts) the daemon uses. */
export interface EngineLike {
  ingestBatch(items: Ingest[]): IngestResult[];
  expireDue(now?: number): LeaseEvent[];
  nextExpiry(): number | undefined;
  get(paths: string[]): { ok: true; values: ParamValue[] } | { ok: false; error: string };
  leases(): LeaseView[];
  history(ifname?: string, limit?: number): LeaseEvent[];
  stats(): EngineStats;
}

/** Builds the engine on an opened store (default: engine.ts's Engine). */
export type EngineFactory = (store: Store, opts: EngineOptions, deps: EngineDeps) => EngineLike;

export { VERSION };

interface ErrorNote { time: number; where: string; message: string }

export class Daemon {
  private readonly startedAt = Date.now();
  private readonly lastErrors: ErrorNote[] = [];
  private readonly receivers: Receiver[] = [];
  private ackReceiver: Receiver | undefined;
  private publisher: Publisher | undefined;
  private server: Server | undefined;
  private sink: PubSink | undefined;
  private engine: EngineLike | undefined;
  private applier: Applier | undefined;
  private queue: IngestQueue | undefined;
  private spool: Spool | undefined;
  private expiry: ExpiryTimer | undefined;
  private stopping: Promise<void> | undefined;
  private auth: SenderAuth | undefined;
  private durable: DurableStore | undefined;
  private clients: ClientManager | undefined;
  private mqtt: MqttExporter | undefined;
  private release: IdleRelease | undefined;
  /** malloc_trim's last result (1: pages released, 0: none), once it ran. */
  private cHeapTrim: number | undefined;
  private readonly counts = { overload: 0, badEnvelope: 0, applierOk: 0, applierFailed: 0, spoolReplayed: 0, spoolRejected: 0 };
  readonly metrics = new ManagerMetrics();

  constructor(private readonly config: Config, private readonly log: Logger, private readonly engineFactory?: EngineFactory) {}

  async start(): Promise<void> {
    const c = this.config;
    mkdirSync(c.stateDir, { recursive: true });
    const { bindPub } = require('@dhcpmgr/plugin-msg/transport') as typeof import('@dhcpmgr/plugin-msg/transport');
    if (c.events) this.publisher = await this.bind(c.events, () => bindPub(c.events!, (err) => this.note('events', err)));
    this.applier = createApplier(c, (r) => this.applied(r), { logger: this.log.child({ component: 'applier' }), registry: this.metrics.registry });
    // Loaded here so that the CLI's client commands never load SQLite.
    const { DurableStore } = require('./store/durable') as typeof import('./store/durable');
    const durable = new DurableStore({
      stateDir: c.stateDir, durability: c.durability, historyPerInterface: c.historyPerInterface,
      fsyncSeconds: (s) => this.metrics.walFsyncSeconds.observe(s),
      onError: (where, err) => this.note(where, err),
    });
    this.durable = durable;
    const factory = this.engineFactory ?? defaultEngineFactory;
    if (c.mqtt) {
      // Loaded only with --mqtt-url, so that a manager without the exporter never loads mqtt.js.
      const { MqttExporter } = require('./export/mqtt') as typeof import('./export/mqtt');
      this.mqtt = new MqttExporter(c.mqtt, { logger: this.log, registry: this.metrics.registry, remember: (m) => this.remember('mqtt', m) });
    }
    // CPU, memory, file descriptors: last in /metrics, after the manager's own metrics.
    registerProcessMetrics(this.metrics.registry);
    const engine = factory(
      durable.store,
      { abi: c.abi, interfaces: c.interfaces.length ? c.interfaces : undefined, ...(c.acceptUnconfigured ? { maxInterfaces: c.maxInterfaces } : {}) },
      { logger: this.log, metrics: this.metrics, sink: (this.sink = new PubSink(this.publisher ?? null)), applier: this.applier, keeper: durable.keeper, ...(this.mqtt ? { commitHook: this.mqtt.outbox } : {}) },
    );
    this.engine = engine;
    this.mqtt?.start();
    // Before the spool replay and any socket: the system is brought in line with the restored model first.
    this.applier.reconcile?.(engine);
    this.clients = this.openClients(engine);
    this.expiry = new ExpiryTimer(engine, (err) => this.note('expiry', err));

    this.spool = new Spool(c.spoolDir, {
      replayed: (status) => { this.counts.spoolReplayed++; this.metrics.spoolFile(status); },
      rejectedFile: (name, why) => {
        this.counts.spoolRejected++;
        this.log.warn({ component: 'spool', file: name, reason: why }, 'spool file rejected');
      },
    }, c.auth);
    const replay = this.spool.replayNow(engine, c.batchSize, durable.syncsOffLoop ? () => durable.flush() : undefined);
    if (replay.replayed || replay.left) this.log.info({ component: 'spool', ...replay }, 'spool replayed');

    this.queue = new IngestQueue(engine, {
      limit: c.queueLimit,
      batchSize: c.batchSize,
      minWaitMs: c.commitDelayMs,
      receiveToCommit: (seconds) => this.metrics.receiveToCommitSeconds.observe(seconds),
      dropped: this.overloaded(),
      maxDropLabels: c.maxInterfaces,
      ...(durable.syncsOffLoop ? {
        durable: (cb: (err?: Error) => void) => durable.whenDurable(cb),
        flushDurable: () => { durable.flush(); },
      } : {}),
      afterBatch: (_items, results) => {
        this.release?.worked();
        this.expiry?.arm();
        if (results.some((r) => r.status !== 'unavailable')) durable.touch();
      },
      onError: (err) => this.note('engine', err),
    });
    this.expiry.arm();

    const hooks = this.receiveHooks();
    this.auth = new SenderAuth({ key: c.auth?.key, requireAuth: c.auth?.requireAuth ?? false, replayWindowS: c.auth?.replayWindowS });
    const ropts = { rcvmaxsize: c.rcvmaxsize, auth: this.auth };
    const queue = this.queue;
    if (c.listen) this.receivers.push(await this.bind(c.listen, () => bindLegacy(c.listen!, queue, hooks, ropts)));
    if (c.ackListen) this.ackReceiver = await this.bind(c.ackListen, () => bindAcked(c.ackListen!, queue, hooks, { ...ropts, workers: c.ackWorkers }));
    for (const ep of [c.listen, c.ackListen, c.events]) applyIpcPermissions(ep, c.ipcMode, c.ipcGroup);
    const http = c.http;
    if (http) {
      // Loaded only with --http: a manager without it never loads the HTTP server module.
      const { startHttp } = require('./http/server') as typeof import('./http/server');
      this.server = await this.bind(`${http.host}:${http.port}`, () => startHttp(this.api(), http.host, http.port, (err) => this.note('http', err), { page: true }));
    }
    this.spool.watch(this.queue, c.spoolScanMs);
    // Clients start once their leases can be received.
    this.clients?.start();
    if (c.releaseMemoryAfterMs > 0) {
      this.release = new IdleRelease({
        idleMs: c.releaseMemoryAfterMs, before: () => this.durable?.store.shrinkMemory(),
        afterQuiet: () => { this.cHeapTrim = mallocTrim.trim(); },
      });
      this.release.start();
    }
    this.log.info({ component: 'daemon', version: VERSION, apply: this.applier.name, ...describeEndpoints(c) }, 'dhcp-manager started');
  }

  /** Idempotent: stop receiving, commit what is queued, wait for appliers, close the store. */
  stop(reason = 'stop'): Promise<void> {
    this.stopping ??= this.doStop(reason);
    return this.stopping;
  }

  private async doStop(reason: string): Promise<void> {
    this.log.info({ component: 'daemon', reason }, 'stopping');
    // Before the receivers close: with --stop-clients-on-exit their release still reaches us.
    await this.clients?.stop(this.config.stopClientsOnExit).catch((err: unknown) => this.note('clients', err));
    this.spool?.stop();
    for (const r of this.receivers.splice(0)) r.close();
    this.queue?.drainAll();
    // Let the acked reply of a just-committed item go out before its socket closes.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.ackReceiver?.close();
    this.queue?.drainAll();
    this.expiry?.stop();
    this.release?.stop();
    if (this.server) await (require('./http/server') as typeof import('./http/server')).stopHttp(this.server);
    await this.applier?.idle();
    this.applier?.close?.();
    await this.mqtt?.stop();
    await this.durable?.close();
    this.publisher?.close();
    this.log.info({ component: 'daemon' }, 'stopped');
  }

  /** Bind, retrying for --bind-retry-s while the address is in use (monitor/bindretry.ts). */
  private bind<T>(endpoint: string, fn: () => T | Promise<T>): Promise<T> {
    return bindWithRetry(endpoint, fn, { limitS: this.config.bindRetryS ?? 0, log: this.log, cancelled: () => this.stopping !== undefined });
  }

  status(): Record<string, unknown> {
    return {
      version: VERSION,
      pid: process.pid,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      startedAt: new Date(this.startedAt).toISOString(),
      endpoints: describeEndpoints(this.config),
      apply: this.applier?.name ?? this.config.apply,
      applier: this.applier?.status?.(),
      queueDepth: this.queue?.depth ?? 0,
      overloadByInterface: this.queue?.overloadByInterface() ?? {},
      counters: { ...this.counts },
      auth: this.auth ? { keyLoaded: this.auth.key !== undefined, requireAuth: this.auth.requireAuth, ...this.auth.stats() } : undefined,
      engine: this.engine?.stats(),
      durability: this.config.durability,
      ...this.durable?.status(),
      mqtt: this.mqtt?.status(),
      lastErrors: [...this.lastErrors],
      acceptUnconfigured: this.config.acceptUnconfigured,
      clients: this.clients?.summary(),
      memory: this.memoryStatus(),
    };
  }

  private memoryStatus(): Record<string, unknown> {
    const m = process.memoryUsage();
    return {
      rssBytes: m.rss, heapUsedBytes: m.heapUsed, heapTotalBytes: m.heapTotal, externalBytes: m.external, idleRelease: this.release?.status(),
      // glibc's malloc_trim after a quiet saving window: whether it can run here and its last result.
      cHeapTrim: mallocTrim.available ? { available: true, ...(this.cHeapTrim !== undefined ? { lastResult: this.cHeapTrim } : {}) }
        : { available: false, reason: mallocTrim.loadError ?? 'the C library is not glibc' },
    };
  }

  /** The client table, when the engine supports it (test engines may not). */
  private openClients(engine: EngineLike): ClientManager | undefined {
    if (!('attachClients' in engine)) return undefined;
    const { ClientManager } = require('./clients/manager') as typeof import('./clients/manager');
    const { ClientStore } = require('./clients/persist') as typeof import('./clients/persist');
    const c = this.config;
    const store = new ClientStore(c.stateDir);
    if (store.unwritable) this.note('clients', new Error(`client table kept in memory from the config file; writes are refused: ${store.unwritable}`));
    return new ClientManager(c.clients, {
      stateDir: c.stateDir, spoolDir: c.spoolDir, listen: c.listen, ackListen: c.ackListen, keyFile: c.auth?.keyFile,
      udhcpcPlugin: c.udhcpcPlugin, dibblerPlugin: c.dibblerPlugin, acceptUnconfigured: c.acceptUnconfigured, apiToken: c.apiToken,
    }, engine as unknown as ClientEngine, store, this.log);
  }

  private api() {
    const engine = this.engine!;
    return {
      get: (paths: string[]) => engine.get(paths),
      leases: () => engine.leases(),
      history: (ifname?: string, limit?: number) => engine.history(ifname, limit),
      status: () => this.status(),
      ...(this.clients ? { write: this.clients.write } : {}),
      metrics: async () => {
        this.metrics.queueDepth.set(this.queue?.depth ?? 0);
        return { contentType: this.metrics.registry.contentType, body: this.metrics.registry.metrics() };
      },
      subscribe: (fn: (item: { topic: string; body: string }) => void) => this.sink?.listen(fn) ?? (() => undefined),
    };
  }

  /** Counts a message the full queue refused or evicted (monitor/queue.ts). */
  private overloaded(): (channel: Channel, ifname: string) => void {
    const logOverload = rateLimited<[string]>(1000, (suppressed, ifname) => this.log.warn({ component: 'monitor', reason: 'OVERLOAD', ifname, queueLimit: this.config.queueLimit, suppressed }, 'queue full: message dropped'));
    return (channel, ifname) => {
      this.counts.overload++;
      this.metrics.overload(channel, ifname);
      this.metrics.reject('OVERLOAD', channel);
      logOverload(ifname);
    };
  }

  private receiveHooks(): ReceiveHooks {
    return {
      badEnvelope: (code, detail) => {
        this.counts.badEnvelope++;
        this.metrics.reject(code as 'BAD_ENVELOPE', 'acked');
        this.log.warn({ component: 'monitor', channel: 'acked', reason: code, detail }, 'message rejected');
      },
      socketError: (where, err) => this.note(where, err),
    };
  }

  private applied(r: ApplyResult): void {
    this.metrics.applierRun(r.ok);
    if (r.ok) {
      this.counts.applierOk++;
      this.log.debug({ component: 'applier', ifname: r.change.ifname, version: r.change.version, action: r.change.action }, 'applied');
    } else {
      this.counts.applierFailed++;
      this.log.error({ component: 'applier', ifname: r.change.ifname, version: r.change.version, action: r.change.action, argv: r.argv, err: r.error }, 'applier failed');
      this.remember('applier', `${r.change.ifname}: ${r.argv?.join(' ')}: ${r.error}`);
    }
  }

  private note(where: string, err: unknown): void {
    const message = (err as Error)?.message ?? String(err);
    this.log.error({ component: where, err }, 'error');
    this.remember(where, message);
  }

  private remember(where: string, message: string): void {
    this.lastErrors.push({ time: Date.now(), where, message });
    if (this.lastErrors.length > 10) this.lastErrors.shift();
  }
}

function defaultEngineFactory(store: Store, opts: EngineOptions, deps: EngineDeps): EngineLike {
  const { Engine } = require('./engine') as typeof import('./engine');
  return new Engine(store, opts, deps);
}

/** Start a daemon; resolves once every socket is bound. */
export async function startDaemon(config: Config, log: Logger, engineFactory?: EngineFactory): Promise<Daemon> {
  const d = new Daemon(config, log, engineFactory);
  try {
    await d.start();
  } catch (err) {
    await d.stop('start failed').catch(() => undefined);
    throw err;
  }
  return d;
}
