/**
 * LeaseState on a real SQLite store in memory: a change is visible only after its one store
 * transaction committed, and a failed commit leaves memory and the store as they were.
 */
import { IN_MEMORY } from '../store/files';
import { Store } from '../store/store';
import { LeaseState } from './state';
import type { V4Record } from './types';

const T = Date.UTC(2026, 0, 1);
const order = (mono: bigint) => ({ bootId: Buffer.alloc(16, 7), monotonicNs: mono, wallUs: 5n });
/** The monotonic deadline (what expiry runs on) set equal to the wall one here. */
const bound = (address: string, expiresAt: number | null = T + 60_000): V4Record => ({
  version: 4, state: 'bound', updatedAt: T,
  lease: {
    address, netmask: '255.255.255.0', prefixLength: 24, broadcast: '', routers: [], dnsServers: [], dhcpServer: '',
    leaseTime: 60, renewalTime: 30, rebindingTime: 52, obtainedAt: T, expiresAt, boot: '00'.repeat(16), obtainedMono: T, expiresMono: expiresAt, timeOffset: null, timeZone: '', mtu: null,
    sipServer: '', staticRoutes: '', upstreamRate: 0, downstreamRate: 0,
  },
});
const event = (ifname: string) => ({
  tr181Event: 'Device.DHCPv4.Client.1.Events', ifname, version: 4 as const, msgType: 3, msgTypeName: 'LEASE_UPDATE' as const, time: T, lease: {}, cause: 'bound',
});

describe('LeaseState', () => {
  let store: Store;
  beforeEach(() => { store = new Store({ stateDir: IN_MEMORY, durability: 'normal', historyPerInterface: 10 }); });
  afterEach(() => store.close());

  it('reads staged values through the change, and shows them in memory and the store only after commit', () => {
    const state = new LeaseState();
    const change = state.begin();
    expect(change.instance('wan0')).toBe(1);
    expect(change.instance('wan1')).toBe(2);
    expect(change.instance('wan0')).toBe(1);
    change.stage('wan0', bound('10.0.0.2'), order(1n));
    change.event(event('wan0'));
    expect(change.record('wan0', 4)).toEqual(bound('10.0.0.2'));
    expect(change.order('wan0', 4)).toEqual(order(1n));
    expect(state.record('wan0', 4)).toBeUndefined();
    expect(state.interfaces()).toEqual([]);
    expect(state.nextExpiry()).toBeUndefined();

    change.commit(store);
    expect(state.record('wan0', 4)).toEqual(bound('10.0.0.2'));
    expect(state.order('wan0', 4)).toEqual(order(1n));
    expect(state.interfaces()).toEqual([{ ifname: 'wan0', instance: 1 }, { ifname: 'wan1', instance: 2 }]);
    expect(state.active).toEqual({ v4: 1, v6: 0 });
    expect(state.nextExpiry()).toBe(T + 60_000);
    expect(store.interfaces()).toEqual([{ ifname: 'wan0', instance: 1 }, { ifname: 'wan1', instance: 2 }]);
    expect(store.leases()).toEqual([{ ifname: 'wan0', version: 4, record: bound('10.0.0.2'), order: order(1n) }]);
    expect(store.history('wan0', 10)).toEqual([event('wan0')]);
    expect(state.begin().instance('wan2')).toBe(3);
  });

  it('keeps the ordering mark of a record staged without one, and loads what the store holds', () => {
    const state = new LeaseState();
    const first = state.begin();
    first.instance('wan0');
    first.stage('wan0', bound('10.0.0.2'), order(1n));
    first.commit(store);
    const second = state.begin();
    second.stage('wan0', { version: 4, state: 'expired-by-manager', lease: null, updatedAt: T + 1 });
    second.commit(store);
    expect(state.order('wan0', 4)).toEqual(order(1n));
    expect(state.active).toEqual({ v4: 0, v6: 0 });

    const loaded = new LeaseState();
    loaded.load(store);
    expect(loaded.record('wan0', 4)).toEqual({ version: 4, state: 'expired-by-manager', lease: null, updatedAt: T + 1 });
    expect(loaded.order('wan0', 4)).toEqual(order(1n));
    expect(loaded.instanceOf('wan0')).toBe(1);
  });

  it('leaves memory unchanged when the store transaction fails', () => {
    const state = new LeaseState();
    const ok = state.begin();
    ok.instance('wan0');
    ok.stage('wan0', bound('10.0.0.2'), order(1n));
    ok.commit(store);

    const change = state.begin();
    change.instance('wan9');
    change.stage('wan0', bound('10.0.0.3', T + 1000), order(2n));
    change.event(event('wan0'));
    store.close();
    expect(() => change.commit(store)).toThrow(/not open/);
    expect(state.record('wan0', 4)).toEqual(bound('10.0.0.2'));
    expect(state.order('wan0', 4)).toEqual(order(1n));
    expect(state.instanceOf('wan9')).toBeUndefined();
    expect(state.nextExpiry()).toBe(T + 60_000);
    expect(state.active).toEqual({ v4: 1, v6: 0 });
  });

  it('refuses to commit one change twice', () => {
    const state = new LeaseState();
    const change = state.begin();
    change.commit(store);
    expect(() => change.commit(store)).toThrow('state change already committed');
  });
});
