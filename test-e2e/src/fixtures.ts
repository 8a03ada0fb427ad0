/**
 * Real captures (argv + environment of one script call by busybox udhcpc 1.35 / dibbler-client
 * 1.0.1 in the lab), copied into test-e2e/fixtures so the suite needs nothing outside the repo.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Capture, readCapture } from '@dhcpmgr/plugin-msg/testing';

export type { Capture };

/** A capture in test-e2e/fixtures, without the recorded PWD (the run's own applies). */
export function loadCapture(name: string): Capture {
  const c = readCapture(path.join(__dirname, '..', 'fixtures', name));
  delete c.env.PWD;
  return c;
}

/** What dibbler is known to rewrite on the host, and its state dirs. */
export const HOST_FILES = ['/etc/resolv.conf', '/etc/ntp.conf', '/etc/localtime', '/etc/dibbler', '/var/lib/dibbler', '/var/log/dibbler'];

/** A fingerprint of each path: absent, a symlink and its target, a file's SHA-256, a dir's listing. */
export function snapshotHostFiles(): Record<string, string> {
  const snap: Record<string, string> = {};
  const one = (p: string): string => {
    let st: fs.Stats;
    try { st = fs.lstatSync(p); } catch { return 'absent'; }
    if (st.isSymbolicLink()) return `symlink -> ${fs.readlinkSync(p)}`;
    if (st.isDirectory()) {
      return `dir [${fs.readdirSync(p).sort().map((e) => `${e}:${one(path.join(p, e))}`).join(', ')}]`;
    }
    return `sha256 ${crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex')} mtime ${st.mtimeMs}`;
  };
  for (const p of HOST_FILES) snap[p] = one(p);
  return snap;
}
