import { addArgs, alreadyGone, oursExists, desiredItems, diff, Item } from './plan';

const v4 = { address: '192.168.77.120', prefixLength: 24, broadcast: '192.168.77.255', routers: ['192.168.77.1'], staticRoutes: '' };
const opts = { routes: true, metric: 20, lans: [{ ifname: 'br-lan', id: 0 }, { ifname: 'br-guest', id: 1 }] };
const cmds = (items: Item[]) => items.map(addArgs);

describe('what a lease puts on the system', () => {
  it('a v4 lease: the address, then the default route through the first router with the metric and proto dhcp', () => {
    expect(cmds(desiredItems('erouter0', v4, opts).items)).toEqual([
      ['addr', 'replace', '192.168.77.120/24', 'broadcast', '192.168.77.255', 'dev', 'erouter0'],
      ['route', 'add', 'default', 'via', '192.168.77.1', 'dev', 'erouter0', 'proto', 'dhcp', 'metric', '20'],
    ]);
    expect(cmds(desiredItems('erouter0', v4, { ...opts, routes: false }).items)).toHaveLength(1);
  });

  it('with option 121 the router option is not used; on-link routes go first', () => {
    const items = desiredItems('erouter0', { ...v4, staticRoutes: '10.99.0.0/16 192.168.77.1 10.50.0.0/16 0.0.0.0' }, opts).items;
    expect(cmds(items).slice(1)).toEqual([
      ['route', 'add', '10.50.0.0/16', 'scope', 'link', 'dev', 'erouter0', 'proto', 'dhcp', 'metric', '20'],
      ['route', 'add', '10.99.0.0/16', 'via', '192.168.77.1', 'dev', 'erouter0', 'proto', 'dhcp', 'metric', '20'],
    ]);
  });

  it('option 33 routes come with the router default route', () => {
    expect(cmds(desiredItems('erouter0', { ...v4, staticRoutes: '10.98.0.1/192.168.77.2' }, opts).items).slice(1)).toEqual([
      ['route', 'add', '10.98.0.1/32', 'via', '192.168.77.2', 'dev', 'erouter0', 'proto', 'dhcp', 'metric', '20'],
      ['route', 'add', 'default', 'via', '192.168.77.1', 'dev', 'erouter0', 'proto', 'dhcp', 'metric', '20'],
    ]);
  });

  it('a v6 lease: the IA_NA /128 and a /64 per LAN interface with the prefix lifetimes', () => {
    const d = desiredItems('erouter0', { na: { address: 'fd00:77::150', preferred: 8, valid: 12 }, pd: { prefix: 'fd00:77:100::', length: 56, preferred: 3600, valid: 0xffffffff } }, opts);
    expect(cmds(d.items)).toEqual([
      ['addr', 'replace', 'fd00:77::150/128', 'dev', 'erouter0', 'preferred_lft', '8', 'valid_lft', '12'],
      ['addr', 'replace', 'fd00:77:100::1/64', 'dev', 'br-lan', 'preferred_lft', '3600', 'valid_lft', 'forever'],
      ['addr', 'replace', 'fd00:77:100:1::1/64', 'dev', 'br-guest', 'preferred_lft', '3600', 'valid_lft', 'forever'],
    ]);
    expect(d.lanProblems).toEqual([]);
  });

  it('a /64 delegation gives only the first LAN interface its /64 and reports the other', () => {
    const d = desiredItems('erouter0', { pd: { prefix: 'fd00:77:100::', length: 64, preferred: 8, valid: 12 } }, opts);
    expect(d.items.map((i) => i.dev)).toEqual(['br-lan']);
    expect(d.lanProblems).toEqual([{ ifname: 'br-guest', id: 1, reason: 'delegated prefix fd00:77:100::/64 has 1 /64 subnets: subnet id 1 does not fit' }]);
  });

  it('lifetimes 0/0 (not given by stock dibbler) are kept forever', () => {
    expect(cmds(desiredItems('e0', { na: { address: 'fd00::5', preferred: 0, valid: 0 } }, opts).items)[0]).toEqual(['addr', 'replace', 'fd00::5/128', 'dev', 'e0', 'preferred_lft', 'forever', 'valid_lft', 'forever']);
  });
});

