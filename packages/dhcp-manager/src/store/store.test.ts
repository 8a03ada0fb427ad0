import { mkdtempSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
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
