/**
 * The transactional outbox of the MQTT exporter, in the store's own SQLite file.
 *
 * The engine calls `inTransaction` inside the transaction that commits a batch of leases (or an
 * expiry round), so an event is in the outbox if and only if its lease change was committed: a
 * crash (kill -9) before the COMMIT loses both, after it keeps both. The exporter (mqtt.ts) reads
 * rows in id order and deletes each one only after the broker's PUBACK.
 *
 * - `mqtt_outbox`: one row per event, `id` AUTOINCREMENT (never reused, so an id the exporter
 *   still holds in flight can never name a newer row). Id order is commit order, which is the
 *   engine's order per client.
 * - Bounded: when a commit takes the outbox above `limit` rows, the oldest rows are deleted in the
 *   same transaction and counted in `dropped`.
 * - `mqtt_state`: the latest state per client (retained message), kept apart from the events so
 *   that dropped events never leave a wrong retained state. `rev` rises on every change, `sent`
 *   is the rev the broker acknowledged; a cleared state ('' payload) is deleted once sent.
 * - `mqtt_outbox_meta`: depth and dropped, updated in the same transactions as the rows (a
 *   counter kept in memory would drift when a transaction rolls back).
 */
import Database = require('better-sqlite3');
import type { LeaseEvent } from '../contract';
import type { CommitHook } from '../engine';
import { eventJson, v4Payload, v6Payload } from '../events';
import { isActive, LeaseRecord } from '../model/types';
import type { Store } from '../store/store';

export interface OutboxRow { id: number; client: string; body: string }
export interface StateRow { client: string; payload: string; rev: number }

const SCHEMA = `
CREATE TABLE IF NOT EXISTS mqtt_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, client TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mqtt_state (client TEXT PRIMARY KEY, payload TEXT NOT NULL, rev INTEGER NOT NULL, sent INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS mqtt_outbox_meta (k INTEGER PRIMARY KEY CHECK (k = 0), depth INTEGER NOT NULL, dropped INTEGER NOT NULL);
INSERT OR IGNORE INTO mqtt_outbox_meta (k, depth, dropped) VALUES (0, 0, 0);
`;

/** `Device.DHCPv4.Client.1.Events` -> `Device.DHCPv4.Client.1`: the client's TR-181 path. */
export function clientPath(event: LeaseEvent): string {
  return event.tr181Event.endsWith('.Events') ? event.tr181Event.slice(0, -'.Events'.length) : event.tr181Event;
}

/** The retained state of a client: its current lease, or '' (clear the retained message) when it holds none. */
export function statePayload(client: string, ifname: string, record: LeaseRecord): string {
  if (!isActive(record)) return '';
  const lease = record.version === 4 ? v4Payload(record.lease!) : v6Payload(record);
  return JSON.stringify({ client, ifname, version: record.version, state: record.state, updatedAt: record.updatedAt, lease });
}

export class Outbox implements CommitHook {
  private db: Database.Database | undefined;
  private st: Record<'insert' | 'bump' | 'trim' | 'dropped' | 'state' | 'take' | 'del' | 'settle' | 'sent' | 'forget' | 'meta' | 'states' | 'unsent', Database.Statement> | undefined;
  private ackTxn: ((ids: number[]) => number) | undefined;

