/**
 * The status page, rendered on the server: a complete snapshot that reads without JavaScript.
 * The small script (app.js) makes it live: countdowns tick, the event feed follows the SSE
 * stream, and on each event it fetches `/` again and swaps in the fresh interface cards and
 * counters, so there is one renderer (this file) for both. Everything is escaped; nothing is
 * fetched from another host. style.css and app.js sit beside this file (the build copies them
 * into dist/http/page/).
 */
import { INFINITE } from '@dhcpmgr/plugin-msg';
import { readFileSync } from 'fs';
import { join } from 'path';
import type { ApiSource } from '../server';

export interface Asset { type: string; body: Buffer }

const ASSETS: Record<string, string> = { 'style.css': 'text/css; charset=utf-8', 'app.js': 'text/javascript; charset=utf-8' };

/** Read once at start; a build that did not copy them fails here, loudly, instead of on a browser. */
export function loadPageAssets(dir = __dirname): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const [name, type] of Object.entries(ASSETS)) {
    try {
      out.set(name, { type, body: readFileSync(join(dir, name)) });
    } catch (err) {
      throw new Error(`status page asset ${join(dir, name)} is missing (the package build copies src/http/page/*.css|js into dist): ${(err as Error).message}`);
    }
  }
  return out;
}

export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `1h 02m 03s` style; -1 or null = infinite. */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || seconds < 0) return '∞';
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (h >= 48) return `${Math.floor(h / 24)}d ${h % 24}h`;
  return h ? `${h}h ${pad(m)}m ${pad(s % 60)}s` : `${m}m ${pad(s % 60)}s`;
}

interface View {
  ifname: string; version: 4 | 6; instance: number; status: string; state: string;
  addresses: Array<{ kind: string; value: string; preferredRemaining: number; validRemaining: number }>;
  dnsServers: string[]; updatedAt: number;
}
interface Ev { tr181Event: string; ifname: string; version: 4 | 6; msgTypeName: string; time: number; cause: string; lease: Record<string, any> }


/** T1, T2 and end of lifetime as epoch ms (null = infinite, undefined = unknown) from the last lease event. */
export function timers(v: View, last: Ev | undefined, now: number): { t1?: number | null; t2?: number | null; valid?: number | null } {
  const a = v.addresses[0];
  const valid = a ? (a.validRemaining < 0 ? null : now + a.validRemaining * 1000) : undefined;
  if (!last || v.status !== 'bound') return { valid };
  const at = (base: number, s: unknown) => (typeof s !== 'number' || s <= 0 ? undefined : s >= INFINITE ? null : base + s * 1000);
  if (v.version === 4) {
    const l = last.lease;
    const base = typeof l.obtainedAt === 'number' ? l.obtainedAt : last.time;
    const lease = typeof l.leaseTime === 'number' ? l.leaseTime : 0;
    // RFC 2131 4.4.5: without options 58/59 the client uses 0.5 and 0.875 of the lease time.
    return { t1: at(base, l.renewalTime || lease * 0.5), t2: at(base, l.rebindingTime || lease * 0.875), valid };
  }
  const ia = last.lease.iaNa ?? last.lease.iaPd;
  if (!ia) return { valid };
  return { t1: at(last.time, ia.t1), t2: at(last.time, ia.t2), valid };
}

function countdown(label: string, until: number | null | undefined, now: number): string {
  if (until === undefined) return '';
  const text = until === null ? '∞' : until <= now ? 'due' : duration((until - now) / 1000);
  return `<div class="timer"><span class="k">${label}</span><span class="cd" data-until="${until ?? ''}">${esc(text)}</span></div>`;
}

/** When the lease an event carries ends (epoch ms; null = infinite, undefined = no lease). */
function leaseEnd(e: Ev): number | null | undefined {
  if (e.msgTypeName === 'LEASE_DEL') return undefined;
  const l = e.lease ?? {};
  if (e.version === 4) return typeof l.expiresAt === 'number' || l.expiresAt === null ? l.expiresAt : undefined;
  const ia = l.iaNa ?? l.iaPd;
  return ia ? (typeof ia.validUntil === 'number' || ia.validUntil === null ? ia.validUntil : undefined) : undefined;
}

/**
 * Leases and renewals over the kept history, and the current lease ahead of now: a bar while a
 * lease holds (lighter where it is still to come), a tick per event, a line at now.
 */
export function timeline(events: Ev[], now: number): string {
  if (events.length === 0) return '<p class="empty">no history yet</p>';
  const W = 600;
  const H = 36;
  const start = Math.min(events[0]!.time, now - 5 * 60_000);
  const end = now + (now - start) / 3;
  const x = (t: number) => Math.round(((Math.min(Math.max(t, start), end) - start) / (end - start)) * (W - 4) + 2);
  const parts: string[] = [];
  events.forEach((e, i) => {
    const until = leaseEnd(e);
    if (until === undefined) return;
    const next = i + 1 < events.length ? events[i + 1]!.time : Infinity;
    const stop = Math.min(next, until ?? Infinity, end);
    const pastEnd = Math.min(stop, now);
    if (pastEnd > e.time) parts.push(`<rect class="bar" x="${x(e.time)}" y="12" width="${Math.max(1, x(pastEnd) - x(e.time))}" height="12"/>`);
    if (stop > now) parts.push(`<rect class="bar ahead" x="${x(now)}" y="12" width="${Math.max(1, x(stop) - x(now))}" height="12"/>`);
  });
  for (const e of events) {
    parts.push(`<line class="tick ${esc(e.msgTypeName)}" x1="${x(e.time)}" x2="${x(e.time)}" y1="4" y2="32"><title>${esc(new Date(e.time).toISOString())} ${esc(e.msgTypeName)} ${esc(e.cause)}</title></line>`);
  }
  parts.push(`<line class="now" x1="${x(now)}" x2="${x(now)}" y1="0" y2="${H}"/>`);
  const hhmm = (t: number) => new Date(t).toISOString().slice(11, 16);
  return `<figure class="timeline"><svg viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img" aria-label="lease timeline">${parts.join('')}</svg>`
    + `<figcaption><span>${hhmm(start)}</span><span>${events.length} event${events.length === 1 ? '' : 's'} · now ${hhmm(now)} UTC</span><span>${hhmm(end)}</span></figcaption></figure>`;
}

