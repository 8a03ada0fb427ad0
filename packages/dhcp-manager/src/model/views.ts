/**
 * Read views beside the TR-181 tree (tree.ts): one `leases()` row per (ifname, version), with
 * remaining lifetimes computed from the stored CLOCK_MONOTONIC deadlines at `monoNow`
 * (model/clock.ts), so a wall-clock step never changes them.
 */
import type { LeaseView } from '../contract';
import type { TreeSource } from './tree';
import { isActive, remaining } from './types';

export function leaseViews(src: Pick<TreeSource, 'interfaces' | 'record'>, monoNow: number): LeaseView[] {
  const out: LeaseView[] = [];
  for (const { ifname, instance } of src.interfaces()) {
    for (const version of [4, 6] as const) {
      const r = src.record(ifname, version);
      if (!r) continue;
      const view: LeaseView = { ifname, version, instance, status: isActive(r) ? 'bound' : 'none', state: r.state, addresses: [], dnsServers: [], updatedAt: r.updatedAt };
      if (r.version === 4 && r.lease) {
        const left = remaining(r.lease.expiresMono, monoNow);
        view.addresses.push({ kind: 'ipv4', value: `${r.lease.address}/${r.lease.prefixLength}`, preferredRemaining: left, validRemaining: left });
        view.dnsServers = r.lease.dnsServers;
      } else if (r.version === 6) {
        if (r.na) view.addresses.push({ kind: 'ia_na', value: `${r.na.address}/128`, preferredRemaining: remaining(r.na.preferredMono, monoNow), validRemaining: remaining(r.na.validMono, monoNow) });
        if (r.pd) view.addresses.push({ kind: 'ia_pd', value: `${r.pd.prefix}/${r.pd.length}`, preferredRemaining: remaining(r.pd.preferredMono, monoNow), validRemaining: remaining(r.pd.validMono, monoNow) });
        view.dnsServers = r.dnsServers;
      }
      out.push(view);
    }
  }
  return out;
}