it('a route add that meets our own route is fine, a foreign one is a conflict', () => {
  const mine = desiredItems('erouter0', v4, opts).items;
  const argv = addArgs(mine[1]!);
  expect(oursExists(argv, 'RTNETLINK answers: File exists', mine)).toBe(true);
  expect(oursExists(argv, 'RTNETLINK answers: File exists', [])).toBe(false);
});

describe('from what we added to what is wanted', () => {
  const old = desiredItems('erouter0', { ...v4, staticRoutes: '10.99.0.0/16 192.168.77.1' }, opts).items;
  it('on lease end: routes deleted with their proto and metric, then the address', () => {
    expect(diff(old, [], 30).cmds).toEqual([
      ['route', 'del', '10.99.0.0/16', 'via', '192.168.77.1', 'dev', 'erouter0', 'proto', 'dhcp', 'metric', '20'],
      ['addr', 'del', '192.168.77.120/24', 'dev', 'erouter0'],
    ]);
  });

  it('on a new address: the old one goes before the new one comes, routes are replaced after', () => {
    const next = desiredItems('erouter0', { ...v4, address: '192.168.77.121', staticRoutes: '10.99.0.0/16 192.168.77.1' }, opts).items;
    expect(diff(old, next, 30).cmds.map((c) => c.slice(0, 3).join(' '))).toEqual([
      'addr del 192.168.77.120/24', 'addr replace 192.168.77.121/24', 'route add 10.99.0.0/16',
    ]);
  });

  it('a LAN /64 that goes is deprecated (preferred 0) for the hold time, or deleted with hold 0', () => {
    const lan = desiredItems('erouter0', { pd: { prefix: 'fd00:77:100::', length: 64, preferred: 8, valid: 12 } }, opts).items;
    const p = diff(lan, [], 30);
    expect(p.cmds).toEqual([['addr', 'replace', 'fd00:77:100::1/64', 'dev', 'br-lan', 'preferred_lft', '0', 'valid_lft', '30']]);
    expect(p.deprecated).toEqual(lan.map((i) => ({ ...i, until: expect.any(Number) })));
    expect(diff(lan, [], 0).cmds).toEqual([['addr', 'del', 'fd00:77:100::1/64', 'dev', 'br-lan']]);
  });

  it('never deprecates past the valid lifetime left, and deletes at once what is (nearly) invalid', () => {
    const [lan] = desiredItems('erouter0', { pd: { prefix: 'fd00:77:100::', length: 64, preferred: 8, valid: 12 } }, opts).items;
    expect(diff([{ ...lan!, until: 1000 + 5500 } as Item], [], 30, 1000).cmds).toEqual([['addr', 'replace', 'fd00:77:100::1/64', 'dev', 'br-lan', 'preferred_lft', '0', 'valid_lft', '5']]);
    expect(diff([{ ...lan!, until: 1000 + 500 } as Item], [], 30, 1000).cmds).toEqual([['addr', 'del', 'fd00:77:100::1/64', 'dev', 'br-lan']]);
  });

  it('treats a failed delete of something already gone as done, and nothing else', () => {
    expect(alreadyGone(['route', 'del', '10.0.0.0/8'], 'RTNETLINK answers: No such process')).toBe(true);
    expect(alreadyGone(['addr', 'del', '1.2.3.4/24'], 'Error: ipv4: Address not found.')).toBe(true);
    expect(alreadyGone(['addr', 'replace', '1.2.3.4/24'], 'Cannot find device "x"')).toBe(false);
    expect(alreadyGone(['addr', 'del', '1.2.3.4/24'], 'RTNETLINK answers: Operation not permitted')).toBe(false);
  });
});
