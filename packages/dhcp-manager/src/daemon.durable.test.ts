/**
 * The real daemon with `--durability full` (the production default; the other daemon tests run
 * `normal` for speed): acknowledgements wait for the WAL fsync that runs off the event loop
 * (store/walsync.ts), concurrent acked senders share commits, and what was acknowledged or
 * replayed from the spool is there after kill -9.
 */
import { readdirSync } from 'fs';
import { encodeEnvelope, writeSpool, EnvelopeMeta } from '@dhcpmgr/plugin-msg';
import { acked, cleanup, endpoints, Endpoints, httpJson, requireBuilt, startDaemon, stop, tr181, v4 } from './__fixtures__/daemon-harness';

jest.setTimeout(30000);

const metric = (text: string, name: string): number => {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
};

describe('dhcp-manager daemon with --durability full', () => {
  let e: Endpoints;
  beforeAll(() => requireBuilt());
  beforeEach(() => { e = endpoints(25300 + Math.floor(Math.random() * 80), 'dhcpmgr-durable-'); });
  afterEach(() => cleanup(e));

  it('acknowledges 24 concurrent senders after WAL fsyncs, and every acknowledged lease survives kill -9', async () => {
    let d = await startDaemon(e, ['--durability', 'full', '--ack-workers', '8']);
    const ifs = Array.from({ length: 24 }, (_, i) => `wan${i}`);
    const acks = await Promise.all(ifs.map((ifname, i) => acked(e, v4(ifname, 'bound', { address: `192.0.2.${i + 10}` }))));
    expect(acks.map((a) => a.status)).toEqual(ifs.map(() => 'applied'));

    const status = (await httpJson(e.port, '/api/v1/status')).body;
    expect(status.durability).toBe('full');
    expect(status.walFsync.failures).toBe(0);
    expect(status.walFsync.fsyncs).toBeGreaterThanOrEqual(1);
    expect(status.walFsync.waiting).toBe(0);
    expect(status.checkpointer).toMatchObject({ started: 1, running: true, errors: 0 });
    const text = (await httpJson(e.port, '/metrics')).body as string;
    expect(metric(text, 'dhcpmgr_wal_fsync_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(metric(text, 'dhcpmgr_receive_to_commit_seconds_count')).toBe(24);

    expect((await stop(d, 'SIGKILL')).signal).toBe('SIGKILL');
    d = await startDaemon(e, ['--durability', 'full']);
    const leases = (await httpJson(e.port, '/api/v1/leases')).body;
    const v4s = JSON.stringify(leases);
    for (let i = 0; i < ifs.length; i++) expect(v4s).toContain(`192.0.2.${i + 10}`);
    expect((await stop(d)).code).toBe(0);
  });

  it('replays the spool at start with a durable commit before removing the files', async () => {
    const boot = Buffer.alloc(16, 7);
    const meta = (n: number): EnvelopeMeta => ({ bootId: boot, monotonicNs: BigInt(n) * 1_000_000n, wallUs: BigInt(Date.now()) * 1000n, senderPid: 4343 });
    const spool = (n: number, frame: Buffer) => writeSpool(e.spool, encodeEnvelope(frame, meta(n)), meta(n));
    spool(1, v4('erouter0', 'bound', { address: '192.0.2.77' }));
    spool(2, v4('erouter1', 'bound', { address: '192.0.2.78' }));
    let d = await startDaemon(e, ['--durability', 'full']);
    expect(d.logs.find((l) => l.msg === 'spool replayed')).toMatchObject({ replayed: 2, left: 0 });
    expect(readdirSync(e.spool).filter((n) => n.endsWith('.msg'))).toEqual([]);
    expect((await httpJson(e.port, '/api/v1/status')).body.walFsync.fsyncs).toBeGreaterThanOrEqual(1);
    expect((await stop(d, 'SIGKILL')).signal).toBe('SIGKILL');
    d = await startDaemon(e, ['--durability', 'full']);
    const v = await tr181(e.port, 'Device.DHCPv4.Client.');
    expect(Object.values(v)).toEqual(expect.arrayContaining(['192.0.2.77', '192.0.2.78']));
    expect((await stop(d)).code).toBe(0);
  });
});
