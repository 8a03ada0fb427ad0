/**
 * Every Prometheus metric of the manager, engine and daemon alike, in one registry so that
 * `GET /metrics` is one `registry.metrics()` call. The engine updates the message, reject,
 * event, handler, batch, store and lease metrics itself; the daemon updates the applier, queue,
 * overload and spool metrics through the methods below (or the metric objects).
 *
 * The counters counted per message are found by one string key per update (`tally`), which
 * leads straight to the label set's series: no label object is built per message.
 */
import type { Channel, RejectReason } from './contract';
import { FastHistogram } from './metrics-histogram';
import { Counter, type CounterSeries, Gauge, Registry } from './metrics-registry';

type Labels<T extends string> = Counter<T>;

export class ManagerMetrics {
  readonly registry: Registry;
  /** Every frame handed to the engine, by channel and decoded version ('unknown' when undecodable). */
  readonly messages: Labels<'channel' | 'version'>;
  readonly rejected: Labels<'reason' | 'channel'>;
  /** Outcome of each ingested item: applied, duplicate, stale, rejected, unavailable. */
  readonly results: Labels<'status'>;
  readonly events: Labels<'type' | 'version'>;
  readonly truncated: Labels<'field'>;
  readonly handlerSeconds: FastHistogram<'version'>;
  readonly batchSize: FastHistogram;
  readonly commitSeconds: FastHistogram;
  /** From the receive callback (queue offer) to the end of the item's commit: queue wait included. */
  readonly receiveToCommitSeconds: FastHistogram;
  readonly walFsyncSeconds: FastHistogram;
  readonly activeLeases: Gauge<'version'>;
  readonly storeFailures: Counter;
  readonly storeRecovered: Counter<'reason'>;
  readonly storeReopened: Counter<'reason'>;
  readonly applier: Labels<'result'>;
  readonly queueDepth: Gauge;
  readonly overloadDropped: Labels<'channel'>;
  /** The same drops by interface (label values bounded by the queue: monitor/queue.ts). */
  readonly overloadByInterface: Labels<'ifname'>;
  readonly spoolReplayed: Labels<'result'>;

