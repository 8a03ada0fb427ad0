/**
 * Every Prometheus metric of the manager, engine and daemon alike, in one registry so that
 * `GET /metrics` is one `registry.metrics()` call. The engine updates the message, reject,
 * event, handler, batch, store and lease metrics itself; the daemon updates the applier, queue,
 * overload and spool metrics through the methods below (or the metric objects).
 */
import * as prom from 'prom-client';
import type { Channel, RejectReason } from './contract';

type Labels<T extends string> = prom.Counter<T>;

export class ManagerMetrics {
  readonly registry: prom.Registry;
  /** Every frame handed to the engine, by channel and decoded version ('unknown' when undecodable). */
  readonly messages: Labels<'channel' | 'version'>;
  readonly rejected: Labels<'reason' | 'channel'>;
  /** Outcome of each ingested item: applied, duplicate, stale, rejected, unavailable. */
  readonly results: Labels<'status'>;
  readonly events: Labels<'type' | 'version'>;
  readonly truncated: Labels<'field'>;
  readonly handlerSeconds: prom.Histogram<'version'>;
  readonly batchSize: prom.Histogram<string>;
  readonly commitSeconds: prom.Histogram<string>;
  /** From the receive callback (queue offer) to the end of the item's commit: queue wait included. */
  readonly receiveToCommitSeconds: prom.Histogram<string>;
  readonly walFsyncSeconds: prom.Histogram<string>;
  readonly activeLeases: prom.Gauge<'version'>;
  readonly storeFailures: prom.Counter<string>;
  readonly storeRecovered: prom.Counter<'reason'>;
  readonly storeReopened: prom.Counter<'reason'>;
  readonly applier: Labels<'result'>;
  readonly queueDepth: prom.Gauge<string>;
  readonly overloadDropped: Labels<'channel'>;
  /** The same drops by interface (label values bounded by the queue: monitor/queue.ts). */
  readonly overloadByInterface: Labels<'ifname'>;
  readonly spoolReplayed: Labels<'result'>;

  /** Label children cached by key: prom-client hashes label objects on every call otherwise. */
  private readonly children = new Map<string, prom.Counter.Internal>();

