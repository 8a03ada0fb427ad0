/**
 * The MQTT outbox on a real engine and a real SQLite store: rows commit with the leases or not at
 * all, in commit order, bounded with the oldest dropped, the retained state kept apart, events
 * read from the history ring or from the copies its triggers keep, and a format-1 outbox upgraded.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import pino from 'pino';
import { brotliCompressSync, constants as zconst } from 'zlib';
import type { Applier, EventSink, LeaseEvent } from '../contract';
import { CommitHook, Engine } from '../engine';
import { eventJson } from '../events';
import { ManagerMetrics } from '../metrics';
import { legacy, v4, v4Clear, v6 } from '../__fixtures__/fixtures';
import { T0 } from '../__fixtures__/harness';
import { StoreKeeper } from '../store/keeper';
import { COMPRESS_FROM, OUTBOX_FORMAT, Outbox } from './outbox';
import { Store } from '../store/store';

interface Rig { engine: Engine; store: Store; outbox: Outbox; events: LeaseEvent[]; kicks: number; dir: string; clock: { now: number } }

const dirs: string[] = [];
const stores: Store[] = [];

interface RigOptions { hook?: (outbox: Outbox) => CommitHook; dir?: string; history?: number; noOutbox?: boolean }

/** An engine on a store in a temp dir (or `dir`), with the outbox as its commit hook (none with `noOutbox`). */
function rig(limit: number, o: RigOptions = {}): Rig {
  const stateDir = o.dir ?? mkdtempSync(join(tmpdir(), 'dhcpmgr-outbox-'));
  dirs.push(stateDir);
  const events: LeaseEvent[] = [];
  const r = { kicks: 0 } as Rig;
  const outbox = new Outbox(limit, () => { r.kicks++; });
  const sink: EventSink = { publish: (e) => events.push(e), publishReject: () => undefined };
  const applier: Applier = { name: 'record', apply: () => undefined, idle: async () => undefined };
  const clock = { now: T0 };
  const store = new Store({ stateDir, durability: 'normal', historyPerInterface: o.history ?? 100 });
  stores.push(store);
  const hook = o.noOutbox ? {} : { commitHook: o.hook ? o.hook(outbox) : outbox };
  const engine = new Engine(store, { abi: 'auto', clock: () => clock.now },
    { logger: pino({ level: 'silent' }), metrics: new ManagerMetrics(), sink, applier, ...hook });
  return Object.assign(r, { engine, store, outbox, events, dir: stateDir, clock });
}

const kept = (store: Store) => (store.database.prepare('SELECT gseq FROM mqtt_outbox_kept ORDER BY gseq').pluck().all() as number[]).length;
const rows = (store: Store) => ({
  ref: store.database.prepare('SELECT COUNT(*) FROM mqtt_outbox_ref').pluck().get() as number,
  inline: store.database.prepare('SELECT COUNT(*) FROM mqtt_outbox').pluck().get() as number,
});

afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const renew = (ifname: string, leaseTime: number) => legacy(v4(ifname, { dhcpState: 'renew', leaseTime, renewalTime: 1, rebindingTime: 1 }), T0);