  /** The series of each counted label set, by its key (see the file comment). */
  private readonly tallies = new Map<string, CounterSeries>();
  /** The active-lease gauges' values, to set them only on a change. */
  private readonly lastActive = { v4: 0, v6: 0 };

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const r = registry;
    this.messages = new Counter({ name: 'dhcpmgr_messages_total', help: 'Plugin messages handed to the engine, by channel (legacy, acked, spool) and DHCP version (4, 6, unknown when undecodable).', labelNames: ['channel', 'version'], registry: r });
    this.rejected = new Counter({ name: 'dhcpmgr_rejected_total', help: 'Messages refused by validation (or by the daemon: OVERLOAD, BAD_ENVELOPE, BAD_HMAC, NO_HMAC), by reason and channel.', labelNames: ['reason', 'channel'], registry: r });
    this.results = new Counter({ name: 'dhcpmgr_ingest_results_total', help: 'Outcome of each ingested message: applied, duplicate, stale, rejected, unavailable (store could not commit).', labelNames: ['status'], registry: r });
    this.events = new Counter({ name: 'dhcpmgr_events_total', help: 'Lease events published, by MsgType name (LEASE_UPDATE, LEASE_RENEW, LEASE_DEL, ...) and DHCP version.', labelNames: ['type', 'version'], registry: r });
    this.truncated = new Counter({ name: 'dhcpmgr_truncated_fields_total', help: 'Free-text fields that filled their C array with no terminator (accepted at full width), by field path.', labelNames: ['field'], registry: r });
    this.handlerSeconds = new FastHistogram('dhcpmgr_handler_seconds', 'Time to validate, route and stage one message in the model (store commit excluded), by DHCP version.', [1e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 5e-3], ['version'], registry);
    this.batchSize = new FastHistogram('dhcpmgr_batch_size', 'Messages per ingest batch (one store transaction per batch).', [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024], [], registry);
    this.commitSeconds = new FastHistogram('dhcpmgr_commit_seconds', 'Duration of one store transaction (a batch or an expiry round), fsync included.', [1e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 0.1, 0.5], [], registry);
    this.walFsyncSeconds = new FastHistogram('dhcpmgr_wal_fsync_seconds', '--durability full: duration of one fsync of the store\'s WAL file, run off the event loop; acks wait for it (every commit made before it started shares it).', [1e-4, 2.5e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2.5e-2, 0.1, 0.5], [], registry);
    this.receiveToCommitSeconds = new FastHistogram('dhcpmgr_receive_to_commit_seconds', 'Per message: from its receive (handed to the queue) to the end of the store commit that made it durable (queue wait, group-commit wait, validation, handlers and, with --durability full, the WAL fsync included).', [1e-4, 2.5e-4, 5e-4, 1e-3, 1.5e-3, 2e-3, 3e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 1], [], registry);
    this.activeLeases = new Gauge({ name: 'dhcpmgr_active_leases', help: 'Interfaces holding a lease: v4 with an address, v6 with an IA_NA address or an IA_PD prefix.', labelNames: ['version'], registry: r });
    this.storeFailures = new Counter({ name: 'dhcpmgr_store_commit_failures_total', help: 'Store transactions that failed (disk full, read-only state dir, I/O error); their messages were answered unavailable.', registry: r });
    this.storeRecovered = new Counter({ name: 'dhcpmgr_store_recovered_total', help: 'Store files found unusable at start (corrupt, newer-schema, foreign-wal), moved aside and replaced by an empty store.', labelNames: ['reason'], registry: r });
    this.storeReopened = new Counter({ name: 'dhcpmgr_store_reopened_total', help: 'Store reopened while running because its state dir was gone, replaced, or writable again after a read-only start; the in-memory model was written into it.', labelNames: ['reason'], registry: r });
    this.applier = new Counter({ name: 'dhcpmgr_applier_total', help: 'Applier runs (configuring the system from a lease change), by result (ok, failed).', labelNames: ['result'], registry: r });
    this.queueDepth = new Gauge({ name: 'dhcpmgr_queue_depth', help: 'Messages received and waiting for the engine.', registry: r });
    this.overloadDropped = new Counter({ name: 'dhcpmgr_overload_dropped_total', help: 'Messages dropped (legacy) or refused (acked) because the bounded queue was full, by channel.', labelNames: ['channel'], registry: r });
    this.overloadByInterface = new Counter({ name: 'dhcpmgr_overload_dropped_by_interface_total', help: 'The messages of dhcpmgr_overload_dropped_total by interface: refused, or evicted to make room for a quieter interface or a lease end. The first --max-interfaces names get their own series, later ones count as ifname=":other"; unreadable names count as ":unparsed".', labelNames: ['ifname'], registry: r });
    this.spoolReplayed = new Counter({ name: 'dhcpmgr_spool_replayed_total', help: 'Spool files replayed at start or on request, by result (applied, duplicate, stale, rejected, unavailable).', labelNames: ['result'], registry: r });
    this.activeLeases.set({ version: '4' }, 0);
    this.activeLeases.set({ version: '6' }, 0);
  }

  /** Add `n` to a label set already counted; false when `key` (counter and label values) is new. */
  private tally(key: string, n = 1): boolean {
    const s = this.tallies.get(key);
    if (!s) return false;
    s.inc(n);
    return true;
  }

  /** The first count of a label set: `n` for `counter` with these label values, under `key`. */
  private first(key: string, counter: Counter<string>, values: string[], n = 1): void {
    const s = counter.labels(...values);
    this.tallies.set(key, s);
    s.inc(n);
  }

  message(channel: Channel, version: 4 | 6 | 'unknown'): void {
    const key = `m\0${channel}\0${version}`;
    if (!this.tally(key)) this.first(key, this.messages, [channel, String(version)]);
  }

  reject(reason: RejectReason, channel: Channel): void {
    const key = `r\0${reason}\0${channel}`;
    if (!this.tally(key)) this.first(key, this.rejected, [reason, channel]);
  }

  result(status: 'applied' | 'duplicate' | 'stale' | 'rejected' | 'unavailable', n = 1): void {
    if (n <= 0) return;
    const key = `s\0${status}`;
    if (!this.tally(key, n)) this.first(key, this.results, [status], n);
  }

  event(type: string, version: 4 | 6): void {
    const key = `e\0${type}\0${version}`;
    if (!this.tally(key)) this.first(key, this.events, [type, String(version)]);
  }

  truncatedField(field: string): void {
    const key = `t\0${field}`;
    if (!this.tally(key)) this.first(key, this.truncated, [field]);
  }

  /** For the daemon: one applier run finished. */
  applierRun(ok: boolean): void {
    const key = `a\0${ok}`;
    if (!this.tally(key)) this.first(key, this.applier, [ok ? 'ok' : 'failed']);
  }

  /** For the daemon: a message dropped, refused or evicted because its queue was full. */
  overload(channel: Channel, ifname: string): void {
    const key = `o\0${channel}`;
    if (!this.tally(key)) this.first(key, this.overloadDropped, [channel]);
    const ikey = `oi\0${ifname}`;
    if (!this.tally(ikey)) this.first(ikey, this.overloadByInterface, [ifname]);
  }

  /** For the daemon: one spool file replayed, with the engine's answer for it. */
  spoolFile(result: 'applied' | 'duplicate' | 'stale' | 'rejected' | 'unavailable'): void {
    const key = `p\0${result}`;
    if (!this.tally(key)) this.first(key, this.spoolReplayed, [result]);
  }

  /** The active-lease gauges, set only when a count changed (after every commit). */
  setActiveLeases(v4: number, v6: number): void {
    if (v4 !== this.lastActive.v4) this.activeLeases.set({ version: '4' }, (this.lastActive.v4 = v4));
    if (v6 !== this.lastActive.v6) this.activeLeases.set({ version: '6' }, (this.lastActive.v6 = v6));
  }

  /** The sum of a counter's or gauge's label sets that have these labels (tests, status output). */
  value(name: string, labels: Record<string, string> = {}): number {
    const metric = this.registry.get(name);
    if (!(metric instanceof Counter || metric instanceof Gauge)) throw new Error(`no counter or gauge named ${name}`);
    let sum = 0;
    for (const v of metric.values()) {
      if (Object.entries(labels).every(([k, want]) => v.labels[k] === want)) sum += v.value;
    }
    return sum;
  }
}
