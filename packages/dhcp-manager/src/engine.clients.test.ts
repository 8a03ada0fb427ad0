/** The engine's hooks for the client table: the interface cap, unconfigured rejects, client events and endLease. */
import { legacy, v4, v6 } from './__fixtures__/fixtures';
import { Harness, T0, harness, param } from './__fixtures__/harness';

describe('engine: client table hooks', () => {
  let h: Harness;
  afterEach(() => h.cleanup());

  it('refuses a new interface beyond maxInterfaces (TOO_MANY_INTERFACES) and keeps serving known ones', () => {
    h = harness({ maxInterfaces: 2 });
    const r = h.engine.ingestBatch([legacy(v4('wan0'), T0), legacy(v4('wan1'), T0), legacy(v4('wan2'), T0), legacy(v6('wan0'), T0)]);
    expect(r.map((x) => x.status)).toEqual(['applied', 'applied', 'rejected', 'applied']);
    expect(r[2]).toMatchObject({ reason: 'TOO_MANY_INTERFACES', ifname: 'wan2' });
    expect(h.engine.stats()).toMatchObject({ interfaces: 2, rejected: { TOO_MANY_INTERFACES: 1 } });
  });

  it('with a client table attached, refuses leases of interfaces without a client of that version (UNCONFIGURED_INTERFACE)', () => {
    h = harness({ interfaces: ['lan0'] });
    h.engine.attachClients({ client: () => undefined }, (ifname, version) => ifname === 'wan0' && version === 4);
    const r = h.engine.ingestBatch([legacy(v4('wan0'), T0), legacy(v6('wan0'), T0), legacy(v4('lan0'), T0)]);
    expect(r.map((x) => (x.status === 'rejected' ? x.reason : x.status))).toEqual(['IFNAME_NOT_ALLOWED', 'IFNAME_NOT_ALLOWED', 'applied']);
    h.cleanup();
    h = harness();
    h.engine.attachClients({ client: () => undefined }, (ifname, version) => ifname === 'wan0' && version === 4);
    const r2 = h.engine.ingestBatch([legacy(v4('wan0'), T0), legacy(v6('wan0'), T0), legacy(v4('wan9'), T0)]);
    expect(r2.map((x) => (x.status === 'rejected' ? x.reason : x.status))).toEqual(['applied', 'UNCONFIGURED_INTERFACE', 'UNCONFIGURED_INTERFACE']);
    expect(h.rejects.map((x) => x.reason)).toEqual(['UNCONFIGURED_INTERFACE', 'UNCONFIGURED_INTERFACE']);
  });

  it('keeps a reserved instance number and gives a taken one the next free number', () => {
    h = harness();
    h.engine.ingestBatch([legacy(v4('wan0'), T0)]);
    expect(h.engine.reserveInterface('erouter0', 1)).toBe(2);
    expect(h.engine.reserveInterface('wan7', 7)).toBe(7);
    expect(h.engine.reserveInterface('wan0', 5)).toBe(1);
    h = h.reopen();
    expect(h.engine.instanceOf('wan7')).toBe(7);
    expect(h.engine.instanceOf('erouter0')).toBe(2);
  });

  it('publishes client events and keeps them in history; endLease ends the lease with LEASE_DEL and clears the system', () => {
    h = harness();
    h.engine.ingestBatch([legacy(v4('wan0'), T0)]);
    h.engine.clientEvent(4, 'wan0', 'CLIENT_STOPPED', { pid: 42 }, 'stopped');
    const del = h.engine.endLease('wan0', 4, 'client-disabled');
    expect(del).toMatchObject({ msgTypeName: 'LEASE_DEL', msgType: 4, cause: 'client-disabled', tr181Event: 'Device.DHCPv4.Client.1.Events' });
    expect(h.events.map((e) => e.msgTypeName)).toEqual(['LEASE_UPDATE', 'CLIENT_STOPPED', 'LEASE_DEL']);
    expect(h.events[1]).toMatchObject({ msgType: 1, lease: { pid: 42 } });
    expect(h.changes.at(-1)).toMatchObject({ version: 4, ifname: 'wan0', action: 'clear' });
    expect(param(h.engine, 'Device.DHCPv4.Client.1.IPAddress')).toBe('');
    expect(h.engine.endLease('wan0', 4, 'client-disabled')).toBeUndefined();
    expect(h.engine.history('wan0').map((e) => e.msgTypeName)).toEqual(['LEASE_UPDATE', 'CLIENT_STOPPED', 'LEASE_DEL']);
  });
});