  constructor(registry: prom.Registry = new prom.Registry()) {
    this.registry = registry;
    const r = [registry];
    this.messages = new prom.Counter({ name: 'dhcpmgr_messages_total', help: 'Plugin messages handed to the engine, by channel (legacy, acked, spool) and DHCP version (4, 6, unknown when undecodable).', labelNames: ['channel', 'version'], registers: r });
    this.rejected = new prom.Counter({ name: 'dhcpmgr_rejected_total', help: 'Messages refused by validation (or by the daemon: OVERLOAD, BAD_ENVELOPE, BAD_HMAC, NO_HMAC), by reason and channel.', labelNames: ['reason', 'channel'], registers: r });
    this.results = new prom.Counter({ name: 'dhcpmgr_ingest_results_total', help: 'Outcome of each ingested message: applied, duplicate, stale, rejected, unavailable (store could not commit).', labelNames: ['status'], registers: r });
    this.events = new prom.Counter({ name: 'dhcpmgr_events_total', help: 'Lease events published, by MsgType name (LEASE_UPDATE, LEASE_RENEW, LEASE_DEL, ...) and DHCP version.', labelNames: ['type', 'version'], registers: r });
    this.truncated = new prom.Counter({ name: 'dhcpmgr_truncated_fields_total', help: 'Free-text fields that filled their C array with no terminator (accepted at full width), by field path.', labelNames: ['field'], registers: r });
    this.handlerSeconds = new prom.Histogram({ name: 'dhcpmgr_handler_seconds', help: 'Time to validate, route and stage one message in the model (store commit excluded), by DHCP version.', labelNames: ['version'], buckets: [1e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 5e-3], registers: r });
    this.batchSize = new prom.Histogram({ name: 'dhcpmgr_batch_size', help: 'Messages per ingest batch (one store transaction per batch).', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024], registers: r });
    this.commitSeconds = new prom.Histogram({ name: 'dhcpmgr_commit_seconds', help: 'Duration of one store transaction (a batch or an expiry round), fsync included.', buckets: [1e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 0.1, 0.5], registers: r });
    this.walFsyncSeconds = new prom.Histogram({ name: 'dhcpmgr_wal_fsync_seconds', help: '--durability full: duration of one fsync of the store\'s WAL file, run off the event loop; acks wait for it (every commit made before it started shares it).', buckets: [1e-4, 2.5e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2.5e-2, 0.1, 0.5], registers: r });
    this.receiveToCommitSeconds = new prom.Histogram({ name: 'dhcpmgr_receive_to_commit_seconds', help: 'Per message: from its receive (handed to the queue) to the end of the store commit that made it durable (queue wait, group-commit wait, validation, handlers and, with --durability full, the WAL fsync included).', buckets: [1e-4, 2.5e-4, 5e-4, 1e-3, 1.5e-3, 2e-3, 3e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 1], registers: r });
    this.activeLeases = new prom.Gauge({ name: 'dhcpmgr_active_leases', help: 'Interfaces holding a lease: v4 with an address, v6 with an IA_NA address or an IA_PD prefix.', labelNames: ['version'], registers: r });
    this.storeFailures = new prom.Counter({ name: 'dhcpmgr_store_commit_failures_total', help: 'Store transactions that failed (disk full, read-only state dir, I/O error); their messages were answered unavailable.', registers: r });
    this.storeRecovered = new prom.Counter({ name: 'dhcpmgr_store_recovered_total', help: 'Store files found unusable at start (corrupt, newer-schema, foreign-wal), moved aside and replaced by an empty store.', labelNames: ['reason'], registers: r });
    this.storeReopened = new prom.Counter({ name: 'dhcpmgr_store_reopened_total', help: 'Store reopened while running because its state dir was gone, replaced, or writable again after a read-only start; the in-memory model was written into it.', labelNames: ['reason'], registers: r });
    this.applier = new prom.Counter({ name: 'dhcpmgr_applier_total', help: 'Applier runs (configuring the system from a lease change), by result (ok, failed).', labelNames: ['result'], registers: r });
    this.queueDepth = new prom.Gauge({ name: 'dhcpmgr_queue_depth', help: 'Messages received and waiting for the engine.', registers: r });
    this.overloadDropped = new prom.Counter({ name: 'dhcpmgr_overload_dropped_total', help: 'Messages dropped (legacy) or refused (acked) because the bounded queue was full, by channel.', labelNames: ['channel'], registers: r });
    this.overloadByInterface = new prom.Counter({ name: 'dhcpmgr_overload_dropped_by_interface_total', help: 'The messages of dhcpmgr_overload_dropped_total by interface: refused, or evicted to make room for a quieter interface or a lease end. The first --max-interfaces names get their own series, later ones count as ifname=":other"; unreadable names count as ":unparsed".', labelNames: ['ifname'], registers: r });
    this.spoolReplayed = new prom.Counter({ name: 'dhcpmgr_spool_replayed_total', help: 'Spool files replayed at start or on request, by result (applied, duplicate, stale, rejected, unavailable).', labelNames: ['result'], registers: r });
    this.activeLeases.set({ version: '4' }, 0);
    this.activeLeases.set({ version: '6' }, 0);
  }

  private child(counter: prom.Counter<string>, key: string, labels: Record<string, string>): prom.Counter.Internal {
    let c = this.children.get(key);
    if (!c) {
      c = counter.labels(labels);
      this.children.set(key, c);
    }
    return c;
  }

  message(channel: Channel, version: 4 | 6 | 'unknown'): void {
    this.child(this.messages, `m\0${channel}\0${version}`, { channel, version: String(version) }).inc();
  }

  reject(reason: RejectReason, channel: Channel): void {
    this.child(this.rejected, `r\0${reason}\0${channel}`, { reason, channel }).inc();
  }

  result(status: 'applied' | 'duplicate' | 'stale' | 'rejected' | 'unavailable', n = 1): void {
    if (n > 0) this.child(this.results, `s\0${status}`, { status }).inc(n);
  }

  event(type: string, version: 4 | 6): void {
    this.child(this.events, `e\0${type}\0${version}`, { type, version: String(version) }).inc();
  }

  truncatedField(field: string): void {
    this.child(this.truncated, `t\0${field}`, { field }).inc();
  }

  /** For the daemon: one applier run finished. */
  applierRun(ok: boolean): void {
    this.child(this.applier, `a\0${ok}`, { result: ok ? 'ok' : 'failed' }).inc();
  }

  /** For the daemon: a message dropped, refused or evicted because its queue was full. */
  overload(channel: Channel, ifname: string): void {
    this.child(this.overloadDropped, `o\0${channel}`, { channel }).inc();
    this.child(this.overloadByInterface, `oi\0${ifname}`, { ifname }).inc();
  }

  /** For the daemon: one spool file replayed, with the engine's answer for it. */
  spoolFile(result: 'applied' | 'duplicate' | 'stale' | 'rejected' | 'unavailable'): void {
    this.child(this.spoolReplayed, `p\0${result}`, { result }).inc();
  }

  /** Current value of a counter/gauge with these labels (tests, status output). */
  async value(name: string, labels: Record<string, string> = {}): Promise<number> {
    const metric = this.registry.getSingleMetric(name);
    if (!metric) throw new Error(`no metric named ${name}`);
    const got = await metric.get();
    let sum = 0;
    for (const v of got.values) {
      const l = v.labels as Record<string, string | number>;
      if (Object.entries(labels).every(([k, want]) => String(l[k]) === want)) sum += v.value;
    }
    return sum;
  }
}
