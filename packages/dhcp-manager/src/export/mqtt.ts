/**
 * MQTT exporter: publishes the outbox (outbox.ts) to a broker, asynchronously from the lease path.
 * The engine only ever writes rows in its own transaction; this side reads them in id order,
 * publishes at QoS 1 with a bounded window in flight, and deletes a row only after its PUBACK.
 *
 * Topics under the prefix:
 *   events/<client path>  every lease event, the same JSON as the PUB socket (not retained)
 *   state/<client path>   the client's current lease (retained; an empty retained message clears it)
 *   status                `online` (retained) after connecting; `offline` as the last will and on stop
 *
 * One mqtt.js client per connection attempt, with its own reconnect turned off: a lost connection
 * forgets whatever was in flight and the next connection starts again from the oldest row still
 * in the outbox, so nothing is skipped and the order per client stays the id order. A row the
 * broker had delivered but whose PUBACK was lost is published again (QoS 1 is at least once):
 * the MQTT 5 user property `seq` (the event's outbox number, never reused) lets a subscriber drop
 * such a repeat. The broker acknowledges in order; the outbox is told the highest number up to
 * which every event was acknowledged.
 * Back-off between attempts: 1 s doubling to 30 s, each wait drawn from 50-100 % of that (a fleet
 * that lost its central broker does not come back in step).
 * Loaded only with --mqtt-url (the daemon requires it lazily).
 */
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from '../metrics-registry';
import type { IClientOptions, MqttClient } from 'mqtt';
import { Outbox, OutboxEvent } from './outbox';
import type { MqttConfig } from './options';

const WINDOW = 128;
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30_000;
const STOP_WAIT_MS = 1000;
/** Changed states are published at most this often (the latest committed state each time). */
const STATE_INTERVAL_MS = 100;

export interface ExporterDeps {
  logger: Logger;
  registry: Registry;
  /** A connection error worth showing in the daemon's status (called when the message changes). */
  remember: (message: string) => void;
}

/** A broker's refusal or a socket error, said so that an operator knows what to fix. */
export function explain(err: Error & { code?: string | number }, url: string): string {
  const code = err.code;
  if (code === 134 || code === 4) return `broker refused the user name or password (${err.message}); check --mqtt-credentials-file`;
  // mosquitto answers a wrong password with this one too.
  if (code === 135 || code === 5) return `broker refused this client: not authorized (${err.message}); check the user name and password in --mqtt-credentials-file and the broker's ACL`;
  if (code === 'ECONNREFUSED') return `no broker listening at ${url} (${err.message})`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve the broker's host in ${url} (${err.message})`;
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `broker at ${url} unreachable (${err.message})`;
  if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code)) {
    return `broker's TLS certificate not accepted (${err.message}, ${code}); check --mqtt-ca and the host name in --mqtt-url`;
  }
  return `${err.message}${code !== undefined ? ` (${code})` : ''}`;
}

export class MqttExporter {
  readonly outbox: Outbox;
  private readonly log: Logger;
  private client: MqttClient | undefined;
  /** Connection number: callbacks of an older connection are ignored. */
  private gen = 0;
  private connected = false;
  private started = false;
  private stopped = false;
  /** Highest event seq handed to the current connection, and events read but not yet published. */
  private cursor = 0;
  private buffer: OutboxEvent[] = [];
  private bufferAt = 0;
  /** Published, in seq order: true once acknowledged. The leading acknowledged ones move `ackFloor`. */
  private readonly unacked = new Map<number, boolean>();
  /** Events without a text (outbox.ts), passed over as if acknowledged; counted as dropped when their removal is flushed. */
  private readonly lost = new Set<number>();
  private ackFloor = 0;
  private flushedFloor = 0;
  private lastStatesAt = 0;
  private stateTimer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private retry: NodeJS.Timeout | undefined;
  private backoffMs = BACKOFF_MIN_MS;
  private lastMessage = '';
  private readonly counts = { published: 0, statesPublished: 0, connects: 0, failures: 0 };
  private lastError: { time: number; message: string } | undefined;
  private connectedSince: number | undefined;
  /** The outbox's persistent dropped count as last exported: the metric counts drops of this process. */
  private droppedSeen = 0;
  private readonly metrics: { connected: Gauge; published: Counter };

