/**
 * Every Prometheus metric of the manager, engine and daemon alike, in one registry so that
 * `GET /metrics` is one `registry.metrics()` call. The engine updates the message, reject,
 * event, handler, batch, store and lease metrics itself; the daemon updates the applier, queue,
 * overload and spool metrics through the methods below (or the metric objects).
 *
 * The counters below are counted in plain numbers and added to prom-client's counters when the
 * registry is read (their `collect`), and the histograms are FastHistogram: prom-client hashes a
 * label object on every increment and observation, several times per message otherwise.
 */
import * as prom from 'prom-client';
import type { Channel, RejectReason } from './contract';
import { FastHistogram } from './metrics-histogram';

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
  readonly handlerSeconds: FastHistogram<'version'>;
  readonly batchSize: FastHistogram;
  readonly commitSeconds: FastHistogram;
  /** From the receive callback (queue offer) to the end of the item's commit: queue wait included. */
  readonly receiveToCommitSeconds: FastHistogram;
  readonly walFsyncSeconds: FastHistogram;
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

  /** Counter increments not yet added to prom-client, by label set (see the file comment). */
  private readonly pending = new Map<string, { counter: prom.Counter<string>; labels: Record<string, string>; n: number }>();
  /** The active-lease gauges' values, to set them only on a change. */
  private readonly lastActive = { v4: 0, v6: 0 };

  constructor(registry: prom.Registry = new prom.Registry()) {
    this.registry = registry;
    const r = [registry];
    const collect = (): void => this.flush();
    this.messages = new prom.Counter({ name: 'dhcpmgr_messages_total', help: 'Plugin messages handed to the engine, by channel (legacy, acked, spool) and DHCP version (4, 6, unknown when undecodable).', labelNames: ['channel', 'version'], registers: r, collect });
    this.rejected = new prom.Counter({ name: 'dhcpmgr_rejected_total', help: 'Messages refused by validation (or by the daemon: OVERLOAD, BAD_ENVELOPE, BAD_HMAC, NO_HMAC), by reason and channel.', labelNames: ['reason', 'channel'], registers: r, collect });
    this.results = new prom.Counter({ name: 'dhcpmgr_ingest_results_total', help: 'Outcome of each ingested message: applied, duplicate, stale, rejected, unavailable (store could not commit).', labelNames: ['status'], registers: r, collect });
    this.events = new prom.Counter({ name: 'dhcpmgr_events_total', help: 'Lease events published, by MsgType name (LEASE_UPDATE, LEASE_RENEW, LEASE_DEL, ...) and DHCP version.', labelNames: ['type', 'version'], registers: r, collect });
    this.truncated = new prom.Counter({ name: 'dhcpmgr_truncated_fields_total', help: 'Free-text fields that filled their C array with no terminator (accepted at full width), by field path.', labelNames: ['field'], registers: r, collect });
    this.handlerSeconds = new FastHistogram('dhcpmgr_handler_seconds', 'Time to validate, route and stage one message in the model (store commit excluded), by DHCP version.', [1e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 5e-3], ['version'], registry);
    this.batchSize = new FastHistogram('dhcpmgr_batch_size', 'Messages per ingest batch (one store transaction per batch).', [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024], [], registry);
    this.commitSeconds = new FastHistogram('dhcpmgr_commit_seconds', 'Duration of one store transaction (a batch or an expiry round), fsync included.', [1e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 0.1, 0.5], [], registry);
    this.walFsyncSeconds = new FastHistogram('dhcpmgr_wal_fsync_seconds', '--durability full: duration of one fsync of the store\'s WAL file, run off the event loop; acks wait for it (every commit made before it started shares it).', [1e-4, 2.5e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2.5e-2, 0.1, 0.5], [], registry);
    this.receiveToCommitSeconds = new FastHistogram('dhcpmgr_receive_to_commit_seconds', 'Per message: from its receive (handed to the queue) to the end of the store commit that made it durable (queue wait, group-commit wait, validation, handlers and, with --durability full, the WAL fsync included).', [1e-4, 2.5e-4, 5e-4, 1e-3, 1.5e-3, 2e-3, 3e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 1], [], registry);
    this.activeLeases = new prom.Gauge({ name: 'dhcpmgr_active_leases', help: 'Interfaces holding a lease: v4 with an address, v6 with an IA_NA address or an IA_PD prefix.', labelNames: ['version'], registers: r });
    this.storeFailures = new prom.Counter({ name: 'dhcpmgr_store_commit_failures_total', help: 'Store transactions that failed (disk full, read-only state dir, I/O error); their messages were answered unavailable.', registers: r });
    this.storeRecovered = new prom.Counter({ name: 'dhcpmgr_store_recovered_total', help: 'Store files found unusable at start (corrupt, newer-schema, foreign-wal), moved aside and replaced by an empty store.', labelNames: ['reason'], registers: r });
    this.storeReopened = new prom.Counter({ name: 'dhcpmgr_store_reopened_total', help: 'Store reopened while running because its state dir was gone, replaced, or writable again after a read-only start; the in-memory model was written into it.', labelNames: ['reason'], registers: r });
    this.applier = new prom.Counter({ name: 'dhcpmgr_applier_total', help: 'Applier runs (configuring the system from a lease change), by result (ok, failed).', labelNames: ['result'], registers: r, collect });
    this.queueDepth = new prom.Gauge({ name: 'dhcpmgr_queue_depth', help: 'Messages received and waiting for the engine.', registers: r });
    this.overloadDropped = new prom.Counter({ name: 'dhcpmgr_overload_dropped_total', help: 'Messages dropped (legacy) or refused (acked) because the bounded queue was full, by channel.', labelNames: ['channel'], registers: r, collect });
    this.overloadByInterface = new prom.Counter({ name: 'dhcpmgr_overload_dropped_by_interface_total', help: 'The messages of dhcpmgr_overload_dropped_total by interface: refused, or evicted to make room for a quieter interface or a lease end. The first --max-interfaces names get their own series, later ones count as ifname=":other"; unreadable names count as ":unparsed".', labelNames: ['ifname'], registers: r, collect });
    this.spoolReplayed = new prom.Counter({ name: 'dhcpmgr_spool_replayed_total', help: 'Spool files replayed at start or on request, by result (applied, duplicate, stale, rejected, unavailable).', labelNames: ['result'], registers: r, collect });
    this.activeLeases.set({ version: '4' }, 0);
    this.activeLeases.set({ version: '6' }, 0);
  }

  /** Add `n` to a label set already counted; false when `key` (counter and label values) is new. */
  private tally(key: string, n = 1): boolean {
    const p = this.pending.get(key);
    if (!p) return false;
    p.n += n;
    return true;
  }

  /** The first count of a label set: `n` for `counter` with `labels`, under `key`. */
  private first(key: string, counter: prom.Counter<string>, labels: Record<string, string>, n = 1): void {
    this.pending.set(key, { counter, labels, n });
  }

  /** Add the counted increments to prom-client (called when any counter is read). */
  private flush(): void {
    for (const p of this.pending.values()) {
      if (p.n === 0) continue;
      p.counter.inc(p.labels, p.n);
      p.n = 0;
    }
  }

  message(channel: Channel, version: 4 | 6 | 'unknown'): void {
    const key = `m\0${channel}\0${version}`;
    if (!this.tally(key)) this.first(key, this.messages, { channel, version: String(version) });
  }

  reject(reason: RejectReason, channel: Channel): void {
    const key = `r\0${reason}\0${channel}`;
    if (!this.tally(key)) this.first(key, this.rejected, { reason, channel });
  }

  result(status: 'applied' | 'duplicate' | 'stale' | 'rejected' | 'unavailable', n = 1): void {
    if (n <= 0) return;
    const key = `s\0${status}`;
    if (!this.tally(key, n)) this.first(key, this.results, { status }, n);
  }

  event(type: string, version: 4 | 6): void {
    const key = `e\0${type}\0${version}`;
    if (!this.tally(key)) this.first(key, this.events, { type, version: String(version) });
  }

  truncatedField(field: string): void {
    const key = `t\0${field}`;
    if (!this.tally(key)) this.first(key, this.truncated, { field });
  }

  /** For the daemon: one applier run finished. */
  applierRun(ok: boolean): void {
    const key = `a\0${ok}`;
    if (!this.tally(key)) this.first(key, this.applier, { result: ok ? 'ok' : 'failed' });
  }

  /** For the daemon: a message dropped, refused or evicted because its queue was full. */
  overload(channel: Channel, ifname: string): void {
    const key = `o\0${channel}`;
    if (!this.tally(key)) this.first(key, this.overloadDropped, { channel });
    const ikey = `oi\0${ifname}`;
    if (!this.tally(ikey)) this.first(ikey, this.overloadByInterface, { ifname });
  }

  /** For the daemon: one spool file replayed, with the engine's answer for it. */
  spoolFile(result: 'applied' | 'duplicate' | 'stale' | 'rejected' | 'unavailable'): void {
    const key = `p\0${result}`;
    if (!this.tally(key)) this.first(key, this.spoolReplayed, { result });
  }

  /** The active-lease gauges, set only when a count changed (after every commit). */
  setActiveLeases(v4: number, v6: number): void {
    if (v4 !== this.lastActive.v4) this.activeLeases.set({ version: '4' }, (this.lastActive.v4 = v4));
    if (v6 !== this.lastActive.v6) this.activeLeases.set({ version: '6' }, (this.lastActive.v6 = v6));
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
