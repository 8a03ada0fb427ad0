/**
 * The transactional outbox of the MQTT exporter, in the store's own SQLite file.
 *
 * The engine calls `inTransaction` inside the transaction that commits a batch of leases (or an
 * expiry round), so an event is in the outbox if and only if its lease change was committed: a
 * crash (kill -9) before the COMMIT loses both, after it keeps both. The exporter (mqtt.ts) reads
 * events in order and removes them only after the broker's PUBACK.
 *
 * - `mqtt_outbox`: ONE row per commit holding all its events: the client paths, newline-joined,
 *   a NUL, then the JSON texts, newline-joined (JSON.stringify never emits a raw newline or NUL).
 *   A commit of COMPRESS_FROM events or more is stored brotli-compressed (quality 1): while the
 *   broker is away the outbox otherwise doubles the bytes every commit writes (the history ring
 *   holds the same JSON) and, unlike the ring, never rewrites the same pages, so every byte is
 *   checkpointed into the file. A smaller commit is stored as text: brotli's fixed cost per call
 *   (25-45 us) is more than a small commit saves. A row per event cost about as much again as the
 *   rest of the commit (all measured in-process, bench/micro/engine.js --outbox). Every event has a
 *   number `seq` (the row's `seq` + its index), from a counter in `mqtt_outbox_meta`: never reused,
 *   so it orders events (commit order, which is the engine's order per client) and a subscriber
 *   can recognise a repeat by it. `skip` counts the row's leading events already gone (acknowledged
 *   or dropped); a row is deleted when none is left.
 * - Bounded: when a commit takes the outbox above `limit` events, the oldest events are dropped
 *   in the same transaction and counted in `dropped`.
 * - `mqtt_outbox_meta`: next seq, depth and dropped, updated in the same transactions as the rows
 *   (counters kept in memory would drift when a transaction rolls back).
 * - The retained state per client is not copied here: it is rendered when published from the lease
 *   records the store committed (Store.leases()), so it is always the committed truth and dropped
 *   events never leave it wrong. A commit only marks its clients dirty in memory (a rolled-back
 *   one costs a needless republish at worst); every (re)connection publishes every state, which
 *   covers what a crash forgot. Writing a state row per client per commit cost about a tenth of
 *   the lease path (bench/micro/engine.js --outbox).
 */
import Database = require('better-sqlite3');
import { brotliCompressSync, brotliDecompressSync, constants as zconst } from 'zlib';
import type { LeaseEvent } from '../contract';
import type { CommitHook } from '../engine';
import { eventJson, tr181EventName, v4Payload, v6Payload } from '../events';
import { isActive, LeaseRecord, recordKey } from '../model/types';
import type { Store } from '../store/store';

export interface OutboxEvent { seq: number; client: string; body: string }
export interface StateRow { client: string; payload: string }

interface Row { seq: number; n: number; skip: number; data: string | Buffer }

const SCHEMA = `
CREATE TABLE IF NOT EXISTS mqtt_outbox (seq INTEGER PRIMARY KEY, n INTEGER NOT NULL, skip INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS mqtt_outbox_meta (k INTEGER PRIMARY KEY CHECK (k = 0), next_seq INTEGER NOT NULL, depth INTEGER NOT NULL, dropped INTEGER NOT NULL);
INSERT OR IGNORE INTO mqtt_outbox_meta (k, next_seq, depth, dropped) VALUES (0, 1, 0, 0);
`;

/** Rows read per take(); each holds one commit's events. */
const TAKE_ROWS = 16;
/** Commits of at least this many events are stored compressed (see the file comment). */
export const COMPRESS_FROM = 32;
const BROTLI = { params: { [zconst.BROTLI_PARAM_QUALITY]: 1 } };

/** A row's data: text, or (a BLOB) the brotli-compressed text. */
function encodeRow(paths: string[], bodies: string[]): string | Buffer {
  const text = `${paths.join('\n')}\0${bodies.join('\n')}`;
  return paths.length >= COMPRESS_FROM ? brotliCompressSync(text, BROTLI) : text;
}

