/**
 * The applier's ledger (`applied.json` in the state dir): per (interface, version) the lease it
 * applied, the items (addresses, routes) it added for it, and its DNS; plus LAN addresses being
 * deprecated. It is how we know what is ours: reconcile removes only ledger items, so addresses
 * and routes someone else added are never touched. Items are recorded before the commands that
 * add them run, so a crash mid-batch still leaves them listed. Written atomically.
 */
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import type { Item, LeaseInfo } from './plan';
import { writeAtomic } from './resolv';

export const LEDGER_FILE = 'applied.json';

export interface KeyState {
  ifname: string;
  version: 4 | 6;
  lease: LeaseInfo | null;
  items: Item[];
  dns: { servers: string[]; domains: string[] };
}

export interface LedgerData {
  version: 1;
  keys: Record<string, KeyState>;
  /** LAN addresses with preferred_lft 0, deleted at `until` (ms since epoch). */
  deprecated: Array<{ item: Item; until: number }>;
}

export const keyOf = (ifname: string, version: 4 | 6): string => `${ifname}/${version}`;

export class Ledger {
  data: LedgerData;
  readonly file: string;
  /** Why the previous file could not be read (then we start empty and say so). */
  readonly loadError?: string;

  constructor(stateDir: string) {
    this.file = join(stateDir, LEDGER_FILE);
    this.data = { version: 1, keys: {}, deprecated: [] };
    if (!existsSync(this.file)) return;
    try {
      const d = JSON.parse(readFileSync(this.file, 'utf8')) as LedgerData;
      if (d && d.version === 1 && typeof d.keys === 'object' && Array.isArray(d.deprecated)) this.data = d;
      else this.loadError = 'unknown ledger format';
    } catch (err) {
      this.loadError = (err as Error).message;
    }
  }

  save(): void {
    writeAtomic(this.file, `${JSON.stringify(this.data)}\n`);
  }
}
