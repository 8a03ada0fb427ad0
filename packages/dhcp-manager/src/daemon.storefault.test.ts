/**
 * The real daemon started on a state dir holding a bad store: it must start (no crash loop),
 * move the bad files aside with a timestamp, say so (error log, status, metric), and take the
 * next lease into a fresh store. One case per fault: truncated file, random bytes, a schema
 * newer than this build, a WAL that belongs to another database.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync, copyFileSync } from 'fs';
import { join } from 'path';
import { acked, cleanup, endpoints, Endpoints, httpJson, requireBuilt, startDaemon, stop, tr181, v4 } from './__fixtures__/daemon-harness';

jest.setTimeout(40000);
const IP = 'Device.DHCPv4.Client.1.IPAddress';
const DB = 'dhcpmgr.sqlite';
const ALLOW = ['--interfaces', 'wan0'];

/** A store written by the daemon itself: one lease for wan0 (192.0.2.10), then a clean stop. */
async function seed(e: Endpoints): Promise<void> {
  const d = await startDaemon(e, ALLOW);
  expect((await acked(e, v4('wan0', 'bound', { leaseTime: 600, renewalTime: 300, rebindingTime: 525 }))).status).toBe('applied');
  expect((await stop(d)).code).toBe(0);
}

const FAULTS: Array<[string, 'corrupt' | 'newer-schema' | 'foreign-wal', (e: Endpoints) => Promise<void>]> = [
  ['a truncated file', 'corrupt', async (e) => {
    await seed(e);
    const f = join(e.state, DB);
    truncateSync(f, Math.floor(statSync(f).size / 2) + 100);
  }],
  ['random bytes', 'corrupt', async (e) => {
    mkdirSync(e.state, { recursive: true });
    writeFileSync(join(e.state, DB), randomBytes(64 * 1024));
  }],
  ['a schema newer than this build', 'newer-schema', async (e) => {
    await seed(e);
    const db = new Database(join(e.state, DB));
    db.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
    db.close();
  }],
  ['a WAL that belongs to another database', 'foreign-wal', async (e) => {
    await seed(e);
    const other = join(e.dir, 'other.sqlite');
    const db = new Database(other);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE other (v TEXT)');
    for (let i = 0; i < 50; i++) db.prepare('INSERT INTO other VALUES (?)').run('x'.repeat(500));
    copyFileSync(`${other}-wal`, join(e.state, `${DB}-wal`));
    db.close();
  }],
];

describe('dhcp-manager daemon: a bad store at start', () => {
  let e: Endpoints;
  beforeAll(() => requireBuilt());
  beforeEach(() => { e = endpoints(22000 + Math.floor(Math.random() * 100), 'dhcpmgr-storefault-'); });
  afterEach(() => cleanup(e));

  it.each(FAULTS)('starts with an empty model on %s, moves it aside, reports it, and takes the next lease', async (_name, reason, prepare) => {
    await prepare(e);
    const before = readFileSync(join(e.state, existsSync(join(e.state, `${DB}-wal`)) && reason === 'foreign-wal' ? `${DB}-wal` : DB));
    const d = await startDaemon(e, ALLOW);
    const log = d.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('STORE RECOVERED'));
    expect(log).toMatchObject({ level: 50, reason });
    const status = (await httpJson(e.port, '/api/v1/status')).body;
    expect(status.engine.storeRecovery).toMatchObject({ reason });
    const moved: string[] = status.engine.storeRecovery.movedAside;
    expect(moved.length).toBeGreaterThanOrEqual(1);
    for (const f of moved) {
      expect(f).toMatch(/dhcpmgr\.sqlite\.bad-\d{8}T\d{6}Z(-wal|-shm)?$/);
      expect(existsSync(f)).toBe(true);
    }
    // The bad bytes are kept as they were, for a post-mortem.
    const kept = moved.find((f) => (reason === 'foreign-wal' ? f.endsWith('-wal') : !f.endsWith('-wal') && !f.endsWith('-shm')))!;
    expect(readFileSync(kept).equals(before)).toBe(true);
    const metrics = (await httpJson(e.port, '/metrics')).body as string;
    expect(metrics).toContain(`dhcpmgr_store_recovered_total{reason="${reason}"} 1`);
    expect((await tr181(e.port, IP))[IP]).toBe('');

    expect((await acked(e, v4('wan0', 'bound', { address: '192.0.2.77', leaseTime: 600, renewalTime: 300, rebindingTime: 525 }))).status).toBe('applied');
    expect((await tr181(e.port, IP))[IP]).toBe('192.0.2.77');
    expect((await stop(d)).code).toBe(0);

    // The fresh store is sound: the next start recovers nothing and keeps the lease.
    const again = await startDaemon(e, ALLOW);
    expect((await httpJson(e.port, '/api/v1/status')).body.engine.storeRecovery).toBeUndefined();
    expect((await tr181(e.port, IP))[IP]).toBe('192.0.2.77');
    expect(readdirSync(e.state).filter((f) => f.includes('.bad-')).sort()).toEqual(moved.map((f) => f.slice(f.lastIndexOf('/') + 1)).sort());
    expect((await stop(again)).code).toBe(0);
  });
});