describe('MQTT outbox', () => {
  it('holds every committed event, in commit order, with the JSON the PUB socket sends', () => {
    const r = rig(1000);
    r.engine.ingestBatch([legacy(v4('wan0'), T0), legacy(v6('wan0'), T0), renew('wan0', 7200)]);
    r.engine.ingestBatch([renew('wan1', 100), renew('wan0', 9000)]);
    const rows = r.outbox.take(0, 100);
    expect(rows.map((x) => x.client)).toEqual([
      'Device.DHCPv4.Client.1', 'Device.DHCPv6.Client.1', 'Device.DHCPv4.Client.1', 'Device.DHCPv4.Client.2', 'Device.DHCPv4.Client.1',
    ]);
    expect(rows.map((x) => x.body)).toEqual(r.events.map(eventJson));
    expect(rows.map((x) => x.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(r.outbox.counts()).toEqual({ depth: 5, dropped: 0, nextSeq: 6 });
    expect(r.kicks).toBe(2);
  });

  it('reads on from any event, also from the middle of a commit', () => {
    const r = rig(1000);
    r.engine.ingestBatch([renew('wan0', 1), renew('wan0', 2), renew('wan0', 3)]);
    r.engine.ingestBatch([renew('wan0', 4), renew('wan0', 5)]);
    const leaseTimes = (after: number) => r.outbox.take(after, 100).map((x) => JSON.parse(x.body!).lease.leaseTime);
    expect(leaseTimes(0)).toEqual([1, 2, 3, 4, 5]);
    expect(leaseTimes(2)).toEqual([3, 4, 5]);
    expect(leaseTimes(3)).toEqual([4, 5]);
    expect(leaseTimes(5)).toEqual([]);
  });

  it('adds ref rows while the outbox holds at most a ring of events, inline rows beyond; keeps the ref events the ring overwrote while they waited', () => {
    const r = rig(1000, { history: 3 });
    for (let i = 1; i <= 10; i++) r.engine.ingestBatch([renew('wan0', 1000 + i)]);
    expect(rows(r.store)).toEqual({ ref: 3, inline: 7 });
    expect(r.engine.history('wan0').map((e) => e.lease.leaseTime)).toEqual([1008, 1009, 1010]);
    // The ring overwrote 1001-1007: the three of ref rows were kept, the inline ones hold their text.
    expect(kept(r.store)).toBe(3);
    const all = r.outbox.take(0, 100);
    expect(all.map((x) => x.body)).toEqual(r.events.map(eventJson));
    expect(all.map((x) => x.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(all.map((x) => x.client)).toEqual(Array(10).fill('Device.DHCPv4.Client.1'));
    expect(r.outbox.ackThrough(2)).toBe(2);
    expect(kept(r.store)).toBe(1);
    expect(r.outbox.take(0, 100).map((x) => JSON.parse(x.body!).lease.leaseTime)).toEqual([1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010]);
    expect(r.outbox.ackThrough(10)).toBe(8);
    expect(kept(r.store)).toBe(0);
    expect(rows(r.store)).toEqual({ ref: 0, inline: 0 });
    // A broker that keeps up: ref rows only, and the ring overwrites acknowledged events without a copy.
    for (let i = 11; i <= 20; i++) {
      r.engine.ingestBatch([renew('wan0', 1000 + i)]);
      expect(r.outbox.take(i - 1, 10).map((x) => [x.seq, x.body])).toEqual([[i, eventJson(r.events[i - 1]!)]]);
      expect(r.outbox.ackThrough(i)).toBe(1);
    }
    expect(kept(r.store)).toBe(0);
    expect(r.outbox.counts()).toEqual({ depth: 0, dropped: 0, nextSeq: 21 });
  });

  it('reads back a commit of many events as a ref row and a bigger one compressed inline, in order, also in parts', () => {
    const r = rig(1000, { history: 100 });
    r.engine.ingestBatch(Array.from({ length: 40 }, (_, i) => renew(`wan${i % 5}`, 1000 + i)));
    r.engine.ingestBatch(Array.from({ length: 80 }, (_, i) => renew(`wan${i % 7}`, 2000 + i)));
    r.engine.ingestBatch([renew('wan0', 5000)]);
    expect(rows(r.store)).toEqual({ ref: 1, inline: 2 });
    expect(r.store.database.prepare('SELECT typeof(data) FROM mqtt_outbox ORDER BY seq').pluck().all()).toEqual(['blob', 'text']);
    const all = r.outbox.take(0, 1000);
    expect(all.map((x) => JSON.parse(x.body!).lease.leaseTime)).toEqual([
      ...Array.from({ length: 40 }, (_, i) => 1000 + i), ...Array.from({ length: 80 }, (_, i) => 2000 + i), 5000]);
    expect(all.map((x) => x.body)).toEqual(r.events.map(eventJson));
    expect(all.map((x) => x.client)).toEqual(r.events.map((e) => e.tr181Event.slice(0, -'.Events'.length)));
    for (const from of [10, 39, 40, 75, 120]) {
      expect(r.outbox.take(from, 1000).map((x) => [x.seq, x.body])).toEqual(all.slice(from).map((x) => [x.seq, x.body]));
    }
    expect(r.outbox.ackThrough(20)).toBe(20);
    expect(r.outbox.take(0, 1000).map((x) => x.seq)).toEqual(all.slice(20).map((x) => x.seq));
    expect(r.outbox.ackThrough(60)).toBe(40);
    expect(rows(r.store)).toEqual({ ref: 0, inline: 2 });
    expect(r.outbox.take(0, 1000).map((x) => x.seq)).toEqual(all.slice(60).map((x) => x.seq));
  });

  it('stores any text of a compressed inline row as it was, also beyond ASCII', () => {
    const r = rig(1000, { history: 1 });
    const events: LeaseEvent[] = Array.from({ length: COMPRESS_FROM + 3 }, (_, i) => ({
      tr181Event: `Device.DHCPv6.Client.${1 + (i % 3)}.Events`, ifname: `wan${i % 3}`, version: 6, msgType: 3, msgTypeName: 'LEASE_UPDATE',
      time: T0 + i, lease: { domains: [`ex\u00e4mple-${i}.net`, '\u6d4b\u8bd5', 'tab\tand "quote"'], n: i }, cause: 'bound',
    }));
    r.store.transaction(() => r.outbox.inTransaction(events, [], events.map((e) => r.store.addHistory(e))));
    expect(rows(r.store)).toEqual({ ref: 0, inline: 1 });
    expect(r.store.database.prepare('SELECT typeof(data) FROM mqtt_outbox').pluck().get()).toBe('blob');
    const read = r.outbox.take(0, 1000);
    expect(read.map((x) => x.body)).toEqual(events.map(eventJson));
    expect(read.map((x) => x.client)).toEqual(events.map((e) => e.tr181Event.slice(0, -'.Events'.length)));
  });

  it('renders the committed state of each client, only the changed ones on request, and an empty payload at lease end', () => {
    const r = rig(1000);
    r.engine.ingestBatch([legacy(v4('wan0'), T0), legacy(v6('wan0'), T0)]);
    r.engine.ingestBatch([renew('wan0', 7200)]);
    const states = Object.fromEntries(r.outbox.states(false).map((s) => [s.client, s.payload]));
    expect(Object.keys(states)).toEqual(['Device.DHCPv4.Client.1', 'Device.DHCPv6.Client.1']);
    expect(JSON.parse(states['Device.DHCPv4.Client.1']!)).toMatchObject({ client: 'Device.DHCPv4.Client.1', ifname: 'wan0', version: 4, state: 'renew', lease: { leaseTime: 7200 } });
    expect(JSON.parse(states['Device.DHCPv6.Client.1']!).lease.iaPd.prefix).toMatch(/\/\d+$/);
    expect(r.outbox.statesChanged).toBe(false);
    expect(r.outbox.states(false)).toEqual([]);

    r.engine.ingestBatch([legacy(v4Clear('wan0', 'deconfig'), T0)]);
    expect(r.outbox.statesChanged).toBe(true);
    expect(r.outbox.states(false)).toEqual([{ client: 'Device.DHCPv4.Client.1', payload: '' }]);
    expect(r.outbox.states(true).map((s) => [s.client, s.payload === ''])).toEqual([['Device.DHCPv4.Client.1', true], ['Device.DHCPv6.Client.1', false]]);
  });

  it('drops the oldest events beyond the limit, counts them, and leaves the state right', () => {
    const r = rig(5);
    for (let i = 1; i <= 8; i++) r.engine.ingestBatch([renew('wan0', 1000 + i)]);
    const leaseTimes = () => r.outbox.take(0, 100).map((x) => JSON.parse(x.body!).lease.leaseTime);
    expect(leaseTimes()).toEqual([1004, 1005, 1006, 1007, 1008]);
    expect(r.outbox.counts()).toMatchObject({ depth: 5, dropped: 3 });
    r.engine.ingestBatch([renew('wan0', 2001), renew('wan1', 2002), renew('wan0', 2003)]);
    expect(leaseTimes()).toEqual([1007, 1008, 2001, 2002, 2003]);
    expect(r.outbox.counts()).toMatchObject({ depth: 5, dropped: 6 });
    // Part of a commit: the two oldest of this one go as well.
    r.engine.ingestBatch([renew('wan0', 3001), renew('wan0', 3002), renew('wan0', 3003), renew('wan0', 3004)]);
    expect(leaseTimes()).toEqual([2003, 3001, 3002, 3003, 3004]);
    expect(r.outbox.counts()).toMatchObject({ depth: 5, dropped: 10 });
    expect(JSON.parse(r.outbox.states(true).find((s) => s.client === 'Device.DHCPv4.Client.1')!.payload).lease.leaseTime).toBe(3004);
  });

  it('removes events only when acknowledged; acknowledging dropped events changes nothing', () => {
    const r = rig(3);
    r.engine.ingestBatch([renew('wan0', 1), renew('wan0', 2), renew('wan0', 3)]);
    expect(r.outbox.ackThrough(1)).toBe(1);
    expect(r.outbox.counts()).toMatchObject({ depth: 2, dropped: 0 });
    expect(r.outbox.take(0, 10).map((x) => x.seq)).toEqual([2, 3]);
    r.engine.ingestBatch([renew('wan0', 4), renew('wan0', 5)]); // 2 is dropped
    expect(r.outbox.counts()).toMatchObject({ depth: 3, dropped: 1 });
    expect(r.outbox.ackThrough(3)).toBe(1);
    expect(r.outbox.ackThrough(3)).toBe(0);
    expect(r.outbox.counts()).toMatchObject({ depth: 2, dropped: 1 });
    expect(r.outbox.take(0, 10).map((x) => JSON.parse(x.body!).lease.leaseTime)).toEqual([4, 5]);
    expect(r.outbox.ackThrough(5)).toBe(2);
    expect(r.outbox.counts()).toMatchObject({ depth: 0, dropped: 1 });
    expect(r.outbox.take(0, 10)).toEqual([]);
  });

  it('commits nothing when the lease transaction fails after the outbox wrote its rows', () => {
    let fail = false;
    const r = rig(1000, { hook: (outbox) => ({
      open: (store) => outbox.open(store),
      inTransaction: (events, records, refs) => {
        outbox.inTransaction(events, records, refs);
        if (fail) throw new Error('disk I/O error (test)');
      },
    }) });
    r.engine.ingestBatch([renew('wan0', 1)]);
    fail = true;
    const results = r.engine.ingestBatch([renew('wan0', 2), renew('wan1', 3)]);
    expect(results.map((x) => x.status)).toEqual(['unavailable', 'unavailable']);
    expect(r.outbox.take(0, 10).map((x) => JSON.parse(x.body!).lease.leaseTime)).toEqual([1]);
    expect(r.outbox.counts()).toEqual({ depth: 1, dropped: 0, nextSeq: 2 });
    // The state shown is the committed one, not the one of the failed transaction.
    expect(r.outbox.states(true).map((s) => [s.client, JSON.parse(s.payload).lease.leaseTime])).toEqual([['Device.DHCPv4.Client.1', 1]]);
    fail = false;
    r.engine.ingestBatch([renew('wan0', 4)]);
    expect(r.outbox.take(0, 10).map((x) => [x.seq, JSON.parse(x.body!).lease.leaseTime])).toEqual([[1, 1], [2, 4]]);
  });

  it('takes expiry events and shows the state cleared after the expiry transaction', () => {
    const r = rig(1000);
    r.engine.ingestBatch([legacy(v4('wan0', { leaseTime: 60, renewalTime: 30, rebindingTime: 50 }), T0)]);
    r.outbox.states(true);
    r.clock.now = T0 + 61_000;
    expect(r.engine.expireDue()).toHaveLength(1);
    const rows = r.outbox.take(0, 10);
    expect(rows.map((x) => JSON.parse(x.body!).msgTypeName)).toEqual(['LEASE_UPDATE', 'LEASE_DEL']);
    expect(JSON.parse(rows[1]!.body!).cause).toBe('expired-by-manager');
    expect(r.outbox.states(false)).toEqual([{ client: 'Device.DHCPv4.Client.1', payload: '' }]);
  });

  it('keeps its events, numbers and counters across a reopen of the store', () => {
    const r = rig(2);
    r.engine.ingestBatch([renew('wan0', 1), renew('wan0', 2), renew('wan0', 3)]);
    const before = r.outbox.take(0, 10);
    r.store.close();
    const again = rig(2, { dir: r.dir });
    expect(again.outbox.take(0, 10)).toEqual(before);
    expect(again.outbox.counts()).toEqual({ depth: 2, dropped: 1, nextSeq: 4 });
    again.engine.ingestBatch([renew('wan0', 4)]);
    expect(again.outbox.take(0, 10).map((x) => x.seq)).toEqual([3, 4]);
  });

  it('keeps waiting events through a smaller ring at reopen and while a manager runs without the exporter', () => {
    const r = rig(1000, { history: 10 });
    for (let i = 1; i <= 8; i++) r.engine.ingestBatch([renew('wan0', 1000 + i)]);
    const before = r.outbox.take(0, 100);
    expect(kept(r.store)).toBe(0);
    r.store.close();
    // A smaller ring at open deletes the oldest 6 rows of wan0; the triggers keep them.
    const small = rig(1000, { dir: r.dir, history: 2, noOutbox: true });
    expect(kept(small.store)).toBe(6);
    // Without --mqtt-url: the ring is overwritten again; the waiting events are kept, the new ones are not.
    for (let i = 1; i <= 5; i++) small.engine.ingestBatch([renew('wan0', 2000 + i)]);
    expect(kept(small.store)).toBe(8);
    small.store.close();
    const again = rig(1000, { dir: r.dir, history: 2 });
    expect(again.outbox.take(0, 100)).toEqual(before);
    again.engine.ingestBatch([renew('wan0', 3000)]);
    expect(again.outbox.take(0, 100).map((x) => [x.seq, JSON.parse(x.body!).lease.leaseTime])).toEqual([
      ...before.map((x) => [x.seq, JSON.parse(x.body!).lease.leaseTime]), [9, 3000]]);
    expect(again.outbox.ackThrough(9)).toBe(9);
    expect(kept(again.store)).toBe(0);
    expect(again.outbox.counts()).toEqual({ depth: 0, dropped: 0, nextSeq: 10 });
  });

  it('returns an event whose text is gone without a body, and counts it as dropped when it is passed over', () => {
    const r = rig(1000, { history: 1 });
    r.engine.ingestBatch([renew('wan0', 1)]);
    r.engine.ingestBatch([renew('wan0', 2), renew('wan0', 3)]);
    expect(rows(r.store)).toEqual({ ref: 1, inline: 1 });
    expect(kept(r.store)).toBe(1);
    r.store.database.prepare('DELETE FROM mqtt_outbox_kept WHERE gseq = (SELECT MIN(gseq) FROM mqtt_outbox_kept)').run();
    const read = r.outbox.take(0, 10);
    expect(read.map((x) => x.body === undefined)).toEqual([true, false, false]);
    expect(read.slice(1).map((x) => JSON.parse(x.body!).lease.leaseTime)).toEqual([2, 3]);
    expect(r.outbox.ackThrough(3, 1)).toBe(3);
    expect(r.outbox.counts()).toEqual({ depth: 0, dropped: 1, nextSeq: 4 });
  });

  it('upgrades a format-1 outbox in place: its queued events are read, acknowledged and dropped in order with the new ones', () => {
    // A store whose outbox an earlier version wrote: rows holding the events' paths and JSON texts
    // (one as text, one brotli-compressed), its first event already acknowledged.
    const old = rig(1000, { noOutbox: true });
    old.engine.ingestBatch([renew('wan0', 1), renew('wan1', 2), renew('wan0', 3)]);
    old.engine.ingestBatch(Array.from({ length: COMPRESS_FROM }, (_, i) => renew(`wan${i % 3}`, 100 + i)));
    const bodies = old.events.map(eventJson);
    const paths = old.events.map((e) => e.tr181Event.slice(0, -'.Events'.length));
    const text = (from: number, to: number) => `${paths.slice(from, to).join('\n')}\0${bodies.slice(from, to).join('\n')}`;
    old.store.database.exec(`
      CREATE TABLE mqtt_outbox (seq INTEGER PRIMARY KEY, n INTEGER NOT NULL, skip INTEGER NOT NULL, data BLOB NOT NULL);
      CREATE TABLE mqtt_outbox_meta (k INTEGER PRIMARY KEY CHECK (k = 0), next_seq INTEGER NOT NULL, depth INTEGER NOT NULL, dropped INTEGER NOT NULL);
      INSERT INTO mqtt_outbox_meta (k, next_seq, depth, dropped) VALUES (0, ${4 + COMPRESS_FROM}, ${2 + COMPRESS_FROM}, 7);`);
    const put = old.store.database.prepare('INSERT INTO mqtt_outbox (seq, n, skip, data) VALUES (?, ?, ?, ?)');
    put.run(1, 3, 1, text(0, 3));
    put.run(4, COMPRESS_FROM, 0, brotliCompressSync(text(3, 3 + COMPRESS_FROM), { params: { [zconst.BROTLI_PARAM_QUALITY]: 1 } }));
    old.store.close();

    const r = rig(2 + COMPRESS_FROM + 1, { dir: old.dir, history: 4 });
    const meta = r.store.database.prepare('SELECT format, keep_from AS keepFrom, keep_to AS keepTo FROM mqtt_outbox_meta').get();
    expect(meta).toEqual({ format: OUTBOX_FORMAT, keepFrom: r.store.nextGseq, keepTo: r.store.nextGseq });
    expect(r.store.database.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").pluck().all())
      .toEqual(['mqtt_outbox_keep_deleted', 'mqtt_outbox_keep_overwritten']);
    expect(r.outbox.counts()).toEqual({ depth: 2 + COMPRESS_FROM, dropped: 7, nextSeq: 4 + COMPRESS_FROM });
    const queued = r.outbox.take(0, 1000);
    expect(queued.map((x) => x.seq)).toEqual(Array.from({ length: 2 + COMPRESS_FROM }, (_, i) => i + 2));
    expect(queued.map((x) => x.body)).toEqual(bodies.slice(1));
    expect(queued.map((x) => x.client)).toEqual(paths.slice(1));

    // New events number on, inline: the outbox holds more than the ring keeps per interface (4).
    for (let i = 1; i <= 6; i++) r.engine.ingestBatch([renew('wan0', 500 + i)]);
    expect(rows(r.store)).toEqual({ ref: 0, inline: 1 + 6 }); // the first format-1 row went with the drop below
    expect(kept(r.store)).toBe(0);
    // The limit drops the oldest first, across the two formats: 2 + 32 + 6 events, limit 35.
    expect(r.outbox.counts()).toEqual({ depth: 2 + COMPRESS_FROM + 1, dropped: 7 + 5, nextSeq: 10 + COMPRESS_FROM });
    const all = r.outbox.take(0, 1000);
    expect(all.map((x) => x.seq)).toEqual(Array.from({ length: 2 + COMPRESS_FROM + 1 }, (_, i) => i + 7));
    expect(all.map((x) => x.body)).toEqual([...bodies.slice(6), ...r.events.map(eventJson)]);
    expect(r.outbox.ackThrough(3 + COMPRESS_FROM)).toBe(COMPRESS_FROM - 3);
    expect(r.outbox.take(0, 1000).map((x) => JSON.parse(x.body!).lease.leaseTime)).toEqual([501, 502, 503, 504, 505, 506]);
    expect(r.outbox.ackThrough(10 + COMPRESS_FROM)).toBe(6);
    expect(r.outbox.counts()).toEqual({ depth: 0, dropped: 12, nextSeq: 10 + COMPRESS_FROM });
    expect(rows(r.store)).toEqual({ ref: 0, inline: 0 });
  });

  it('refuses an outbox of a newer format', () => {
    const r = rig(10);
    r.store.database.prepare('UPDATE mqtt_outbox_meta SET format = ?').run(OUTBOX_FORMAT + 1);
    r.store.close();
    expect(() => rig(10, { dir: r.dir })).toThrow(`MQTT outbox format ${OUTBOX_FORMAT + 1} is newer than this manager's ${OUTBOX_FORMAT}`);
  });

  it('opens on the store reopened at its path after the state dir vanished, and numbers on', () => {
    const base = mkdtempSync(join(tmpdir(), 'dhcpmgr-outbox-'));
    dirs.push(base);
    mkdirSync(join(base, 'vol'));
    const stateDir = join(base, 'vol', 'state');
    const keeper = new StoreKeeper({ stateDir, durability: 'normal', historyPerInterface: 100 });
    const outbox = new Outbox(100);
    const events: LeaseEvent[] = [];
    const engine = new Engine(keeper.store, { abi: 'auto', clock: () => T0 }, {
      logger: pino({ level: 'silent' }), metrics: new ManagerMetrics(), keeper, commitHook: outbox,
      sink: { publish: (e) => events.push(e), publishReject: () => undefined }, applier: { name: 'none', apply: () => undefined, idle: async () => undefined },
    });
    try {
      engine.ingestBatch([renew('wan0', 1), renew('wan0', 2)]);
      rmSync(stateDir, { recursive: true });
      expect(engine.ingestBatch([renew('wan0', 3)])[0]!.status).toBe('applied');
      expect(outbox.take(0, 10).map((x) => [x.seq, x.body])).toEqual([[3, eventJson(events[2]!)]]);
      expect(outbox.counts()).toEqual({ depth: 1, dropped: 0, nextSeq: 4 });
    } finally {
      keeper.close();
    }
  });
});
