import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { legacy, v4 } from './__fixtures__/fixtures';
import { Harness, T0, harness, param } from './__fixtures__/harness';

describe('engine: the state dir vanishing while running', () => {
  let base: string;
  let h: Harness;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'dhcpmgr-statedir-'));
    mkdirSync(join(base, 'vol'));
    h = harness({}, join(base, 'vol', 'state'));
  });
  afterEach(() => { h.store.close(); rmSync(base, { recursive: true, force: true }); });

  it('creates the dir again, writes the model into a new store and applies the batch', () => {
    h.engine.ingestBatch([legacy(v4('wan0', { leaseTime: 500 }), T0), legacy(v4('wan1'), T0)]);
    rmSync(h.stateDir, { recursive: true });
    expect(h.engine.ingestBatch([legacy(v4('wan1', { leaseTime: 700 }), T0)])[0]!.status).toBe('applied');
    expect(existsSync(join(h.stateDir, 'dhcpmgr.sqlite'))).toBe(true);
    expect(h.logLines.some((l) => l.includes('store reopened at its path'))).toBe(true);
    h = h.reopen();
    expect(param(h.engine, 'Device.DHCPv4.Client.1.X_DHCPMGR_LeaseTime')).toBe(500);
    expect(param(h.engine, 'Device.DHCPv4.Client.2.X_DHCPMGR_LeaseTime')).toBe(700);
    expect(h.engine.history('wan1').map((e) => e.lease.leaseTime)).toEqual([700]);
  });

  it('answers unavailable while the parent is gone too (never creating the chain), and recovers once it is back', () => {
    h.engine.ingestBatch([legacy(v4('wan0'), T0)]);
    rmSync(join(base, 'vol'), { recursive: true });
    const [r] = h.engine.ingestBatch([legacy(v4('wan0', { leaseTime: 300 }), T0)]);
    expect(r).toMatchObject({ status: 'unavailable', detail: expect.stringMatching(/is gone .*cannot create it again/) });
    expect(existsSync(join(base, 'vol'))).toBe(false);
    expect(h.engine.stats().storeHealthy).toBe(false);
    expect(param(h.engine, 'Device.DHCPv4.Client.1.X_DHCPMGR_LeaseTime')).toBe(120);
    mkdirSync(join(base, 'vol'));
    expect(h.engine.ingestBatch([legacy(v4('wan0', { leaseTime: 300 }), T0)])[0]!.status).toBe('applied');
    expect(h.engine.stats().storeHealthy).toBe(true);
    h = h.reopen();
    expect(param(h.engine, 'Device.DHCPv4.Client.1.X_DHCPMGR_LeaseTime')).toBe(300);
  });

  it('keeps an expiry that could not be committed and does it once the store is back', () => {
    h.engine.ingestBatch([legacy(v4('wan0', { leaseTime: 10, renewalTime: 5, rebindingTime: 8 }), T0)]);
    rmSync(join(base, 'vol'), { recursive: true });
    h.clock.now = T0 + 11_000;
    expect(h.engine.expireDue()).toEqual([]);
    mkdirSync(join(base, 'vol'));
    expect(h.engine.expireDue().map((e) => e.cause)).toEqual(['expired-by-manager']);
  });
});
