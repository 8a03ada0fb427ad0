/**
 * The daemon with `--apply iproute2` inside a network namespace this test creates: a committed
 * lease shows up on the real interface; a failing `ip` is counted and listed in status while the
 * model keeps the lease. The namespace is deleted afterwards, whatever happened.
 */
import { execFileSync } from 'child_process';
import { acked, cleanup, endpoints, Endpoints, httpJson, requireBuilt, startDaemon, stop, tr181, v4, waitFor } from './__fixtures__/daemon-harness';

jest.setTimeout(30000);
const NS = `dhcpmgr-dapply-${process.pid}`;
const ip = (...args: string[]) => execFileSync('ip', ['-n', NS, ...args], { encoding: 'utf8' });

describe('dhcp-manager daemon --apply iproute2', () => {
  let e: Endpoints;
  beforeAll(() => {
    requireBuilt();
    execFileSync('ip', ['netns', 'add', NS]);
    ip('link', 'add', 'wan0', 'type', 'veth', 'peer', 'name', 'wan0peer');
    ip('link', 'set', 'wan0', 'up');
    e = endpoints(25200 + Math.floor(Math.random() * 30), 'dhcpmgr-apply-');
  });
  afterAll(() => {
    cleanup(e);
    try { execFileSync('ip', ['netns', 'del', NS]); } catch { /* already gone */ }
  });

  it('configures the interface after the commit and reports a failing ip command without losing the lease', async () => {
    const d = await startDaemon(e, ['--apply', 'iproute2', '--apply-netns', NS, '--apply-routes']);
    expect((await acked(e, v4('wan0', 'bound'))).status).toBe('applied');
    await waitFor('address on wan0', () => (ip('-4', 'addr', 'show', 'dev', 'wan0').includes('inet 192.0.2.10/24 brd 192.0.2.255') ? true : undefined));
    // The route is a second `ip` command after the address: wait for it too.
    await waitFor('default route via wan0', () => (ip('-4', 'route', 'show', 'default').includes('default via 192.0.2.1 dev wan0') ? true : undefined));

    expect((await acked(e, v4('absent0', 'bound'))).status).toBe('applied');
    const status = await waitFor('applier failure in status', async () => {
      const s = (await httpJson(e.port, '/api/v1/status')).body;
      return s.counters.applierFailed > 0 ? s : undefined;
    });
    expect(status.apply).toBe('iproute2');
    expect(status.lastErrors.some((x: { where: string; message: string }) => x.where === 'applier' && x.message.includes('absent0'))).toBe(true);
    expect((await httpJson(e.port, '/metrics')).body).toMatch(/dhcpmgr_applier_total\{result="failed"\} 1/);
    const v = await tr181(e.port, 'Device.DHCPv4.Client.');
    expect(Object.entries(v).some(([k, val]) => k.endsWith('X_DHCPMGR_IfName') && val === 'absent0')).toBe(true);

    expect((await acked(e, v4('wan0', 'deconfig'))).status).toBe('applied');
    await waitFor('address removed', () => (!ip('-4', 'addr', 'show', 'dev', 'wan0').includes('192.0.2.10') ? true : undefined));
    expect((await stop(d)).code).toBe(0);
  });
});