function decodeRow(data: string | Buffer): { paths: string[]; bodies: string[] } {
  const text = typeof data === 'string' ? data : brotliDecompressSync(data).toString('utf8');
  const nul = text.indexOf('\0');
  return { paths: text.slice(0, nul).split('\n'), bodies: text.slice(nul + 1).split('\n') };
}

/** `Device.DHCPv4.Client.1.Events` -> `Device.DHCPv4.Client.1`: the client's TR-181 path. */
export function clientPath(event: { tr181Event: string }): string {
  return event.tr181Event.endsWith('.Events') ? event.tr181Event.slice(0, -'.Events'.length) : event.tr181Event;
}

/** The retained state of a client: its current lease, or '' (clear the retained message) when it holds none. */
export function statePayload(client: string, ifname: string, record: LeaseRecord): string {
  if (!isActive(record)) return '';
  const lease = record.version === 4 ? v4Payload(record.lease!) : v6Payload(record);
  return JSON.stringify({ client, ifname, version: record.version, state: record.state, updatedAt: record.updatedAt, lease });
}

type Statements = Record<'insert' | 'bump' | 'oldest' | 'del' | 'skip' | 'gone' | 'after' | 'containing' | 'through' | 'meta', Database.Statement>;

export class Outbox implements CommitHook {
  private db: Database.Database | undefined;
  private store: Store | undefined;
  private st: Statements | undefined;
  /** recordKey()s of the clients whose state changed since it was last read (statesChanged). */
  private readonly dirty = new Set<string>();
  private ackTxn: ((seq: number) => number) | undefined;
  /** The last row take() decoded: the exporter reads a big row in several window-sized parts. */
  private decoded: { seq: number; paths: string[]; bodies: string[] } | undefined;
  /** The next event number handed out so far: a store reopened empty at its path (store/guard.ts) numbers on from it. */
  private seqFloor = 1;

