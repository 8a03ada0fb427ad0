/**
 * 1,000,000 hostile frames at full speed on the legacy channel (TCP loopback 25502): wrong sizes,
 * bad versions, unterminated strings, random garbage, mutated messages, empty frames, 10 MiB
 * frames, from 4 C pusher processes (hostile_pusher.c, blocking nn_send like the C plugins),
 * while 1,000 idle TCP connections and 50 half-open ones (a partial nanomsg handshake, a frame
 * header announcing 1 GiB and nothing after it) stay connected, and valid messages are
 * interleaved. The manager must not crash, must account for every frame (applied, or rejected
 * by a reason, OVERLOAD included), keep its memory bounded, and apply the valid ones in order.
 */
import { execFileSync, spawn } from 'child_process';
import { writeFileSync } from 'fs';
import { connect, Socket } from 'net';
import { join } from 'path';
import { encode, emptyV4Lease } from '@dhcpmgr/plugin-msg';
import { byLabel, getJson, history, ManagerProc, metrics, removeDir, rssMiB, sleep, startManager, sum, tempDir } from './harness';

jest.setTimeout(600_000);
const HTTP = '127.0.0.1:25501';
const PORT = 25502;
const SCALE = Math.min(1, Number(process.env.DHCPMGR_REL_SCALE ?? 1) || 1);
const PUSHERS = 4;
const TOTAL = Math.round(1_000_000 * SCALE);
const VALID_EVERY = 500;
const BIG_EVERY = 50_000;
const LEASE_BASE = 100_000;
/** leaseTime of DHCPv4 inside an LP64 PLUGIN_MSG: union at 40 + field at 260 (layout.ts). */
const LEASE_OFFSET = 40 + 260;
const IDLE = 1000;
const HALF_OPEN = 50;
const RSS_LIMIT_MIB = 600;

let dir: string;
let mgr: ManagerProc | undefined;
const sockets: Socket[] = [];

beforeAll(() => { dir = tempDir('hostile'); });
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await mgr?.stop();
  removeDir(dir);
});

function template(ifname: string): string {
  const lease = { ...emptyV4Lease(), ifname, addressAssigned: true, address: '10.9.0.2', netmask: '255.255.0.0', leaseTime: 1, dhcpState: 'bound' };
  const file = join(dir, `${ifname}.bin`);
  writeFileSync(file, encode({ version: 4, ifname, dhcpv4: lease } as never, { abi: 'lp64' }));
  return file;
}

function openIdle(n: number, hello?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    let open = 0;
    for (let i = 0; i < n; i++) {
      const s = connect(PORT, '127.0.0.1', () => {
        if (hello) s.write(hello);
        if (++open === n) resolve();
      });
      s.on('error', reject);
      sockets.push(s);
    }
  });
}

function runPusher(exe: string, i: number, count: number, tpl: string, mut: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const c = spawn(exe, [`tcp://127.0.0.1:${PORT}`, String(count), String(1000 + i), tpl, mut, String(LEASE_OFFSET), String(LEASE_BASE), String(VALID_EVERY), String(BIG_EVERY)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    c.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, number>) : reject(new Error(`pusher ${i} exit ${code}: ${err}`))));
  });
}

