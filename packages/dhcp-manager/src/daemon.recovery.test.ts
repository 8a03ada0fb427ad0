/**
 * The real daemon across restarts: clean restart and kill -9 keep the model and the countdowns;
 * the manager expires a short lease by its own timer; spooled events replay in order at start and
 * while running, none applied twice; a full queue drops and counts OVERLOAD.
 */
import { readdirSync } from 'fs';
import { encodeEnvelope, writeSpool, EnvelopeMeta } from '@dhcpmgr/plugin-msg';
import { acked, cleanup, endpoints, Endpoints, httpJson, listen, requireBuilt, startDaemon, stop, tr181, v4, v6, waitFor } from './__fixtures__/daemon-harness';

jest.setTimeout(30000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const IP = 'Device.DHCPv4.Client.1.IPAddress';
const LTR = 'Device.DHCPv4.Client.1.LeaseTimeRemaining';

describe('dhcp-manager daemon: restart, expiry, spool, overload', () => {
  let e: Endpoints;
  beforeAll(() => requireBuilt());
  beforeEach(() => { e = endpoints(25100 + Math.floor(Math.random() * 80), 'dhcpmgr-recovery-'); });
  afterEach(() => cleanup(e));

  it('restores the model after SIGTERM and after kill -9, with the countdown continuing from stored times', async () => {
    let d = await startDaemon(e);
    expect((await acked(e, v4('erouter0', 'bound', { leaseTime: 100, renewalTime: 50, rebindingTime: 87 }))).status).toBe('applied');
    expect((await acked(e, v6('erouter6', false))).status).toBe('applied');
    expect(await stop(d)).toEqual({ code: 0, signal: null });

    d = await startDaemon(e);
    let v = await tr181(e.port, 'Device.DHCPv4.Client.1.');
    expect(v[IP]).toBe('192.0.2.10');
    const first = v[LTR] as number;
    expect(first).toBeLessThanOrEqual(100);
    expect(first).toBeGreaterThan(90);
    await sleep(1100);

    expect((await stop(d, 'SIGKILL')).signal).toBe('SIGKILL');
    d = await startDaemon(e);
    v = await tr181(e.port, 'Device.DHCPv4.Client.1.', 'Device.IP.Interface.');
    expect(v[IP]).toBe('192.0.2.10');
    expect(v[LTR] as number).toBeLessThan(first);
    expect(Object.values(v)).toContain('2001:db8::10');
    // The acknowledged commit survived kill -9: a resend of the same lease is only a renew.
    expect((await stop(d)).code).toBe(0);
  });

  it('expires a lease by its own timer when no renew comes (LEASE_DEL with cause expired-by-manager)', async () => {
    await startDaemon(e);
    const sub = listen(e);
    try {
      await sleep(300);
      expect((await acked(e, v4('wan0', 'bound', { leaseTime: 1, renewalTime: 0, rebindingTime: 0 }))).status).toBe('applied');
      expect((await tr181(e.port, IP))[IP]).toBe('192.0.2.10');
      const del = await waitFor('expiry LEASE_DEL', () => sub.events.find((x) => x.body.ifname === 'wan0' && x.body.msgTypeName === 'LEASE_DEL'), 4000);
      expect(del.body.cause).toMatch(/expire/);
      expect((await tr181(e.port, IP))[IP]).toBe('');
    } finally {
      sub.close();
    }
  });

  it('replays spooled events in event order before binding, none applied twice, and picks up new files while running', async () => {
    const boot = Buffer.alloc(16, 9);
    const meta = (n: number): EnvelopeMeta => ({ bootId: boot, monotonicNs: BigInt(n) * 1_000_000n, wallUs: BigInt(Date.now()) * 1000n, senderPid: 4242 });
    const spool = (n: number, frame: Buffer) => writeSpool(e.spool, encodeEnvelope(frame, meta(n)), meta(n));
    // Written out of order: bound .20 (t=2) must end up overriding bound .10 (t=1); t=3 is a bad name.
    spool(2, v4('erouter0', 'bound', { address: '192.0.2.20' }));
    spool(1, v4('erouter0', 'bound', { address: '192.0.2.10' }));
    spool(3, v4('bad/name', 'bound'));
    let d = await startDaemon(e);
    expect(d.logs.find((l) => l.msg === 'spool replayed')).toMatchObject({ replayed: 3, left: 0 });
    expect((await tr181(e.port, IP))[IP]).toBe('192.0.2.20');
    expect(readdirSync(e.spool).filter((n) => n.endsWith('.msg'))).toEqual([]);
    expect(readdirSync(`${e.spool}/rejected`)).toHaveLength(1);
    const hist = (await httpJson(e.port, '/api/v1/history?if=erouter0')).body.events as unknown[];
    expect(hist).toHaveLength(2);

    // While running: a file appears (a plugin timed out); it is applied and removed.
    spool(4, v4('erouter0', 'renew', { address: '192.0.2.30' }));
    await waitFor('live spool replay', async () => ((await tr181(e.port, IP))[IP] === '192.0.2.30' ? true : undefined));
    await waitFor('spool file removed', () => (readdirSync(e.spool).filter((n) => n.endsWith('.msg')).length === 0 ? true : undefined));

    // A crash between commit and delete: the same file comes back; it is a duplicate, not a new event.
    await stop(d);
    spool(4, v4('erouter0', 'renew', { address: '192.0.2.30' }));
    d = await startDaemon(e);
    expect((await httpJson(e.port, '/api/v1/history?if=erouter0')).body.events).toHaveLength(3);
    const metrics = (await httpJson(e.port, '/metrics')).body as string;
    expect(metrics).toMatch(/dhcpmgr_spool_replayed_total\{result="duplicate"\} 1/);
    expect(readdirSync(e.spool).filter((n) => n.endsWith('.msg'))).toEqual([]);
  });

  it('drops and counts legacy messages as OVERLOAD when the bounded queue is full, and keeps serving', async () => {
    const d = await startDaemon(e, ['--queue-limit', '5', '--batch-size', '100', '--commit-delay-ms', '50']);
    // One PUSH socket sending a burst: frames arrive faster than one fsync per message commits.
    const nano = require('nanomsg');
    const sock = nano.socket('push');
    sock.on('error', () => undefined);
    sock.connect(e.pull);
    const frame = v4('ov0', 'bound');
    for (let k = 0; k < 3000; k++) sock.send(frame);
    await waitFor('burst sent', () => (sock.queue.length === 0 ? true : undefined), 10000);
    await sleep(100);
    sock.close();
    const m = await waitFor('overload counted', async () => {
      const text = (await httpJson(e.port, '/metrics')).body as string;
      return /dhcpmgr_overload_dropped_total\{channel="legacy"\} [1-9]/.test(text) ? text : undefined;
    });
    expect(m).toMatch(/dhcpmgr_rejected_total\{reason="OVERLOAD",channel="legacy"\} [1-9]/);
    expect(d.logs.some((l) => l.reason === 'OVERLOAD')).toBe(true);
    const status = (await httpJson(e.port, '/api/v1/status')).body;
    const dropped = Number(/dhcpmgr_overload_dropped_total\{channel="legacy"\} (\d+)/.exec(m)![1]);
    expect(dropped).toBeGreaterThan(0);
    expect(status.counters.overload).toBe(dropped);
    expect((await acked(e, v4('erouter0', 'bound'))).status).toBe('applied');
  });
});
