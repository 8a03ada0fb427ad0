/**
 * The spool: acked-channel request bytes (envelope + PLUGIN_MSG, exactly what the plugin would
 * have sent) written one file per event when the manager could not be reached. The manager
 * replays them in event order. Writes are atomic (temp file, fsync, rename, fsync of the
 * directory) so a power cut leaves either the whole file or none; readers ignore temp files.
 *
 * File names are `<wallUs>-<pid>-<monotonicNs>.msg`, zero-padded so that a plain name sort is a
 * good first guess of age and two events can never collide (pid + monotonic clock are unique
 * within a boot, wall clock across boots).
 */
import {
  closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, writeSync,
} from 'fs';
import { join } from 'path';
import { EnvelopeMeta, compareEvents, decodeEnvelope } from './envelope';

export const SPOOL_SUFFIX = '.msg';
const TMP_PREFIX = '.tmp-';

export interface SpoolEntry {
  path: string;
  name: string;
  /** Parsed from the file's envelope header; undefined when the file is not a valid envelope. */
  meta?: EnvelopeMeta;
  /** Why `meta` is missing (unreadable file, bad envelope). */
  error?: string;
}

export function spoolFileName(meta: EnvelopeMeta): string {
  return `${meta.wallUs.toString().padStart(20, '0')}-${String(meta.senderPid >>> 0).padStart(10, '0')}-`
    + `${meta.monotonicNs.toString().padStart(20, '0')}${SPOOL_SUFFIX}`;
}

/** Write `request` (an encoded envelope) atomically into `dir`; returns the final path. */
export function writeSpool(dir: string, request: Buffer, meta: EnvelopeMeta): string {
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  const name = spoolFileName(meta);
  const final = join(dir, name);
  const tmp = join(dir, `${TMP_PREFIX}${name}`);
  const fd = openSync(tmp, 'wx', 0o640);
  try {
    let off = 0;
    while (off < request.length) off += writeSync(fd, request, off, request.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, final);
  // The rename is durable only once the directory itself is on disk.
  const dfd = openSync(dir, 'r');
  try { fsyncSync(dfd); } finally { closeSync(dfd); }
  return final;
}

/**
 * The spooled events in `dir`, oldest first (compareEvents on the envelope header, then name).
 * Files whose header cannot be read come last, with `error` set, so the caller can move them
 * aside. A missing directory is an empty spool.
 */
export function listSpool(dir: string): SpoolEntry[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const entries: SpoolEntry[] = [];
  for (const name of names) {
    if (name.startsWith('.') || !name.endsWith(SPOOL_SUFFIX)) continue;
    const path = join(dir, name);
    try {
      const env = decodeEnvelope(readFileSync(path));
      entries.push({ path, name, meta: { bootId: env.bootId, monotonicNs: env.monotonicNs, wallUs: env.wallUs, senderPid: env.senderPid } });
    } catch (err) {
      entries.push({ path, name, error: (err as Error).message });
    }
  }
  return entries.sort((a, b) => {
    if (a.meta && b.meta) return compareEvents(a.meta, b.meta) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    if (a.meta) return -1;
    if (b.meta) return 1;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
}

/** The request bytes of one spooled event (pass them to decodeEnvelope). */
export function readSpool(path: string): Buffer {
  return readFileSync(path);
}

/** Remove a replayed event; a file already gone is not an error (two replayers raced). */
export function removeSpool(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