it(`survives ${TOTAL} hostile frames with ${IDLE} idle and ${HALF_OPEN} half-open connections; every frame accounted for, valid ones applied`, async () => {
  const exe = join(dir, 'hostile_pusher');
  execFileSync('gcc', ['-O2', '-Wall', '-o', exe, join(__dirname, 'hostile_pusher.c'), '-lnanomsg']);
  const ifnames = Array.from({ length: PUSHERS }, (_, i) => `fz${i}`);
  const mut = template('mz0');
  const tpls = ifnames.map(template);
  mgr = await startManager(['--listen', `tcp://127.0.0.1:${PORT}`, '--ack-listen', 'off', '--events', 'off', '--state-dir', join(dir, 'state'),
    '--spool-dir', join(dir, 'spool'), '--interfaces', [...ifnames, 'mz0'].join(','), '--durability', 'normal',
    '--history-per-interface', '5000', '--log-level', 'error'], { http: HTTP });
  const rss0 = rssMiB(mgr.pid).rss;

  await openIdle(IDLE);
  // Half-open: the 8-byte SP header (PUSH, protocol 0x50) then a length prefix of 1 GiB, and silence.
  const sp = Buffer.from([0x00, 0x53, 0x50, 0x00, 0x00, 0x50, 0x00, 0x00]);
  const huge = Buffer.alloc(8); huge.writeBigUInt64BE(1n << 30n);
  await openIdle(HALF_OPEN / 2, Buffer.concat([sp, huge, Buffer.from('partial')]));
  await openIdle(HALF_OPEN / 2, sp.subarray(0, 3));

  let peak = 0;
  const sampler = setInterval(() => { try { peak = Math.max(peak, rssMiB(mgr!.pid).rss); } catch { /* gone */ } }, 100);
  const t0 = Date.now();
  const results = await Promise.all(tpls.map((tpl, i) => runPusher(exe, i, Math.floor(TOTAL / PUSHERS), tpl, mut)));
  const sendSeconds = (Date.now() - t0) / 1000;
  const sent = results.reduce((a, r) => a + r.sent!, 0);
  const byKind: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r)) if (k !== 'lastValidLease') byKind[k] = (byKind[k] ?? 0) + v;

  // Wait until every frame has been received and decided on.
  let m = await metrics(HTTP);
  const accounted = (mm: Map<string, number>): number => sum(mm, 'dhcpmgr_messages_total', 'channel="legacy"') + sum(mm, 'dhcpmgr_overload_dropped_total', 'channel="legacy"');
  for (let i = 0; i < 600 && accounted(m) < sent; i++) { await sleep(100); m = await metrics(HTTP); }
  clearInterval(sampler);
  const wall = (Date.now() - t0) / 1000;
  expect(mgr.child.exitCode).toBeNull();

  const legacyMessages = sum(m, 'dhcpmgr_messages_total', 'channel="legacy"');
  const overload = sum(m, 'dhcpmgr_overload_dropped_total', 'channel="legacy"');
  const rejected = byLabel(m, 'dhcpmgr_rejected_total', 'reason', 'channel="legacy"');
  const results2 = byLabel(m, 'dhcpmgr_ingest_results_total', 'status');
  const rejectedTotal = Object.values(rejected).reduce((a, b) => a + b, 0);
  // Every frame sent is either handed to the engine or dropped as OVERLOAD...
  expect(legacyMessages + overload).toBe(sent);
  // ...and every frame handed to the engine has one outcome; rejects are counted by reason.
  expect((results2.applied ?? 0) + (results2.duplicate ?? 0) + (results2.stale ?? 0) + (results2.rejected ?? 0) + (results2.unavailable ?? 0)).toBe(legacyMessages);
  expect((results2.applied ?? 0) + rejectedTotal - (rejected.OVERLOAD ?? 0)).toBe(legacyMessages - (results2.duplicate ?? 0) - (results2.stale ?? 0));
  expect(results2.unavailable ?? 0).toBe(0);

  // Valid frames: each interface's history is its valid leases in order (none lost unless counted OVERLOAD).
  const perIf: Record<string, { sent: number; applied: number }> = {};
  for (let i = 0; i < PUSHERS; i++) {
    const validSent = results[i]!.valid!;
    const times = (await history(HTTP, ifnames[i]!)).map((e) => e.lease.leaseTime as number);
    perIf[ifnames[i]!] = { sent: validSent, applied: times.length };
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(times).size).toBe(times.length);
    expect(times.every((t) => t >= LEASE_BASE && t < LEASE_BASE + validSent)).toBe(true);
    if (overload === 0) expect(times).toEqual(Array.from({ length: validSent }, (_, k) => LEASE_BASE + k));
  }
  // Still serving, and a valid message after the flood is applied.
  const after = join(dir, 'after.bin');
  writeFileSync(after, encode({ version: 4, ifname: 'fz0', dhcpv4: { ...emptyV4Lease(), ifname: 'fz0', addressAssigned: true, address: '10.9.0.3', netmask: '255.255.0.0', leaseTime: 7, dhcpState: 'bound' } } as never, { abi: 'lp64' }));
  execFileSync(exe, [`tcp://127.0.0.1:${PORT}`, '1', '1', after, mut, String(LEASE_OFFSET), '4242', '1', '0']);
  let last = 0;
  for (let i = 0; i < 100 && last !== 4242; i++) { await sleep(50); const h = await history(HTTP, 'fz0'); last = h[h.length - 1]?.lease.leaseTime as number; }
  expect(last).toBe(4242);
  const status = await getJson(HTTP, '/api/v1/status');
  expect(status.pid).toBe(mgr.pid);

  const rss = rssMiB(mgr.pid);
  peak = Math.max(peak, rss.peak);
  expect(peak).toBeLessThan(RSS_LIMIT_MIB);
  console.log(`FIGURES hostile ${JSON.stringify({
    sent, byKind, sendSeconds, wallSeconds: wall, framesPerSecond: Math.round(sent / wall),
    handedToEngine: legacyMessages, overloadDropped: overload, results: results2, rejectedByReason: rejected, validPerInterface: perIf,
    idleConnections: IDLE, halfOpenConnections: HALF_OPEN, rssStartMiB: Math.round(rss0), rssPeakMiB: Math.round(peak), rssEndMiB: Math.round(rss.rss), crashes: 0,
  })}`);
  expect(await mgr.stop()).toBe(0);
});