  constructor(private readonly cfg: MqttConfig, private readonly deps: ExporterDeps) {
    this.log = deps.logger.child({ component: 'mqtt' });
    this.outbox = new Outbox(cfg.outboxLimit, () => this.kick());
    const r = deps.registry;
    const outbox = this.outbox;
    this.metrics = {
      connected: new Gauge({ name: 'dhcpmgr_mqtt_connected', help: 'MQTT exporter: 1 while connected to the broker, else 0.', registry: r }),
      published: new Counter({ name: 'dhcpmgr_mqtt_published_total', help: 'MQTT exporter: lease events the broker acknowledged (PUBACK) and that left the outbox.', registry: r }),
    };
    new Gauge({
      name: 'dhcpmgr_mqtt_outbox_depth', help: 'MQTT exporter: events committed and waiting in the outbox for the broker.', registry: r,
      collect: (g) => g.set(outbox.counts().depth),
    });
    new Counter({
      name: 'dhcpmgr_mqtt_dropped_total', help: 'MQTT exporter: oldest events dropped because the outbox was full (--mqtt-outbox-limit); the retained state is not affected.', registry: r,
      collect: (c) => {
        const d = outbox.counts().dropped;
        if (d > this.droppedSeen) c.inc(d - this.droppedSeen);
        this.droppedSeen = d;
      },
    });
    this.metrics.connected.set(0);
  }

  /** Start connecting (after the engine opened the store, which opens the outbox). */
  start(): void {
    if (this.started) return;
    this.started = true;
    if (!this.outbox.opened) {
      this.fail('outbox unavailable (the store is read-only): nothing is exported');
      return;
    }
    this.droppedSeen = this.outbox.counts().dropped;
    this.connect();
  }

  private connect(): void {
    this.retry = undefined;
    if (this.stopped) return;
    const gen = ++this.gen;
    const { connect } = require('mqtt') as typeof import('mqtt');
    const c = this.cfg;
    const opts: IClientOptions = {
      clientId: c.clientId, protocolVersion: 5, clean: true, reconnectPeriod: 0, connectTimeout: 10_000, keepalive: 30,
      will: { topic: `${c.topicPrefix}/status`, payload: Buffer.from('offline'), qos: 1, retain: true },
      ...(c.username !== undefined ? { username: c.username } : {}),
      ...(c.password !== undefined ? { password: c.password } : {}),
      ...(c.ca ? { ca: c.ca } : {}), ...(c.cert ? { cert: c.cert } : {}), ...(c.key ? { key: c.key } : {}),
    };
    const client = connect(c.url, opts);
    this.client = client;
    client.on('connect', () => { if (gen === this.gen) this.onConnect(); });
    client.on('error', (err) => { if (gen === this.gen) this.fail(explain(err as Error & { code?: string | number }, c.url)); });
    client.on('close', () => { if (gen === this.gen) this.onClose(); });
  }

  private onConnect(): void {
    this.connected = true;
    this.connectedSince = Date.now();
    this.counts.connects++;
    this.backoffMs = BACKOFF_MIN_MS;
    this.resetConnectionState();
    this.metrics.connected.set(1);
    this.lastMessage = '';
    const { depth } = this.outbox.counts();
    this.log.info({ url: this.cfg.url, clientId: this.cfg.clientId, outboxDepth: depth }, 'mqtt connected');
    this.client!.publish(`${this.cfg.topicPrefix}/status`, 'online', { qos: 1, retain: true });
    // Every state again, not only the unsent ones: the broker may have lost its retained messages.
    this.publishStates(this.outbox.states(true));
    this.pump();
  }

  private onClose(): void {
    const was = this.connected;
    this.connected = false;
    this.connectedSince = undefined;
    this.metrics.connected.set(0);
    this.flushAcks();
    this.resetConnectionState();
    this.client?.end(true);
    this.client = undefined;
    if (this.stopped) return;
    if (was) this.fail(`connection to the broker at ${this.cfg.url} lost`);
    const wait = Math.round(this.backoffMs * (0.5 + Math.random() / 2));
    this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
    this.retry = setTimeout(() => this.connect(), wait);
    this.retry.unref();
  }

  private fail(message: string): void {
    this.counts.failures++;
    this.lastError = { time: Date.now(), message };
    // Every failure is counted; the log and the daemon's error list get a line when the reason changes.
    if (message !== this.lastMessage) {
      this.lastMessage = message;
      this.log.error({ url: this.cfg.url, reason: message }, 'mqtt connection failed; retrying with back-off, events stay in the outbox');
      this.deps.remember(message);
    }
  }

