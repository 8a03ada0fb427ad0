/**
 * `dhcp-manager set PATH=VALUE...`: one PATCH /api/v1/tr181 with every pair, so the daemon
 * applies all or none. Values go as text; the daemon converts them to each parameter's type
 * (TR-069 lexical forms). The bearer token is read from --token-file (same file as the daemon's
 * --api-token-file). Exit 0 only when the whole write was applied; errors name their path.
 */
import { readFileSync } from 'fs';
import { fetchJson } from './client';
import type { Io } from './index';

export function parsePairs(pairs: string[]): { ok: true; values: Record<string, string> } | { ok: false; error: string } {
  const values: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) return { ok: false, error: `${JSON.stringify(p)}: expected PATH=VALUE` };
    const path = p.slice(0, eq);
    if (path in values) return { ok: false, error: `${path}: given twice` };
    values[path] = p.slice(eq + 1);
  }
  return { ok: true, values };
}

export async function setCommand(base: string, pairs: string[], tokenFile: string | undefined, io: Io): Promise<number> {
  const parsed = parsePairs(pairs);
  if (!parsed.ok) { io.stderr(`dhcp-manager: ${parsed.error}\n`); return 2; }
  let token: string | undefined;
  if (tokenFile) {
    try { token = readFileSync(tokenFile, 'utf8').trim(); } catch (err) {
      io.stderr(`dhcp-manager: cannot read --token-file ${JSON.stringify(tokenFile)}: ${(err as Error).message}\n`);
      return 1;
    }
  }
  try {
    const body = JSON.stringify(parsed.values);
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    if (token) headers.authorization = `Bearer ${token}`;
    const r = await fetchJson(base, '/api/v1/tr181', { method: 'PATCH', headers, body, timeoutMs: 30_000 });
    const b = r.body as { applied?: string[]; errors?: Array<{ path: string; error: string }>; error?: string };
    if (r.status === 200) {
      for (const p of b.applied ?? []) io.stdout(`${p}=${parsed.values[p]}\n`);
      return 0;
    }
    if (Array.isArray(b.errors)) for (const e of b.errors) io.stderr(`dhcp-manager: ${e.path || '(write)'}: ${e.error}\n`);
    else io.stderr(`dhcp-manager: ${b.error ?? JSON.stringify(r.body)} (HTTP ${r.status})\n`);
    io.stderr('dhcp-manager: nothing was changed\n');
    return 1;
  } catch (err) {
    io.stderr(`dhcp-manager: ${(err as Error).message}\n`);
    return 1;
  }
}