  /** `onEnqueue` runs inside the transaction (it must only schedule work, never touch the store). */
  constructor(readonly limit: number, private readonly onEnqueue: () => void = () => undefined) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`outbox limit ${limit}: expected an integer >= 1`);
  }

  get opened(): boolean {
    return this.db !== undefined && this.db.open;
  }

  /** Create the tables (if missing) on the store's connection and prepare the statements. */
  open(store: Store): void {
    const db = store.database;
    this.store = store;
    db.exec(SCHEMA);
    db.prepare('UPDATE mqtt_outbox_meta SET next_seq = MAX(next_seq, ?) WHERE k = 0').run(this.seqFloor);
    this.db = db;
    this.decoded = undefined;
    const st: Statements = {
      insert: db.prepare('INSERT INTO mqtt_outbox (seq, n, skip, data) VALUES (?, ?, 0, ?)'),
      bump: db.prepare('UPDATE mqtt_outbox_meta SET next_seq = next_seq + @n, depth = depth + @n WHERE k = 0 RETURNING next_seq - @n AS first, depth'),
      oldest: db.prepare('SELECT seq, n, skip FROM mqtt_outbox ORDER BY seq LIMIT 1'),
      del: db.prepare('DELETE FROM mqtt_outbox WHERE seq = ?'),
      skip: db.prepare('UPDATE mqtt_outbox SET skip = ? WHERE seq = ?'),
      gone: db.prepare('UPDATE mqtt_outbox_meta SET depth = depth - ?, dropped = dropped + ? WHERE k = 0'),
      after: db.prepare('SELECT seq, n, skip, data FROM mqtt_outbox WHERE seq > ? ORDER BY seq LIMIT ?'),
      containing: db.prepare('SELECT seq, n, skip, data FROM mqtt_outbox WHERE seq <= ? ORDER BY seq DESC LIMIT 1'),
      through: db.prepare('SELECT seq, n, skip FROM mqtt_outbox WHERE seq <= ? ORDER BY seq'),
      meta: db.prepare('SELECT depth, dropped, next_seq AS nextSeq FROM mqtt_outbox_meta WHERE k = 0'),
    };
    this.st = st;
    this.ackTxn = db.transaction((through: number) => {
      let removed = 0;
      for (const r of st.through.all(through) as Array<{ seq: number; n: number; skip: number }>) {
        const upto = Math.min(r.n, through - r.seq + 1);
        if (upto <= r.skip) continue;
        removed += upto - r.skip;
        if (upto === r.n) st.del.run(r.seq); else st.skip.run(upto, r.seq);
      }
      if (removed > 0) st.gone.run(removed, 0);
      return removed;
    });
  }

  /** Inside the caller's transaction: queue the events, mark their clients' states changed, trim to `limit`. */
  inTransaction(events: LeaseEvent[], records: Array<{ ifname: string; record: LeaseRecord }>): void {
    const st = this.st;
    if (!st || events.length === 0) return;
    const paths: string[] = new Array(events.length);
    const bodies: string[] = new Array(events.length);
    for (let i = 0; i < events.length; i++) {
      paths[i] = clientPath(events[i]!);
      bodies[i] = eventJson(events[i]!);
    }
    const { first, depth } = st.bump.get({ n: events.length }) as { first: number; depth: number };
    st.insert.run(first, events.length, encodeRow(paths, bodies));
    this.seqFloor = first + events.length;
    for (const { ifname, record } of records) this.dirty.add(recordKey(ifname, record.version));
    if (depth > this.limit) this.drop(depth - this.limit);
    this.onEnqueue();
  }

  /** Drop the `count` oldest events (whole rows, then the leading events of the next one). */
  private drop(count: number): void {
    const st = this.st!;
    let left = count;
    while (left > 0) {
      const r = st.oldest.get() as { seq: number; n: number; skip: number } | undefined;
      if (!r) break;
      const live = r.n - r.skip;
      if (live <= left) {
        st.del.run(r.seq);
        left -= live;
      } else {
        st.skip.run(r.skip + left, r.seq);
        left = 0;
      }
    }
    st.gone.run(count - left, count - left);
  }

  /** Up to about `max` events with a seq above `after`, oldest first (whole rows: may return a few more). */
  take(after: number, max: number): OutboxEvent[] {
    const st = this.st!;
    const out: OutboxEvent[] = [];
    const rows: Row[] = [];
    const head = st.containing.get(after) as Row | undefined;
    if (head && head.seq + head.n - 1 > after) rows.push(head);
    rows.push(...(st.after.all(after, TAKE_ROWS) as Row[]));
    for (const r of rows) {
      if (out.length >= max) break;
      if (this.decoded?.seq !== r.seq) this.decoded = { seq: r.seq, ...decodeRow(r.data) };
      const { paths, bodies } = this.decoded;
      for (let i = Math.max(r.skip, after - r.seq + 1); i < r.n; i++) out.push({ seq: r.seq + i, client: paths[i]!, body: bodies[i]! });
    }
    return out;
  }

  /** The broker acknowledged every event up to seq `through`: remove them; returns how many were still there. */
  ackThrough(through: number): number {
    if (!this.opened) return 0;
    return this.ackTxn!(through);
  }

  get statesChanged(): boolean {
    return this.dirty.size > 0;
  }

  /**
   * The committed state of every client (all: true) or of those changed since the last call, by
   * client path; '' for a client without a lease (clears its retained message).
   */
  states(all: boolean): StateRow[] {
    if (!this.store || !this.opened || (!all && this.dirty.size === 0)) return [];
    const instances = new Map(this.store.interfaces().map((i) => [i.ifname, i.instance]));
    const out: StateRow[] = [];
    for (const l of this.store.leases()) {
      const key = recordKey(l.ifname, l.version);
      const instance = instances.get(l.ifname);
      if (instance === undefined || (!all && !this.dirty.has(key))) continue;
      const client = clientPath({ tr181Event: tr181EventName(l.version, instance) });
      out.push({ client, payload: statePayload(client, l.ifname, l.record) });
    }
    this.dirty.clear();
    return out.sort((a, b) => (a.client < b.client ? -1 : a.client > b.client ? 1 : 0));
  }

  counts(): { depth: number; dropped: number; nextSeq: number } {
    if (!this.opened) return { depth: 0, dropped: 0, nextSeq: 1 };
    return this.st!.meta.get() as { depth: number; dropped: number; nextSeq: number };
  }
}