  /** New rows committed (called inside the engine's transaction: only schedules). Not connected: nothing to do, the next connection reads them. */
  kick(): void {
    if (this.scheduled || !this.started || this.stopped || !this.connected) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flushAcks();
      this.pump();
    });
  }

  /** A new connection starts again from the oldest event still in the outbox. */
  private resetConnectionState(): void {
    this.cursor = 0;
    this.buffer = [];
    this.bufferAt = 0;
    this.unacked.clear();
    this.lost.clear();
  }

  private get inflight(): number {
    return this.unacked.size;
  }

  private acknowledged(seq: number): void {
    if (!this.unacked.has(seq)) return;
    this.unacked.set(seq, true);
    for (const [s, done] of this.unacked) {
      if (!done) break;
      this.ackFloor = s;
      this.unacked.delete(s);
    }
  }

  private flushAcks(): void {
    if (this.ackFloor <= this.flushedFloor) return;
    this.flushedFloor = this.ackFloor;
    let lost = 0;
    for (const seq of this.lost) {
      if (seq > this.ackFloor) continue;
      lost++;
      this.lost.delete(seq);
    }
    try {
      this.outbox.ackThrough(this.ackFloor, lost);
    } catch (err) {
      this.log.error({ err }, 'mqtt outbox: deleting acknowledged events failed (they will be published again)');
    }
  }

  private pump(): void {
    if (!this.connected || !this.client || !this.outbox.opened) return;
    const client = this.client;
    const gen = this.gen;
    this.maybePublishStates();
    while (this.unacked.size < WINDOW) {
      if (this.bufferAt >= this.buffer.length) {
        this.buffer = this.outbox.take(this.cursor, WINDOW);
        this.bufferAt = 0;
        if (this.buffer.length === 0) break;
      }
      const ev = this.buffer[this.bufferAt++]!;
      this.cursor = ev.seq;
      this.unacked.set(ev.seq, false);
      if (ev.body === undefined) {
        this.log.error({ seq: ev.seq, client: ev.client }, 'mqtt outbox: event text missing; skipped and counted as dropped');
        this.lost.add(ev.seq);
        this.acknowledged(ev.seq);
        this.kick();
        continue;
      }
      client.publish(`${this.cfg.topicPrefix}/events/${ev.client}`, ev.body,
        { qos: 1, properties: { userProperties: { seq: String(ev.seq) } } },
        (err) => {
          if (gen !== this.gen || err) return;
          this.acknowledged(ev.seq);
          this.counts.published++;
          this.metrics.published.inc();
          this.kick();
        });
    }
  }

  /** Changed states, at most every STATE_INTERVAL_MS (a burst of commits costs one read of the leases). */
  private maybePublishStates(): void {
    if (!this.outbox.statesChanged || this.stateTimer) return;
    const wait = this.lastStatesAt + STATE_INTERVAL_MS - Date.now();
    if (wait > 0) {
      this.stateTimer = setTimeout(() => {
        this.stateTimer = undefined;
        if (this.connected) this.maybePublishStates();
      }, wait);
      return;
    }
    try {
      this.publishStates(this.outbox.states(false));
    } catch (err) {
      this.log.error({ err }, 'mqtt: reading the lease states failed');
    }
  }

  private publishStates(states: Array<{ client: string; payload: string }>): void {
    const client = this.client!;
    const gen = this.gen;
    this.lastStatesAt = Date.now();
    for (const s of states) {
      client.publish(`${this.cfg.topicPrefix}/state/${s.client}`, s.payload, { qos: 1, retain: true }, (err) => {
        if (gen === this.gen && !err) this.counts.statesPublished++;
      });
    }
  }

  status(): Record<string, unknown> {
    const { depth, dropped } = this.outbox.counts();
    return {
      url: this.cfg.url, clientId: this.cfg.clientId, topicPrefix: this.cfg.topicPrefix,
      connected: this.connected,
      ...(this.connectedSince ? { connectedSince: new Date(this.connectedSince).toISOString() } : {}),
      outboxDepth: depth, outboxLimit: this.cfg.outboxLimit, dropped, inflight: this.inflight,
      ...this.counts,
      ...(this.lastError ? { lastError: { ...this.lastError } } : {}),
    };
  }

  /** Publish `offline` (retained) if connected, wait briefly for its PUBACK, settle acks, close. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.stateTimer) clearTimeout(this.stateTimer);
    const client = this.client;
    if (client && this.connected) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, STOP_WAIT_MS);
        client.publish(`${this.cfg.topicPrefix}/status`, 'offline', { qos: 1, retain: true }, () => { clearTimeout(t); resolve(); });
      });
    }
    this.flushAcks();
    this.gen++;
    this.connected = false;
    this.metrics.connected.set(0);
    if (client) await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
    this.client = undefined;
  }
}