  /** `onEnqueue` runs inside the transaction (it must only schedule work, never touch the store). */
  constructor(readonly limit: number, private readonly onEnqueue: () => void = () => undefined) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`outbox limit ${limit}: expected an integer >= 1`);
  }

  get opened(): boolean {
    return this.db !== undefined && this.db.open;
  }

  open(store: Store): void {
    this.attach(store.database);
  }

  /** Create the tables (if missing) on this connection and prepare the statements. */
  attach(db: Database.Database): void {
    db.exec(SCHEMA);
    this.db = db;
    this.st = {
      insert: db.prepare('INSERT INTO mqtt_outbox (client, body) VALUES (?, ?)'),
      bump: db.prepare('UPDATE mqtt_outbox_meta SET depth = depth + ? WHERE k = 0 RETURNING depth'),
      trim: db.prepare('DELETE FROM mqtt_outbox WHERE id IN (SELECT id FROM mqtt_outbox ORDER BY id LIMIT ?)'),
      dropped: db.prepare('UPDATE mqtt_outbox_meta SET depth = depth - ?, dropped = dropped + ? WHERE k = 0'),
      state: db.prepare(`INSERT INTO mqtt_state (client, payload, rev, sent) VALUES (?, ?, 1, 0)
        ON CONFLICT (client) DO UPDATE SET payload = excluded.payload, rev = rev + 1`),
      take: db.prepare('SELECT id, client, body FROM mqtt_outbox WHERE id > ? ORDER BY id LIMIT ?'),
      del: db.prepare('DELETE FROM mqtt_outbox WHERE id = ?'),
      settle: db.prepare('UPDATE mqtt_outbox_meta SET depth = depth - ? WHERE k = 0'),
      sent: db.prepare('UPDATE mqtt_state SET sent = ? WHERE client = ? AND sent < ?'),
      forget: db.prepare("DELETE FROM mqtt_state WHERE client = ? AND payload = '' AND rev = sent"),
      meta: db.prepare('SELECT depth, dropped FROM mqtt_outbox_meta WHERE k = 0'),
      states: db.prepare('SELECT client, payload, rev FROM mqtt_state ORDER BY client'),
      unsent: db.prepare('SELECT client, payload, rev FROM mqtt_state WHERE sent < rev ORDER BY client'),
    };
    this.ackTxn = db.transaction((ids: number[]) => {
      let removed = 0;
      for (const id of ids) removed += this.st!.del.run(id).changes;
      if (removed > 0) this.st!.settle.run(removed);
      return removed;
    });
  }

  /** Inside the caller's transaction: queue the events, update the states, trim to `limit`. */
  inTransaction(events: LeaseEvent[], records: Array<{ ifname: string; record: LeaseRecord }>): void {
    const st = this.st;
    if (!st || events.length === 0) return;
    const clients = new Map<string, string>();
    for (const e of events) {
      const client = clientPath(e);
      clients.set(`${e.version}\0${e.ifname}`, client);
      st.insert.run(client, eventJson(e));
    }
    for (const { ifname, record } of records) {
      const client = clients.get(`${record.version}\0${ifname}`);
      if (client !== undefined) st.state.run(client, statePayload(client, ifname, record));
    }
    const { depth } = st.bump.get(events.length) as { depth: number };
    if (depth > this.limit) {
      const removed = st.trim.run(depth - this.limit).changes;
      st.dropped.run(removed, removed);
    }
    this.onEnqueue();
  }

  /** Up to `max` events after id `after`, oldest first. */
  take(after: number, max: number): OutboxRow[] {
    return this.st!.take.all(after, max) as OutboxRow[];
  }

  /** Delete acknowledged events (ids a trim already removed are skipped); returns how many were removed. */
  ack(ids: number[]): number {
    if (ids.length === 0 || !this.opened) return 0;
    return this.ackTxn!(ids);
  }

  /** Every stored state, or only those changed since the broker last acknowledged them. */
  states(unsentOnly: boolean): StateRow[] {
    return (unsentOnly ? this.st!.unsent : this.st!.states).all() as StateRow[];
  }

  /** The broker acknowledged `rev` of this client's state. */
  stateSent(client: string, rev: number): void {
    if (!this.opened) return;
    this.st!.sent.run(rev, client, rev);
    this.st!.forget.run(client);
  }

  counts(): { depth: number; dropped: number } {
    if (!this.opened) return { depth: 0, dropped: 0 };
    return this.st!.meta.get() as { depth: number; dropped: number };
  }
}