function card(v: View, events: Ev[], now: number): string {
  const mine = events.filter((e) => e.ifname === v.ifname && e.version === v.version);
  const t = timers(v, [...mine].reverse().find((e) => e.msgTypeName !== 'LEASE_DEL'), now);
  const path = `Device.DHCPv${v.version}.Client.${v.instance}.`;
  const addrs = v.addresses.map((a) => `<li><span class="kind">${esc(a.kind)}</span> <code>${esc(a.value)}</code></li>`).join('');
  return `<article class="iface" data-path="${esc(path)}" data-if="${esc(v.ifname)}">
<header><h2>${esc(v.ifname)} <small>DHCPv${v.version} · ${esc(path)}</small></h2><span class="badge ${v.status === 'bound' ? 'ok' : 'off'}">${esc(v.status)}</span></header>
<dl><dt>state</dt><dd class="state">${esc(v.state)}</dd>
<dt>${v.version === 4 ? 'address' : 'address / prefix'}</dt><dd><ul class="addrs">${addrs || '<li>none</li>'}</ul></dd>
<dt>DNS</dt><dd>${v.dnsServers.map((d) => `<code>${esc(d)}</code>`).join(' ') || 'none'}</dd></dl>
<div class="timers">${countdown('T1 renew', t.t1, now)}${countdown('T2 rebind', t.t2, now)}${countdown('lifetime', t.valid, now)}</div>
${timeline(mine, now)}
<div class="actions" hidden><button type="button" data-set="Renew" data-value="true">Renew</button><button type="button" data-set="Enable" data-value="true">Enable</button><button type="button" data-set="Enable" data-value="false" class="warn">Disable</button></div>
</article>`;
}

function counters(status: Record<string, any>): string {
  const e = status.engine ?? {};
  const c = status.counters ?? {};
  const rejected = Object.values(e.rejected ?? {}).reduce((n: number, x) => n + Number(x), 0);
  const tiles: Array<[string, unknown]> = [
    ['active v4', e.activeLeases?.v4 ?? 0], ['active v6', e.activeLeases?.v6 ?? 0], ['applied', e.applied ?? 0],
    ['duplicates', e.duplicates ?? 0], ['stale', e.stale ?? 0], ['expired', e.expired ?? 0], ['rejected', rejected],
    ['queue', status.queueDepth ?? 0], ['overload', c.overload ?? 0], ['applier ok', c.applierOk ?? 0], ['applier failed', c.applierFailed ?? 0],
  ];
  return tiles.map(([k, v]) => `<div class="tile"><span class="n">${esc(v)}</span><span class="k">${esc(k)}</span></div>`).join('');
}

export function feedItem(e: Ev): string {
  const l = e.lease ?? {};
  const addr = l.ipAddress ?? l.iaNa?.address ?? l.iaPd?.prefix ?? '';
  return `<li class="ev ${esc(e.msgTypeName)}"><time>${esc(new Date(e.time).toISOString().slice(11, 19))}</time> <b>${esc(e.ifname)}</b> v${esc(e.version)} <span class="type">${esc(e.msgTypeName)}</span> ${esc(e.cause)} <code>${esc(addr)}</code></li>`;
}

export function renderPage(api: ApiSource, now: number): string {
  const views = api.leases() as View[];
  const events = api.history(undefined, 500) as Ev[];
  const status = (api.status() ?? {}) as Record<string, any>;
  const cards = views.map((v) => card(v, events, now)).join('\n') || '<p class="empty">No DHCP client has reported a lease yet.</p>';
  const feed = events.slice(-30).reverse().map(feedItem).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>dhcpmgr status</title><link rel="stylesheet" href="/page/style.css"></head>
<body data-now="${now}">
<header class="top"><h1>dhcpmgr</h1><span class="meta">v${esc(status.version)} · pid ${esc(status.pid)} · up ${esc(duration(status.uptimeSeconds))} · ${esc(new Date(now).toISOString().slice(0, 19))}Z</span><span id="live" class="live">snapshot</span></header>
<main>
<section id="ifaces" aria-label="interfaces">${cards}</section>
<section aria-label="counters"><h2>Counters</h2><div id="counters" class="tiles">${counters(status)}</div></section>
<section aria-label="events"><h2>Events</h2><ol id="events" class="feed">${feed || '<li class="empty">none yet</li>'}</ol></section>
</main>
<p id="msg" role="status" aria-live="polite"></p>
<script src="/page/app.js" defer></script>
</body></html>
`;
}
