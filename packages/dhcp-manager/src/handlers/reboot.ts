/**
 * Leases of another boot. CLOCK_MONOTONIC counts from each boot, and the kernel lost the
 * addresses with the boot, so at start every v4 lease, IA_NA and IA_PD received in another boot
 * (another boot id, or a monotonic time ahead of the clock, which also catches a host without a
 * boot id) is ended: LEASE_DEL with cause 'reboot'. Pure, like the other handlers: the engine
 * commits, publishes, and does not apply (there is nothing left on the system to remove).
 */
import type { LeaseRecord, MonoStamp, V4Record, V6Record } from '../model/types';
import { clearV4 } from './dhcpv4';
import { removeV6 } from './dhcpv6';
import type { HandlerOutput } from './types';

export const REBOOT_CAUSE = 'reboot';

/** The end of every record holding something of another boot; `at` is the wall time for display. */
export function endPreviousBoot(records: Iterable<{ ifname: string; record: LeaseRecord }>,
  boot: string, monoNow: number, at: number): Array<{ ifname: string; out: HandlerOutput }> {
  const other = (s: MonoStamp | null | undefined): boolean => !!s && (s.boot !== boot || s.obtainedMono > monoNow);
  const ends: Array<{ ifname: string; out: HandlerOutput }> = [];
  for (const { ifname, record: r } of records) {
    if (r.version === 4 && other(r.lease)) ends.push({ ifname, out: clearV4(ifname, r as V4Record, REBOOT_CAUSE, at) });
    if (r.version === 6 && (other(r.na) || other(r.pd))) {
      ends.push({ ifname, out: removeV6(ifname, r as V6Record, { na: other(r.na), pd: other(r.pd) }, REBOOT_CAUSE, at) });
    }
  }
  return ends;
}
