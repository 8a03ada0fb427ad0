/**
 * The transactional outbox of the MQTT exporter, in the store's own SQLite file.
 *
 * The engine calls `inTransaction` inside the transaction that commits a batch of leases (or an
 * expiry round), so an event is in the outbox if and only if its lease change was committed: a
 * crash (kill -9) before the COMMIT loses both, after it keeps both. The exporter (mqtt.ts) reads
 * events in order and removes them only after the broker's PUBACK.
 *
 * Every event has a number `seq`, from a counter in `mqtt_outbox_meta`: never reused, so it
 * orders events (commit order, which is the engine's order per client) and a subscriber can
 * recognise a repeat by it. A commit adds ONE row holding all its events, numbered from the row's
 * `seq`; `skip` counts the row's leading events already gone (acknowledged or dropped), and a row
 * is deleted when none is left. The row is of one of two kinds (outbox format 2):
 *
 * - A ref row (`mqtt_outbox_ref`), while the outbox holds at most as many events as the history
 *   ring keeps per interface (--history-per-interface, `refLimit`): the event's JSON is already in
 *   the history ring (store.ts), written in the same transaction, so the row only says where, per
 *   event a line `<history seq> <ifname> <client path>`, plus the history `gseq` of the first
 *   event (the events of a transaction have consecutive gseqs). Nothing of the JSON is copied.
 * - An inline row (`mqtt_outbox`, format 1's table and layout), once the outbox holds more: the
 *   client paths, newline-joined, a NUL, then the JSON texts, newline-joined (JSON.stringify never
 *   emits a raw newline or NUL), brotli-compressed from COMPRESS_FROM events a commit (quality 0:
 *   it allocated a third of quality 1's fresh memory per call, see docs/performance.md). A
 *   broker that stays away longer than that many events will see the ring overwrite them, and a
 *   compressed copy costs less than keeping each overwritten event's 600 bytes of JSON.
 *
 * The ring overwrites an interface's oldest event when a newer one comes, and deletes rows at
 * open when it is made smaller. A waiting event of a ref row must survive that: two triggers on
 * `history` copy such a row's JSON into `mqtt_outbox_kept` (by gseq) just before it is overwritten
 * or deleted. "Waiting" is the gseq range [keep_from, keep_to) in `mqtt_outbox_meta`: keep_to moves
 * on with every ref row, keep_from to the oldest ref event left after an acknowledgement or a
 * drop, and kept copies below it are deleted. A ref event can only be overwritten while waiting
 * after more than `refLimit` events came after it (all of them waiting), so copies are made for at
 * most about `refLimit` events each time the outbox grows past that. The triggers live in the
 * file, so they also keep the waiting events while a manager runs without --mqtt-url (events
 * committed then are above keep_to and are never copied).
 *
 * - Reading an event of a ref row: the ring row (ifname, seq % limit) if it still has the event's
 *   gseq, else the kept copy. One found in neither (not expected: only if the file was changed by
 *   other means) is returned without a body; the exporter skips it and counts it as dropped.
 * - Bounded: when a commit takes the outbox above `limit` events, the oldest events are dropped
 *   (across both tables, by number) in the same transaction and counted in `dropped`.
 * - `mqtt_outbox_meta`: next seq, depth, dropped, the keep range and the outbox format, updated in
 *   the same transactions as the rows (counters kept in memory would drift when a transaction
 *   rolls back).
 * - Upgrade: a format-1 outbox (only inline rows, quality-1 brotli) gets the format-2 tables,
 *   columns and triggers in one transaction at open; its rows stay and are read as they are.
 * - The retained state per client is not copied here: it is rendered when published from the lease
 *   records the store committed (Store.leases()), so it is always the committed truth and dropped
 *   events never leave it wrong. A commit only marks its clients dirty in memory (a rolled-back
 *   one costs a needless republish at worst); every (re)connection publishes every state, which
 *   covers what a crash forgot.
 */
import Database = require('better-sqlite3');
import { brotliCompressSync, brotliDecompressSync, constants as zconst } from 'zlib';
import type { LeaseEvent } from '../contract';
import type { CommitHook } from '../engine';
import { eventJson, tr181EventName, v4Payload, v6Payload } from '../events';
import { isActive, LeaseRecord, recordKey } from '../model/types';
import type { HistoryRef, Store } from '../store/store';

