/**
 * Spool replay. A plugin that could not get an acknowledgement in time writes the envelope bytes
 * atomically (temp file + rename) into the spool dir. We replay files oldest event first
 * (compareEvents on the envelope header, not file times), delete a file only after its event is
 * committed (applied, duplicate or stale), and move rejects to `rejected/`. A crash between
 * commit and delete replays the file again; the engine's ordering check answers `duplicate`, so
 * nothing is applied twice.
 */
import { existsSync, mkdirSync, renameSync, watch, FSWatcher } from 'fs';
import { join } from 'path';
import { decodeEnvelope, listSpool, readSpool, removeSpool, Envelope } from '@dhcpmgr/plugin-msg';
import type { Ingest, IngestResult } from '../contract';
import type { BatchIngest, IngestQueue } from './queue';

export const REJECTED_DIR = 'rejected';

export interface SpoolFile {
  name: string;
  path: string;
  envelope: Envelope;
}

/**
 * Read the spool (file naming and ordering are plugin-msg's `listSpool`: `*.msg`, temp files
 * ignored, oldest event first). Files that are not envelopes come back in `invalid`.
 */
export function readSpoolDir(dir: string, key?: Buffer, requireAuth = false): { files: SpoolFile[]; invalid: Array<{ name: string; path: string; error: string }> } {
  const files: SpoolFile[] = [];
  const invalid: Array<{ name: string; path: string; error: string }> = [];
  for (const e of listSpool(dir)) {
    if (e.error !== undefined) {
      invalid.push({ name: e.name, path: e.path, error: e.error });
      continue;
    }
    let bytes: Buffer;
    try {
      bytes = readSpool(e.path);
    } catch {
      continue; // Removed between listing and reading: another replay took it.
    }
    try {
      files.push({ name: e.name, path: e.path, envelope: decodeEnvelope(bytes, key, requireAuth) });
    } catch (err) {
      invalid.push({ name: e.name, path: e.path, error: (err as Error).message });
    }
  }
  return { files, invalid };
}

export interface SpoolCounters {
  replayed(status: IngestResult['status']): void;
  rejectedFile(name: string, why: string): void;
}

function toIngest(e: SpoolFile): Ingest {
  const { bootId, monotonicNs, wallUs, senderPid } = e.envelope;
  return { frame: e.envelope.payload, channel: 'spool', receivedAt: Date.now(), order: { bootId, monotonicNs, wallUs, senderPid }, authenticated: e.envelope.authenticated };
}

export class Spool {
  private readonly inFlight = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;

  constructor(
    private readonly dir: string,
    private readonly counters: SpoolCounters,
    private readonly auth: { key?: Buffer; requireAuth: boolean } = { requireAuth: false },
  ) {}

  /**
   * At start, before any socket is bound: commit every spooled event in order, synchronously.
   * `durable` (--durability full) makes each batch's commit durable before its files are removed;
   * when it fails the replay stops and the files stay for the next attempt.
   */
  replayNow(engine: BatchIngest, batchSize: number, durable?: () => Error | undefined): { replayed: number; left: number } {
    const { files: entries, invalid } = readSpoolDir(this.dir, this.auth.key, this.auth.requireAuth);
    for (const f of invalid) this.reject(f.path, f.name, f.error);
    let replayed = 0;
    for (let i = 0; i < entries.length; i += batchSize) {
      const batch = entries.slice(i, i + batchSize);
      const results = engine.ingestBatch(batch.map(toIngest));
      if (durable?.()) return { replayed, left: entries.length - i };
      for (let k = 0; k < batch.length; k++) {
        const r = results[k]!;
        if (r.status === 'unavailable') return { replayed, left: entries.length - i - k };
        this.settle(batch[k]!, r);
        replayed++;
      }
    }
    return { replayed, left: 0 };
  }

  /** While running: queue files not yet in flight; each is removed after its own commit. */
  scan(queue: IngestQueue): void {
    const { files: entries, invalid } = readSpoolDir(this.dir, this.auth.key, this.auth.requireAuth);
    for (const f of invalid) this.reject(f.path, f.name, f.error);
    for (const e of entries) {
      if (this.inFlight.has(e.name)) continue;
      this.inFlight.add(e.name);
      const ok = queue.offer({
        ingest: toIngest(e),
        done: (r) => {
          this.inFlight.delete(e.name);
          if (r.status !== 'unavailable') this.settle(e, r);
        },
      });
      if (!ok) {
        this.inFlight.delete(e.name);
        return; // Full: the next scan takes the rest, still in order.
      }
    }
  }

  /** Rescan every `intervalMs`, and soon after the directory changes. */
  watch(queue: IngestQueue, intervalMs: number): void {
    this.timer = setInterval(() => this.scan(queue), intervalMs);
    this.timer.unref();
    try {
      if (!existsSync(this.dir)) mkdirSync(this.dir, { recursive: true });
      let pending: NodeJS.Timeout | undefined;
      this.watcher = watch(this.dir, () => {
        // Renames arrive as a burst of events; one scan shortly after is enough.
        pending ??= setTimeout(() => { pending = undefined; this.scan(queue); }, 20);
      });
      this.watcher.on('error', () => undefined);
    } catch {
      // No watch (or no dir yet): the interval still finds the files.
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.watcher?.close();
  }

  private settle(e: SpoolFile, r: IngestResult): void {
    this.counters.replayed(r.status);
    if (r.status === 'rejected') this.reject(e.path, e.name, `${r.reason}: ${r.detail}`);
    else this.remove(e.path);
  }

  private remove(path: string): void {
    try {
      removeSpool(path);
    } catch {
      // Cannot delete (permissions): the next replay answers duplicate for it.
    }
  }

  private reject(path: string, name: string, why: string): void {
    const dest = join(this.dir, REJECTED_DIR);
    try {
      mkdirSync(dest, { recursive: true });
      renameSync(path, join(dest, name));
    } catch {
      this.remove(path);
    }
    this.counters.rejectedFile(name, why);
  }
}
