/**
 * The MQTT outbox on a real engine and a real SQLite store: rows commit with the leases or not at
 * all, in commit order, bounded with the oldest dropped, and the retained state kept apart.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import pino from 'pino';
import type { Applier, EventSink, LeaseEvent } from '../contract';
import { CommitHook, Engine } from '../engine';
import { eventJson } from '../events';
import { ManagerMetrics } from '../metrics';
import { legacy, v4, v4Clear, v6 } from '../__fixtures__/fixtures';
import { T0 } from '../__fixtures__/harness';
import { Outbox } from './outbox';

interface Rig { engine: Engine; outbox: Outbox; events: LeaseEvent[]; kicks: number; dir: string; clock: { now: number } }

const dirs: string[] = [];
const engines: Engine[] = [];

function rig(limit: number, hook?: (outbox: Outbox) => CommitHook, dir?: string): Rig {
  const stateDir = dir ?? mkdtempSync(join(tmpdir(), 'dhcpmgr-outbox-'));
  dirs.push(stateDir);
  const events: LeaseEvent[] = [];
  const r = { kicks: 0 } as Rig;
  const outbox = new Outbox(limit, () => { r.kicks++; });
  const sink: EventSink = { publish: (e) => events.push(e), publishReject: () => undefined };
  const applier: Applier = { name: 'record', apply: () => undefined, idle: async () => undefined };
  const clock = { now: T0 };
  const engine = Engine.open({ stateDir, abi: 'auto', durability: 'normal', clock: () => clock.now },
    { logger: pino({ level: 'silent' }), metrics: new ManagerMetrics(), sink, applier, commitHook: hook ? hook(outbox) : outbox });
  engines.push(engine);
  return Object.assign(r, { engine, outbox, events, dir: stateDir, clock });
}

afterEach(() => {
  for (const e of engines.splice(0)) e.close();
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
    expect(rows.map((x) => x.id)).toEqual([...rows.map((x) => x.id)].sort((a, b) => a - b));
    expect(r.outbox.counts()).toEqual({ depth: 5, dropped: 0 });
    expect(r.kicks).toBe(2);
  });

  it('keeps one state per client, replaced on change and emptied (to clear the retained message) at lease end', () => {
    const r = rig(1000);
    r.engine.ingestBatch([legacy(v4('wan0'), T0), legacy(v6('wan0'), T0)]);
    r.engine.ingestBatch([renew('wan0', 7200)]);
    const states = Object.fromEntries(r.outbox.states(true).map((s) => [s.client, s]));
    expect(Object.keys(states)).toEqual(['Device.DHCPv4.Client.1', 'Device.DHCPv6.Client.1']);
    const s4 = JSON.parse(states['Device.DHCPv4.Client.1']!.payload);
    expect(s4).toMatchObject({ client: 'Device.DHCPv4.Client.1', ifname: 'wan0', version: 4, state: 'renew', lease: { leaseTime: 7200 } });
    expect(states['Device.DHCPv4.Client.1']!.rev).toBe(2);
    expect(JSON.parse(states['Device.DHCPv6.Client.1']!.payload).lease.iaPd.prefix).toMatch(/\/\d+$/);

    r.outbox.stateSent('Device.DHCPv4.Client.1', 2);
    expect(r.outbox.states(true).map((s) => s.client)).toEqual(['Device.DHCPv6.Client.1']);
    r.engine.ingestBatch([legacy(v4Clear('wan0', 'deconfig'), T0)]);
    const cleared = r.outbox.states(true);
    expect(cleared).toEqual([expect.objectContaining({ client: 'Device.DHCPv4.Client.1', payload: '', rev: 3 }), expect.objectContaining({ client: 'Device.DHCPv6.Client.1' })]);
    r.outbox.stateSent('Device.DHCPv4.Client.1', 3);
    expect(r.outbox.states(false).map((s) => s.client)).toEqual(['Device.DHCPv6.Client.1']);
  });

  it('marks a state sent only for the revision the broker acknowledged', () => {
    const r = rig(1000);
    r.engine.ingestBatch([renew('wan0', 100)]);
    r.engine.ingestBatch([renew('wan0', 200)]);
    r.outbox.stateSent('Device.DHCPv4.Client.1', 1);
    expect(r.outbox.states(true)).toEqual([expect.objectContaining({ rev: 2 })]);
    expect(JSON.parse(r.outbox.states(true)[0]!.payload).lease.leaseTime).toBe(200);
  });

  it('drops the oldest events beyond the limit, counts them, and leaves the state right', () => {
    const r = rig(5);
    for (let i = 1; i <= 8; i++) r.engine.ingestBatch([renew('wan0', 1000 + i)]);
    const rows = r.outbox.take(0, 100);
    expect(rows.map((x) => JSON.parse(x.body).lease.leaseTime)).toEqual([1004, 1005, 1006, 1007, 1008]);
    expect(r.outbox.counts()).toEqual({ depth: 5, dropped: 3 });
    r.engine.ingestBatch([renew('wan0', 2001), renew('wan1', 2002), renew('wan0', 2003)]);
    expect(r.outbox.take(0, 100).map((x) => JSON.parse(x.body).lease.leaseTime)).toEqual([1007, 1008, 2001, 2002, 2003]);
    expect(r.outbox.counts()).toEqual({ depth: 5, dropped: 6 });
    expect(JSON.parse(r.outbox.states(true).find((s) => s.client === 'Device.DHCPv4.Client.1')!.payload).lease.leaseTime).toBe(2003);
  });

  it('deletes a row only when acknowledged; an ack of an already dropped row changes nothing', () => {
    const r = rig(3);
    r.engine.ingestBatch([renew('wan0', 1), renew('wan0', 2), renew('wan0', 3)]);
    const [first, second] = r.outbox.take(0, 2);
    expect(r.outbox.take(second!.id, 10)).toHaveLength(1);
    r.engine.ingestBatch([renew('wan0', 4)]); // drops `first`
    expect(r.outbox.ack([first!.id, second!.id])).toBe(1);
    expect(r.outbox.counts()).toEqual({ depth: 2, dropped: 1 });
    expect(r.outbox.take(0, 10).map((x) => JSON.parse(x.body).lease.leaseTime)).toEqual([3, 4]);
  });

  it('commits nothing when the lease transaction fails after the outbox wrote its rows', () => {
    let fail = false;
    const r = rig(1000, (outbox) => ({
      open: (store) => outbox.open(store),
      inTransaction: (events, records) => {
        outbox.inTransaction(events, records);
        if (fail) throw new Error('disk I/O error (test)');
      },
    }));
    r.engine.ingestBatch([renew('wan0', 1)]);
    fail = true;
    const results = r.engine.ingestBatch([renew('wan0', 2), renew('wan1', 3)]);
    expect(results.map((x) => x.status)).toEqual(['unavailable', 'unavailable']);
    expect(r.outbox.take(0, 10).map((x) => JSON.parse(x.body).lease.leaseTime)).toEqual([1]);
    expect(r.outbox.counts()).toEqual({ depth: 1, dropped: 0 });
    expect(r.outbox.states(false).map((s) => [s.client, s.rev])).toEqual([['Device.DHCPv4.Client.1', 1]]);
    fail = false;
    r.engine.ingestBatch([renew('wan0', 4)]);
    expect(r.outbox.take(0, 10).map((x) => JSON.parse(x.body).lease.leaseTime)).toEqual([1, 4]);
  });

  it('takes expiry events and clears the state in the expiry transaction', () => {
    const r = rig(1000);
    r.engine.ingestBatch([legacy(v4('wan0', { leaseTime: 60, renewalTime: 30, rebindingTime: 50 }), T0)]);
    r.clock.now = T0 + 61_000;
    expect(r.engine.expireDue()).toHaveLength(1);
    const rows = r.outbox.take(0, 10);
    expect(rows.map((x) => JSON.parse(x.body).msgTypeName)).toEqual(['LEASE_UPDATE', 'LEASE_DEL']);
    expect(JSON.parse(rows[1]!.body).cause).toBe('expired-by-manager');
    expect(r.outbox.states(true)).toEqual([expect.objectContaining({ client: 'Device.DHCPv4.Client.1', payload: '' })]);
  });

  it('keeps its rows, order and counters across a reopen of the store', () => {
    const r = rig(2);
    r.engine.ingestBatch([renew('wan0', 1), renew('wan0', 2), renew('wan0', 3)]);
    const before = r.outbox.take(0, 10);
    r.engine.close();
    const again = rig(2, undefined, r.dir);
    expect(again.outbox.take(0, 10)).toEqual(before);
    expect(again.outbox.counts()).toEqual({ depth: 2, dropped: 1 });
    again.engine.ingestBatch([renew('wan0', 4)]);
    expect(again.outbox.take(0, 10).map((x) => x.id)).toEqual([before[1]!.id, before[1]!.id + 1]);
  });
});