/** `body` undefined: the event's text is gone (see the file comment); it is skipped and counted as dropped. */
export interface OutboxEvent { seq: number; client: string; body: string | undefined }
export interface StateRow { client: string; payload: string }

/** A row of either table: `gseq` null for an inline row (`data` holds the events), else a ref row (`data` = its lines). */
interface Row { seq: number; n: number; skip: number; gseq: number | null; data: string | Buffer }

/** The outbox format this code writes (the file comment). */
export const OUTBOX_FORMAT = 2;

const TABLES = `
CREATE TABLE IF NOT EXISTS mqtt_outbox (seq INTEGER PRIMARY KEY, n INTEGER NOT NULL, skip INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS mqtt_outbox_meta (k INTEGER PRIMARY KEY CHECK (k = 0), next_seq INTEGER NOT NULL, depth INTEGER NOT NULL, dropped INTEGER NOT NULL);
INSERT OR IGNORE INTO mqtt_outbox_meta (k, next_seq, depth, dropped) VALUES (0, 1, 0, 0);
CREATE TABLE IF NOT EXISTS mqtt_outbox_ref (seq INTEGER PRIMARY KEY, n INTEGER NOT NULL, skip INTEGER NOT NULL, gseq INTEGER NOT NULL, refs TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mqtt_outbox_kept (gseq INTEGER PRIMARY KEY, event TEXT NOT NULL);
`;

/** Format 1 -> 2: the meta columns (the tables above were created if missing). */
const META_V2 = `
ALTER TABLE mqtt_outbox_meta ADD COLUMN keep_from INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mqtt_outbox_meta ADD COLUMN keep_to INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mqtt_outbox_meta ADD COLUMN format INTEGER NOT NULL DEFAULT 1;
`;

/** keep_to first: an overwritten event is mostly newer than every ref event, and the second lookup is skipped (a tenth of a history write). */
const WAITING = 'old.gseq < (SELECT keep_to FROM mqtt_outbox_meta WHERE k = 0) AND old.gseq >= (SELECT keep_from FROM mqtt_outbox_meta WHERE k = 0)';
const TRIGGERS = `
CREATE TRIGGER IF NOT EXISTS mqtt_outbox_keep_overwritten BEFORE UPDATE OF event ON history WHEN ${WAITING}
  BEGIN INSERT OR IGNORE INTO mqtt_outbox_kept (gseq, event) VALUES (old.gseq, old.event); END;
CREATE TRIGGER IF NOT EXISTS mqtt_outbox_keep_deleted BEFORE DELETE ON history WHEN ${WAITING}
  BEGIN INSERT OR IGNORE INTO mqtt_outbox_kept (gseq, event) VALUES (old.gseq, old.event); END;
`;

/** Both tables' rows as one list ordered by seq (each side walks its primary key). */
const ROWS = (cols: string, where: string) =>
  `SELECT seq, n, skip, NULL AS gseq${cols ? ', data' : ''} FROM mqtt_outbox ${where} UNION ALL SELECT seq, n, skip, gseq${cols ? ', refs AS data' : ''} FROM mqtt_outbox_ref ${where}`;

/** Rows read per take(); each holds one commit's events. */
const TAKE_ROWS = 16;
/** Inline rows of at least this many events are stored brotli-compressed (brotli's cost per call is more than a small commit saves). */
export const COMPRESS_FROM = 32;
const BROTLI = { params: { [zconst.BROTLI_PARAM_QUALITY]: 0, [zconst.BROTLI_PARAM_LGWIN]: 16 } };

/**
 * The text to compress is written into this buffer, kept from commit to commit: a joined string
 * of a commit's JSON (about 150 KB at 256 events) and its UTF-8 copy were fresh memory every
 * time, page faults included.
 */
let scratch = Buffer.allocUnsafe(256 * 1024);

