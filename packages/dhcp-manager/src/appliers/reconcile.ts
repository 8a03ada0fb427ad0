/**
 * Reconcile at start: which leases of the ledger are still held by the restored model (and with
 * what lifetimes left), which have ended meanwhile, and which bound leases the ledger does not
 * know (the manager stopped between commit and apply). Pure: the applier turns the answer into
 * commands with plan.ts's diff, which removes only what the ledger lists.
 */
import { INFINITE } from '@dhcpmgr/plugin-msg';
import type { LeaseView, ModelView } from '../contract';
import { keyOf, KeyState } from './ledger';
import { isV4Info, LeaseInfo, V4Info, V6Info } from './plan';
import { ipv4ToInt } from './routes';


export interface Target {
  key: string;
  ifname: string;
  version: 4 | 6;
  /** null: the lease ended; everything the ledger lists for it goes. */
  lease: LeaseInfo | null;
  dns: { servers: string[]; domains: string[] };
}

const secs = (remaining: number): number => (remaining < 0 ? INFINITE : Math.max(0, Math.floor(remaining)));

function broadcastOf(address: string, len: number): string {
  const host = len >= 32 ? 0 : 2 ** (32 - len) - 1;
  const a = ipv4ToInt(address);
  const b = (a - (a % (host + 1)) + host) >>> 0;
  return [b >>> 24, (b >>> 16) & 255, (b >>> 8) & 255, b & 255].join('.');
}

function param(model: ModelView, path: string): string {
  const r = model.get([path]);
  return r.ok && r.values[0] ? String(r.values[0].value) : '';
}

/** A v4 lease as the model holds it: address from the view, routers and routes from TR-181. */
function v4FromModel(view: LeaseView, model: ModelView): V4Info | null {
  const a = view.addresses.find((x) => x.kind === 'ipv4');
  if (!a) return null;
  const [address, len] = a.value.split('/');
  const p = `Device.DHCPv4.Client.${view.instance}.`;
  const routers = param(model, `${p}IPRouters`).split(',').filter(Boolean);
  return { address: address!, prefixLength: Number(len), broadcast: broadcastOf(address!, Number(len)), routers, staticRoutes: param(model, `${p}X_DHCPMGR_StaticRoutes`) };
}

function v6FromView(view: LeaseView, ledger: V6Info | null): V6Info | null {
  const out: V6Info = {};
  for (const a of view.addresses) {
    // Its valid lifetime ran out while we were down; the manager's expiry is about to remove it.
    if (a.validRemaining === 0) continue;
    const [addr, len] = a.value.split('/');
    const lifetimes = { preferred: secs(a.preferredRemaining), valid: secs(a.validRemaining) };
    // Stock dibbler's "not given" (0/0) stays "not given": the ledger's 0/0 is kept as it was.
    const keep = (l: { preferred: number; valid: number } | undefined) => (l && l.preferred === 0 && l.valid === 0 ? { preferred: 0, valid: 0 } : lifetimes);
    if (a.kind === 'ia_na') out.na = { address: addr!, ...keep(ledger?.na) };
    if (a.kind === 'ia_pd') out.pd = { prefix: addr!, length: Number(len), ...keep(ledger?.pd) };
  }
  return out.na || out.pd ? out : null;
}

export function reconcileTargets(keys: Readonly<Record<string, KeyState>>, model: ModelView): Target[] {
  const views = model.leases();
  const out: Target[] = [];
  const seen = new Set<string>();
  for (const view of views) {
    if (view.status !== 'bound') continue;
    const key = keyOf(view.ifname, view.version);
    const had = keys[key];
    seen.add(key);
    if (view.version === 4) {
      const lease = v4FromModel(view, model);
      out.push({ key, ifname: view.ifname, version: 4, lease, dns: { servers: [...view.dnsServers], domains: [] } });
    } else {
      const prev = had?.lease && !isV4Info(had.lease) ? had.lease : null;
      const lease = v6FromView(view, prev);
      out.push({ key, ifname: view.ifname, version: 6, lease, dns: { servers: [...view.dnsServers], domains: had?.dns.domains ?? [] } });
    }
  }
  for (const [key, had] of Object.entries(keys)) {
    if (seen.has(key)) continue;
    out.push({ key, ifname: had.ifname, version: had.version, lease: null, dns: { servers: [], domains: [] } });
  }
  return out;
}
