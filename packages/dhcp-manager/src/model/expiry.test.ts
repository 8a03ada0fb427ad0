import { ExpiryQueue } from './expiry';
import { LeaseRecord, V4Record, V6Record, recordKey } from './types';

const BOOT = '0123456789abcdef0123456789abcdef';
function v4(expiresMono: number | null): V4Record {
  return {
    version: 4, state: 'bound', updatedAt: 0,
    lease: {
      address: '10.0.0.2', netmask: '255.255.255.0', prefixLength: 24, broadcast: '10.0.0.255', routers: [], dnsServers: [], dhcpServer: '',
      leaseTime: 1, renewalTime: 1, rebindingTime: 1, boot: BOOT, obtainedMono: 0, expiresMono, obtainedAt: 0, expiresAt: null,
      timeOffset: null, timeZone: '', mtu: null, sipServer: '', staticRoutes: '', upstreamRate: 0, downstreamRate: 0,
    },
  };
}
function ia(validMono: number) {
  return { iaid: 1, preferred: 1, valid: 1, t1: 0, t2: 0, boot: BOOT, obtainedMono: 0, preferredMono: null, validMono, obtainedAt: 0, preferredUntil: null, validUntil: null };
}
function v6(na: number | null, pd: number | null): V6Record {
  return {
    version: 6, state: 'update', updatedAt: 0, dnsServers: [], domains: [], ntpServers: [], aftr: '', mapt: '', vendor: null, timeOffset: 0,
    na: na === null ? null : { address: 'fd00::2', ...ia(na) }, pd: pd === null ? null : { prefix: 'fd00:1::', length: 56, ...ia(pd) },
  };
}
const track = (q: ExpiryQueue, ifname: string, r: LeaseRecord) => q.track(recordKey(ifname, r.version), ifname, r);

describe('expiry queue', () => {
  it('moves a record\'s entry to its new time, later or earlier, and drops it when the lease goes', () => {
    const q = new ExpiryQueue();
    track(q, 'a', v4(100));
    track(q, 'b', v4(200));
    expect(q.next()).toBe(100);
    track(q, 'a', v4(300));
    expect([q.size, q.next()]).toEqual([2, 200]);
    track(q, 'b', v4(400));
    expect(q.next()).toBe(300);
    track(q, 'b', v4(50));
    expect([q.size, q.next()]).toEqual([2, 50]);
    track(q, 'b', { version: 4, state: 'deconfig', lease: null, updatedAt: 0 });
    expect([q.size, q.next()]).toEqual([1, 300]);
    track(q, 'a', v4(null));
    expect([q.size, q.next()]).toEqual([0, undefined]);
  });

  it('keeps a v6 record\'s address and prefix apart, takes what is due earliest first, and restores what it gave', () => {
    const q = new ExpiryQueue();
    track(q, 'a', v6(30, 300));
    track(q, 'b', v6(null, 20));
    const due = q.takeDue(30);
    expect(due).toEqual([{ at: 20, ifname: 'b', version: 6, slot: 'pd' }, { at: 30, ifname: 'a', version: 6, slot: 'na' }]);
    expect([q.size, q.next()]).toEqual([1, 300]);
    q.restore(due);
    q.restore(due);
    expect([q.size, q.next()]).toEqual([3, 20]);
    // A restored entry moves like any other.
    track(q, 'b', v6(null, 500));
    expect(q.takeDue(1000).map((d) => `${d.ifname}:${d.slot}:${d.at}`)).toEqual(['a:na:30', 'a:pd:300', 'b:pd:500']);
  });

  it('agrees with a plain list over thousands of random changes, removals and takes', () => {
    const q = new ExpiryQueue();
    const truth = new Map<string, number>();
    let seed = 7;
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
    let now = 0;
    for (let step = 0; step < 5000; step++) {
      const ifname = `if${rnd(50)}`;
      const at = rnd(10) === 0 ? null : now + 1 + rnd(1000);
      if (rnd(2) === 0) {
        track(q, ifname, v4(at));
        if (at === null) truth.delete(`${ifname}:v4`); else truth.set(`${ifname}:v4`, at);
      } else {
        const pd = rnd(3) === 0 ? null : now + 1 + rnd(1000);
        track(q, ifname, v6(at, pd));
        for (const [slot, t] of [['na', at], ['pd', pd]] as const) {
          if (t === null) truth.delete(`${ifname}:${slot}`); else truth.set(`${ifname}:${slot}`, t);
        }
      }
      if (step % 97 === 0) {
        now += 200;
        const taken = q.takeDue(now).map((d) => `${d.ifname}:${d.slot}`);
        const want = [...truth].filter(([, t]) => t <= now).sort((a, b) => a[1] - b[1]);
        expect(taken.sort()).toEqual(want.map(([k]) => k).sort());
        for (const [k] of want) truth.delete(k);
      }
      expect(q.size).toBe(truth.size);
      expect(q.next()).toBe(truth.size === 0 ? undefined : Math.min(...truth.values()));
    }
  });
});