/** An inline row's data: text, or (a BLOB) the brotli-compressed text. */
function encodeInline(paths: string[], bodies: string[]): string | Buffer {
  const n = paths.length;
  if (n < COMPRESS_FROM) return `${paths.join('\n')}\0${bodies.join('\n')}`;
  let off = 0;
  const put = (text: string, sep: number) => {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    if (off + text.length * 3 + 1 > scratch.length) {
      const bigger = Buffer.allocUnsafe(Math.max(scratch.length * 2, off + text.length * 3 + 1));
      scratch.copy(bigger, 0, 0, off);
      scratch = bigger;
    }
    off += scratch.write(text, off);
    if (sep >= 0) scratch[off++] = sep;
  };
  for (let i = 0; i < n; i++) put(paths[i]!, i < n - 1 ? 0x0a : 0);
  for (let i = 0; i < n; i++) put(bodies[i]!, i < n - 1 ? 0x0a : -1);
  return brotliCompressSync(scratch.subarray(0, off), BROTLI);
}

function decodeInline(data: string | Buffer): { paths: string[]; bodies: string[] } {
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

type Statements = Record<'insert' | 'insertInline' | 'bump' | 'oldest' | 'delInline' | 'delRef' | 'skipInline' | 'skipRef' | 'gone' | 'keepFrom' | 'unkeep'
  | 'after' | 'containing' | 'through' | 'kept' | 'meta', Database.Statement>;

export class Outbox implements CommitHook {
  private db: Database.Database | undefined;
  private store: Store | undefined;
  private st: Statements | undefined;
  /** recordKey()s of the clients whose state changed since it was last read (statesChanged). */
  private readonly dirty = new Set<string>();
  private ackTxn: ((seq: number, lost: number) => number) | undefined;
  /** The last row take() decoded, from event `from` on: the exporter reads a big row in several window-sized parts. */
  private decoded: { seq: number; from: number; paths: string[]; bodies: Array<string | undefined> } | undefined;
  /** The next event number handed out so far: a store reopened empty at its path (store/guard.ts) numbers on from it. */
  private seqFloor = 1;
  /** Up to this many events in the outbox, a commit adds a ref row; beyond, an inline row (the file comment). */
  private refLimit = 0;

  /** `onEnqueue` runs inside the transaction (it must only schedule work, never touch the store). */
  constructor(readonly limit: number, private readonly onEnqueue: () => void = () => undefined) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`outbox limit ${limit}: expected an integer >= 1`);
  }

  get opened(): boolean {
    return this.db !== undefined && this.db.open;
  }

  /** Create or upgrade the tables and triggers (one transaction) on the store's connection and prepare the statements. */
  open(store: Store): void {
    const db = store.database;
    db.transaction(() => upgrade(db, store.nextGseq, this.seqFloor))();
    this.store = store;
    this.db = db;
    this.decoded = undefined;
    this.refLimit = store.historyLimit;
    const st: Statements = {
      insert: db.prepare('INSERT INTO mqtt_outbox_ref (seq, n, skip, gseq, refs) VALUES (?, ?, 0, ?, ?)'),
      insertInline: db.prepare('INSERT INTO mqtt_outbox (seq, n, skip, data) VALUES (?, ?, 0, ?)'),
      // SET expressions see the row as it was; RETURNING the row as it is. A ref row (depth after
      // the commit <= @refs) moves the keep range on; an inline row leaves it.
      bump: db.prepare(`UPDATE mqtt_outbox_meta SET next_seq = next_seq + @n, depth = depth + @n,
        keep_from = CASE WHEN depth + @n > @refs OR keep_from < keep_to THEN keep_from ELSE @from END,
        keep_to = CASE WHEN depth + @n > @refs THEN keep_to ELSE @to END WHERE k = 0
        RETURNING next_seq - @n AS first, depth`),
      oldest: db.prepare(`${ROWS('', '')} ORDER BY seq LIMIT 1`),
      delInline: db.prepare('DELETE FROM mqtt_outbox WHERE seq = ?'),
      delRef: db.prepare('DELETE FROM mqtt_outbox_ref WHERE seq = ?'),
      skipInline: db.prepare('UPDATE mqtt_outbox SET skip = ? WHERE seq = ?'),
      skipRef: db.prepare('UPDATE mqtt_outbox_ref SET skip = ? WHERE seq = ?'),
      gone: db.prepare('UPDATE mqtt_outbox_meta SET depth = depth - ?, dropped = dropped + ? WHERE k = 0'),
      keepFrom: db.prepare('UPDATE mqtt_outbox_meta SET keep_from = COALESCE((SELECT gseq + skip FROM mqtt_outbox_ref ORDER BY seq LIMIT 1), keep_to) WHERE k = 0'),
      unkeep: db.prepare('DELETE FROM mqtt_outbox_kept WHERE gseq < (SELECT keep_from FROM mqtt_outbox_meta WHERE k = 0)'),
      after: db.prepare(`${ROWS('data', 'WHERE seq > @a')} ORDER BY seq LIMIT @rows`),
      containing: db.prepare(`${ROWS('data', 'WHERE seq <= @a')} ORDER BY seq DESC LIMIT 1`),
      through: db.prepare(`${ROWS('', 'WHERE seq <= @a')} ORDER BY seq`),
      kept: db.prepare('SELECT gseq, event FROM mqtt_outbox_kept WHERE gseq BETWEEN ? AND ?'),
      meta: db.prepare('SELECT depth, dropped, next_seq AS nextSeq FROM mqtt_outbox_meta WHERE k = 0'),
    };
    this.st = st;
    this.ackTxn = db.transaction((through: number, lost: number) => {
      let removed = 0;
      for (const r of st.through.all({ a: through }) as Row[]) {
        const upto = Math.min(r.n, through - r.seq + 1);
        if (upto <= r.skip) continue;
        removed += upto - r.skip;
        this.cut(r, upto);
      }
      if (removed > 0) {
        st.gone.run(removed, Math.min(lost, removed));
        this.unkeep();
      }
      return removed;
    });
    this.seqFloor = Math.max(this.seqFloor, this.counts().nextSeq);
  }

  /**
   * Inside the caller's transaction: queue the events (a ref row, or an inline one when the
   * outbox is that full), mark their clients' states changed, trim to `limit`. `refs[i]` is where
   * history keeps `events[i]`.
   */
  inTransaction(events: LeaseEvent[], records: Array<{ ifname: string; record: LeaseRecord }>, refs: HistoryRef[]): void {
    const st = this.st;
    const n = events.length;
    if (!st || n === 0) return;
    const gseq = refs[0]!.gseq;
    if (refs.length !== n || refs[n - 1]!.gseq !== gseq + n - 1) throw new Error(`outbox: ${n} events with history refs ${gseq}..${refs[refs.length - 1]?.gseq}: expected consecutive`);
    const { first, depth } = st.bump.get({ n, from: gseq, to: gseq + n, refs: this.refLimit }) as { first: number; depth: number };
    if (depth <= this.refLimit) {
      let lines = '';
      for (let i = 0; i < n; i++) {
        const e = events[i]!;
        lines += `${i === 0 ? '' : '\n'}${refs[i]!.seq} ${e.ifname} ${clientPath(e)}`;
      }
      st.insert.run(first, n, gseq, lines);
    } else {
      const paths: string[] = new Array(n);
      const bodies: string[] = new Array(n);
      for (let i = 0; i < n; i++) {
        paths[i] = clientPath(events[i]!);
        bodies[i] = eventJson(events[i]!);
      }
      st.insertInline.run(first, n, encodeInline(paths, bodies));
    }
    this.seqFloor = first + n;
    for (const { ifname, record } of records) this.dirty.add(recordKey(ifname, record.version));
    if (depth > this.limit) this.drop(depth - this.limit);
    this.onEnqueue();
  }

  /** Remove a row's events before index `upto` (the whole row when that is all of them). */
  private cut(r: Row, upto: number): void {
    const st = this.st!;
    if (upto >= r.n) (r.gseq === null ? st.delInline : st.delRef).run(r.seq);
    else (r.gseq === null ? st.skipInline : st.skipRef).run(upto, r.seq);
  }

  /** After events left: the waiting range starts at the oldest one still there; copies below it go. */
  private unkeep(): void {
    this.st!.keepFrom.run();
    this.st!.unkeep.run();
  }

  /** Drop the `count` oldest events (whole rows, then the leading events of the next one). */
  private drop(count: number): void {
    const st = this.st!;
    let left = count;
    while (left > 0) {
      const r = st.oldest.get() as Row | undefined;
      if (!r) break;
      const take = Math.min(r.n - r.skip, left);
      this.cut(r, r.skip + take);
      left -= take;
    }
    st.gone.run(count - left, count - left);
    this.unkeep();
  }

  /** Up to about `max` events with a seq above `after`, oldest first (whole rows: may return a few more). */
  take(after: number, max: number): OutboxEvent[] {
    const st = this.st!;
    const out: OutboxEvent[] = [];
    const rows: Row[] = [];
    const head = st.containing.get({ a: after }) as Row | undefined;
    if (head && head.seq + head.n - 1 > after) rows.push(head);
    rows.push(...(st.after.all({ a: after, rows: TAKE_ROWS }) as Row[]));
    for (const r of rows) {
      if (out.length >= max) break;
      const from = Math.max(r.skip, after - r.seq + 1);
      const d = this.decode(r, from);
      for (let i = from; i < r.n; i++) out.push({ seq: r.seq + i, client: d.paths[i]!, body: d.bodies[i] });
    }
    return out;
  }

  /** A row's client paths and texts from event `from` on (cached: a row is read in window-sized parts). */
  private decode(r: Row, from: number): { paths: string[]; bodies: Array<string | undefined> } {
    const cached = this.decoded;
    if (cached && cached.seq === r.seq && cached.from <= from) return cached;
    if (r.gseq === null) {
      this.decoded = { seq: r.seq, from: 0, ...decodeInline(r.data) };
      return this.decoded;
    }
    const lines = (r.data as string).split('\n');
    const paths: string[] = new Array(r.n);
    const bodies: Array<string | undefined> = new Array(r.n);
    let missing = false;
    for (let i = from; i < r.n; i++) {
      const [seq, ifname, path] = lines[i]!.split(' ') as [string, string, string];
      paths[i] = path;
      bodies[i] = this.store!.historyEvent(ifname, { seq: Number(seq), gseq: r.gseq + i });
      if (bodies[i] === undefined) missing = true;
    }
    if (missing) {
      for (const k of this.st!.kept.all(r.gseq + from, r.gseq + r.n - 1) as Array<{ gseq: number; event: string }>) bodies[k.gseq - r.gseq] ??= k.event;
    }
    this.decoded = { seq: r.seq, from, paths, bodies };
    return this.decoded;
  }

  /**
   * The broker acknowledged every event up to seq `through`: remove them; returns how many were
   * still there. `lost`: how many of them were skipped for having no text (counted as dropped).
   */
  ackThrough(through: number, lost = 0): number {
    if (!this.opened) return 0;
    return this.ackTxn!(through, lost);
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

/**
 * Brings the outbox tables to OUTBOX_FORMAT (inside the caller's transaction): creates what is
 * missing; format 1 -> 2 adds the meta columns with an empty waiting range starting at the next
 * history event, and keeps format-1 rows as they are (inline rows). Then the triggers, and the counters checked
 * against the rows (`seqFloor`: numbers already handed out by this process).
 */
function upgrade(db: Database.Database, nextGseq: number, seqFloor: number): void {
  db.exec(TABLES);
  const cols = db.prepare("SELECT name FROM pragma_table_info('mqtt_outbox_meta')").pluck().all() as string[];
  if (!cols.includes('format')) db.exec(META_V2);
  const format = db.prepare('SELECT format FROM mqtt_outbox_meta WHERE k = 0').pluck().get() as number;
  if (format > OUTBOX_FORMAT) throw new Error(`MQTT outbox format ${format} is newer than this manager's ${OUTBOX_FORMAT}`);
  if (format < OUTBOX_FORMAT) {
    db.prepare('UPDATE mqtt_outbox_meta SET keep_from = @g, keep_to = @g, format = @f WHERE k = 0').run({ g: nextGseq, f: OUTBOX_FORMAT });
  }
  db.exec(TRIGGERS);
  db.prepare(`UPDATE mqtt_outbox_meta SET
    depth = (SELECT COALESCE(SUM(n - skip), 0) FROM mqtt_outbox) + (SELECT COALESCE(SUM(n - skip), 0) FROM mqtt_outbox_ref),
    next_seq = MAX(next_seq, ?, (SELECT COALESCE(MAX(seq + n), 1) FROM mqtt_outbox), (SELECT COALESCE(MAX(seq + n), 1) FROM mqtt_outbox_ref))
    WHERE k = 0`).run(seqFloor);
}
