import { mkdtempSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { V4Record } from '../model/types';
import { encodeRecord } from './record-codec';
import { Store, WAL_AUTOCHECKPOINT_PAGES, WAL_SIZE_LIMIT_BYTES } from './store';

describe('store: the -wal file', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-store-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is not truncated when a checkpoint lets the WAL start over: the COMMIT that reuses it does no file work', () => {
    const store = new Store({ stateDir: dir, durability: 'normal', historyPerInterface: 10 });
    try {
      const db = store.database;
      db.exec('CREATE TABLE filler (b BLOB)');
      const put = db.prepare('INSERT INTO filler (b) VALUES (?)');
      db.transaction(() => { for (let i = 0; i < 3000; i++) put.run(Buffer.alloc(4000, i % 251)); })();
      const wal = `${store.path}-wal`;
      const grown = statSync(wal).size;
      expect(grown).toBeGreaterThan(10 * 1024 * 1024);
      const [ckpt] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number; checkpointed: number }>;
      expect(ckpt!.checkpointed).toBe(ckpt!.log);
      put.run(Buffer.alloc(10)); // starts the WAL over from its first frame
      expect(statSync(wal).size).toBe(grown);
    } finally {
      store.close();
    }
  });

  it('keeps a WAL of wal_autocheckpoint pages under the size limit', () => {
    const store = new Store({ stateDir: dir, durability: 'normal', historyPerInterface: 10 });
    try {
      const pageSize = store.database.pragma('page_size', { simple: true }) as number;
      expect(store.database.pragma('journal_size_limit', { simple: true })).toBe(WAL_SIZE_LIMIT_BYTES);
      // WAL header (32 bytes), then per frame a 24-byte header and a page.
      expect(32 + WAL_AUTOCHECKPOINT_PAGES * (24 + pageSize)).toBeLessThan(WAL_SIZE_LIMIT_BYTES);
    } finally {
      store.close();
    }
  });
});

describe('store: lease rows', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-store-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const record: V4Record = { version: 4, state: 'deconfig', lease: null, updatedAt: 1_700_000_000_123 };
  const boot = Buffer.alloc(16, 7);

  it('keeps the ordering mark exactly, as decimal text, from 0 to the largest u64 the wire can carry', () => {
    const marks = [0n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n];
    let store = new Store({ stateDir: dir, durability: 'normal', historyPerInterface: 10 });
    store.transaction(() => marks.forEach((m, i) => store.putLease(`eth${i}`, 4, record, { bootId: boot, monotonicNs: m, wallUs: m })));
    const cols = store.database.prepare('SELECT order_mono, typeof(order_mono) AS t FROM leases ORDER BY ifname').all();
    expect(cols).toEqual(marks.map((m) => ({ order_mono: m.toString(), t: 'text' })));
    store.close();
    store = new Store({ stateDir: dir, durability: 'normal', historyPerInterface: 10 });
    const back = store.leases().sort((a, b) => a.ifname.localeCompare(b.ifname));
    expect(back.map((l) => [l.order!.monotonicNs, l.order!.wallUs])).toEqual(marks.map((m) => [m, m]));
    expect(back.map((l) => l.record)).toEqual(marks.map(() => record));
    store.close();
  });

  it('stores each record as the bytes of record-codec, the same for every row written in one transaction', () => {
    const store = new Store({ stateDir: dir, durability: 'normal', historyPerInterface: 10 });
    try {
      const other: V4Record = { ...record, state: 'leasefail', updatedAt: 5 };
      // Two rows bound from the one shared buffer in a row: each keeps its own bytes.
      store.transaction(() => { store.putLease('eth0', 4, record, null); store.putLease('eth1', 4, other, null); });
      const rows = store.database.prepare('SELECT record, typeof(record) AS t FROM leases ORDER BY ifname').all() as Array<{ record: Buffer; t: string }>;
      expect(rows.map((r) => r.t)).toEqual(['blob', 'blob']);
      expect(rows[0]!.record).toEqual(encodeRecord(record));
      expect(rows[1]!.record).toEqual(encodeRecord(other));
    } finally {
      store.close();
    }
  });
});
