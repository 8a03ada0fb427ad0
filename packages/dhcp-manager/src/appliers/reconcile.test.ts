import type { LeaseView, ModelView, ParamValue } from '../contract';
import type { KeyState } from './ledger';
import { reconcileTargets } from './reconcile';

function model(views: LeaseView[], params: Record<string, string> = {}): ModelView {
  return {
    leases: () => views,
    get: (paths) => ({ ok: true, values: paths.filter((p) => p in params).map((p): ParamValue => ({ path: p, value: params[p]!, type: 'string' })) }),
  };
}

const view = (over: Partial<LeaseView>): LeaseView => ({ ifname: 'erouter0', version: 4, instance: 1, status: 'bound', state: 'bound', addresses: [], dnsServers: [], updatedAt: 0, ...over });
const v4State: KeyState = {
  ifname: 'erouter0', version: 4,
  lease: { address: '192.168.77.120', prefixLength: 24, broadcast: '192.168.77.255', routers: ['192.168.77.1'], staticRoutes: '' },
  items: [{ kind: 'addr', dev: 'erouter0', cidr: '192.168.77.120/24' }], dns: { servers: ['192.168.77.53'], domains: [] },
};

describe('reconcile at start', () => {
  it('a lease that ended meanwhile: its ledger entry becomes a removal', () => {
    expect(reconcileTargets({ 'erouter0/4': v4State }, model([view({ status: 'none' })]))).toEqual([
      { key: 'erouter0/4', ifname: 'erouter0', version: 4, lease: null, dns: { servers: [], domains: [] } },
    ]);
  });

  it('a lease still held: rebuilt from the model (address, routers, static routes, DNS)', () => {
    const m = model([view({ addresses: [{ kind: 'ipv4', value: '192.168.77.121/24', preferredRemaining: 90, validRemaining: 90 }], dnsServers: ['192.168.77.53'] })],
      { 'Device.DHCPv4.Client.1.IPRouters': '192.168.77.1', 'Device.DHCPv4.Client.1.X_DHCPMGR_StaticRoutes': '10.99.0.0/16 192.168.77.1' });
    expect(reconcileTargets({ 'erouter0/4': v4State }, m)).toEqual([{
      key: 'erouter0/4', ifname: 'erouter0', version: 4,
      lease: { address: '192.168.77.121', prefixLength: 24, broadcast: '192.168.77.255', routers: ['192.168.77.1'], staticRoutes: '10.99.0.0/16 192.168.77.1' },
      dns: { servers: ['192.168.77.53'], domains: [] },
    }]);
  });

  it('a v6 lease still held: the lifetimes left, the domains from the ledger; a bound lease the ledger lacks is added', () => {
    const v6State: KeyState = { ifname: 'erouter0', version: 6, lease: { pd: { prefix: 'fd00:77:100::', length: 64, preferred: 8, valid: 12 } }, items: [], dns: { servers: [], domains: ['lab.test'] } };
    const m = model([
      view({ version: 6, addresses: [{ kind: 'ia_pd', value: 'fd00:77:100::/64', preferredRemaining: 5, validRemaining: -1 }], dnsServers: ['fd00:77::53'] }),
      view({ ifname: 'wan2', instance: 2, version: 6, addresses: [{ kind: 'ia_na', value: 'fd00:78::5/128', preferredRemaining: 7, validRemaining: 9 }] }),
    ]);
    expect(reconcileTargets({ 'erouter0/6': v6State }, m)).toEqual([
      { key: 'erouter0/6', ifname: 'erouter0', version: 6, lease: { pd: { prefix: 'fd00:77:100::', length: 64, preferred: 5, valid: 0xffffffff } }, dns: { servers: ['fd00:77::53'], domains: ['lab.test'] } },
      { key: 'wan2/6', ifname: 'wan2', version: 6, lease: { na: { address: 'fd00:78::5', preferred: 7, valid: 9 } }, dns: { servers: [], domains: [] } },
    ]);
  });
});
