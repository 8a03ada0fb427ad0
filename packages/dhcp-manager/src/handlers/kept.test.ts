/**
 * A new record shares its predecessor's strings and lists where they did not change
 * (handlers/types.ts keptText), and takes the message's own where they did.
 */
import { v4, v6 } from '../__fixtures__/fixtures';
import type { EventTime } from '../model/clock';
import type { V4Record, V6Record } from '../model/types';
import { handleV4 } from './dhcpv4';
import { handleV6 } from './dhcpv6';

const BOOT = '0123456789abcdef0123456789abcdef';
const at = (k: number): EventTime => ({ wall: 1_700_000_000_000 + k * 1000, mono: 5_000.5 + k * 1000, boot: BOOT });
const none = new Set<string>();

describe('handlers: what a renewal keeps from the record held', () => {
  it('v4: the same lists and strings when unchanged, the message\'s when changed, times always new', () => {
    const first = handleV4(v4('wan0', { gateway: '192.168.77.1 192.168.77.2' }), undefined, at(0), none).record as V4Record;
    const renew = handleV4(v4('wan0', { gateway: '192.168.77.1 192.168.77.2', dhcpState: 'renew' }), first, at(1), none).record as V4Record;
    const a = first.lease!;
    const b = renew.lease!;
    expect(b.routers).toBe(a.routers);
    expect(b.dnsServers).toBe(a.dnsServers);
    expect(b.broadcast).toBe(a.broadcast);
    expect(b.obtainedMono).toBe(6000.5);
    expect(b.expiresMono).toBe(6000.5 + 120_000);
    const moved = handleV4(v4('wan0', { address: '192.168.77.131', gateway: '192.168.77.9', dnsServer: '192.168.77.99' }), renew, at(2), none).record as V4Record;
    expect(moved.lease).toMatchObject({ address: '192.168.77.131', broadcast: '192.168.77.255', routers: ['192.168.77.9'], dnsServers: ['192.168.77.99', '192.168.77.54'] });
    expect(moved.lease!.routers).not.toBe(b.routers);
  });

  it('v6: the same option lists, and the vendor option while it is unchanged', () => {
    const msg = () => {
      const m = v6('wan0');
      m.dhcpv6.vendor = { ...m.dhcpv6.vendor, assigned: true, data: '00:01', length: 2 };
      return m;
    };
    const first = handleV6(msg(), undefined, at(0), none).record as V6Record;
    const renew = handleV6(msg(), first, at(1), none).record as V6Record;
    expect(renew.dnsServers).toBe(first.dnsServers);
    expect(renew.domains).toBe(first.domains);
    expect(renew.ntpServers).toBe(first.ntpServers);
    expect(renew.vendor).toBe(first.vendor);
    expect(renew.na).not.toBe(first.na);
    expect(renew.na!.validMono).toBe(6000.5 + 30_000);
    const other = handleV6(v6('wan0', { dns: ['fd00:77::99', ''] }), renew, at(2), none).record as V6Record;
    expect(other.dnsServers).toEqual(['fd00:77::99']);
    expect(other.vendor).toBeNull();
    expect(other.domains).toBe(first.domains);
  });
});
