/**
 * The nanomsg helpers against real sockets: ipc:// endpoints in a fresh temp dir (TCP only for
 * short-lived senders, on port 24500). Short-lived senders are real `node -e` processes that
 * load transport.ts (bundled by esbuild for them) and exit the moment pushOnce resolves: the
 * case where the npm wrapper loses a send-then-close.
 */
import { ChildProcess, spawn } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { buildSync } from 'esbuild';
import * as nano from 'nanomsg';
import { bindPub, bindPull, bindRep, pushOnce, requestOnce, subscribe } from './transport';

let dir: string;
let bundle: string;
const opened: Array<{ close(): void }> = [];
const children = new Set<ChildProcess>();
/** Where the children find the nanomsg package (the bundle lives in a temp dir). */
const NODE_PATH = dirname(dirname(dirname(require.resolve('nanomsg'))));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'plugin-msg-transport-'));
  bundle = join(dir, 'transport.js');
  buildSync({
    entryPoints: [join(__dirname, 'transport.ts')], bundle: true, platform: 'node', format: 'cjs',
    external: ['nanomsg'], outfile: bundle, logLevel: 'error',
  });
});

afterEach(() => {
  while (opened.length) opened.pop()!.close();
  for (const c of children) if (c.exitCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
  children.clear();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

let seq = 0;
const ipc = (): string => `ipc://${join(dir, `ep${++seq}.ipc`)}`;
const keep = <T extends { close(): void }>(r: T): T => { opened.push(r); return r; };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(5);
}

/** Run pushOnce in a fresh node process that exits as soon as it resolves; resolves its exit code. */
function pushFromChild(addr: string, body: string, timeoutMs: number): Promise<number> {
  const code = `require(process.argv[1]).pushOnce(process.argv[2], Buffer.from(process.argv[3]), +process.argv[4])
    .then((ok) => process.exit(ok ? 0 : 3), () => process.exit(4));`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', code, bundle, addr, body, String(timeoutMs)], {
      stdio: 'ignore', env: { ...process.env, NODE_PATH },
    });
    children.add(child);
    child.on('exit', (c) => { children.delete(child); resolve(c ?? -1); });
  });
}

describe('pushOnce', () => {
  // 200 by default; on a heavily loaded machine (node start-up near 0.5 s) lower it with
  // TRANSPORT_PUSH_CHILDREN. A plain send-then-close loses nearly all of them (toolchain notes:
  // 0 of 20), and even drain without the short grace after it lost 10 of 40 here.
  const N = Number(process.env.TRANSPORT_PUSH_CHILDREN ?? 200);
  // Over TCP, as the manager listens: over ipc:// libnanomsg's *receiver* drops a message whose
  // sender hung up before it was read (the hang-up is seen as an error first), with or without
  // any grace on the sending side; that loss is outside pushOnce's control.
  it(`delivers ${N} of ${N} messages from processes that exit right after it resolves`, async () => {
    const addr = 'tcp://127.0.0.1:24500';
    const got = new Set<string>();
    keep(bindPull(addr, (f) => got.add(f.toString())));
    const codes: number[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < N) {
        const i = next++;
        codes.push(await pushFromChild(addr, `msg-${i}`, 3000));
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    await until(() => got.size === N, 2000);
    expect(codes.filter((c) => c !== 0)).toEqual([]);
    expect(got.size).toBe(N);
  }, 120_000);

  it('returns false within its bound when nobody listens', async () => {
    const t0 = Date.now();
    expect(await pushOnce(ipc(), Buffer.from('lost'), 150)).toBe(false);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(600);
  });

  it('a child with no listener exits with false (code 3), not hanging', async () => {
    expect(await pushFromChild(ipc(), 'nobody', 200)).toBe(3);
  }, 10_000);

  it('bindPull receives a 2 MiB frame, above the 1 MiB nanomsg default, so bad sizes get counted', async () => {
    const addr = ipc();
    const frames: Buffer[] = [];
    keep(bindPull(addr, (f) => frames.push(f)));
    // A long-lived sender: pushOnce's close-after-drain is made for message-sized frames.
    const push = nano.socket('push');
    push.on('error', () => undefined);
    keep({ close: () => push.close() });
    push.connect(addr);
    const big = Buffer.alloc(2 * 1024 * 1024, 7);
    push.send(big);
    await until(() => frames.length > 0, 5000);
    expect(frames.map((f) => f.length)).toEqual([big.length]);
  }, 10_000);
});

describe.each([1, 4])('requestOnce and bindRep with %i worker socket(s)', (workers) => {
  const onFailure = (err: unknown): Buffer => Buffer.from(`failed: ${(err as Error).message}`);

  it('round-trips a request', async () => {
    const addr = ipc();
    keep(bindRep(addr, (req) => Buffer.from(`re:${req.toString()}`), onFailure, { workers }));
    const r = await requestOnce(addr, Buffer.from('hello'), 2000);
    expect(r).toEqual({ ok: true, reply: Buffer.from('re:hello') });
  });

  it('times out within its bound when nobody answers', async () => {
    const t0 = Date.now();
    const r = await requestOnce(ipc(), Buffer.from('anyone?'), 150);
    expect(r).toEqual({ ok: false, reason: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(600);
  });

  it('times out when the handler is slower than the bound, and the server then serves the next', async () => {
    const addr = ipc();
    keep(bindRep(addr, async (req) => {
      if (req.toString() === 'slow') await sleep(400);
      return Buffer.from(`re:${req.toString()}`);
    }, onFailure, { workers }));
    expect(await requestOnce(addr, Buffer.from('slow'), 100)).toEqual({ ok: false, reason: 'timeout' });
    await sleep(400);
    expect(await requestOnce(addr, Buffer.from('fast'), 2000)).toEqual({ ok: true, reply: Buffer.from('re:fast') });
  });

  it('answers a throwing or rejecting handler with onFailure and keeps serving', async () => {
    const addr = ipc();
    keep(bindRep(addr, async (req) => {
      const s = req.toString();
      if (s === 'throw') throw new Error('boom');
      if (s === 'reject') return Promise.reject(new Error('nope'));
      return Buffer.from(`re:${s}`);
    }, onFailure, { workers }));
    expect(await requestOnce(addr, Buffer.from('throw'), 2000)).toEqual({ ok: true, reply: Buffer.from('failed: boom') });
    expect(await requestOnce(addr, Buffer.from('reject'), 2000)).toEqual({ ok: true, reply: Buffer.from('failed: nope') });
    expect(await requestOnce(addr, Buffer.from('after'), 2000)).toEqual({ ok: true, reply: Buffer.from('re:after') });
  });

  it('serves many sequential requesters in order', async () => {
    const addr = ipc();
    let n = 0;
    keep(bindRep(addr, (req) => Buffer.from(`${n++}:${req.toString()}`), onFailure, { workers }));
    for (let i = 0; i < 50; i++) {
      expect(await requestOnce(addr, Buffer.from(`r${i}`), 2000)).toEqual({ ok: true, reply: Buffer.from(`${i}:r${i}`) });
    }
  });
});


describe('bindRep with several workers', () => {
  const onFailure = (err: unknown): Buffer => Buffer.from(`failed: ${(err as Error).message}`);

  it('holds several requests at once and answers each requester with its own reply', async () => {
    // The handler answers nobody until 4 requests are held: with one REP socket (one request at
    // a time) this would time out.
    const addr = ipc();
    const held: Array<() => void> = [];
    let most = 0;
    keep(bindRep(addr, (req) => new Promise<Buffer>((resolve) => {
      held.push(() => resolve(Buffer.from(`re:${req.toString()}`)));
      most = Math.max(most, held.length);
      if (held.length >= 4) for (const release of held.splice(0)) release();
    }), onFailure, { workers: 4 }));
    const rs = await Promise.all([0, 1, 2, 3].map((i) => requestOnce(addr, Buffer.from(`c${i}`), 3000)));
    expect(rs).toEqual([0, 1, 2, 3].map((i) => ({ ok: true, reply: Buffer.from(`re:c${i}`) })));
    expect(most).toBe(4);
  });

  it('one worker holds one request at a time (the plain REP behaviour the option replaces)', async () => {
    const addr = ipc();
    let inFlight = 0;
    let most = 0;
    keep(bindRep(addr, async (req) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await sleep(20);
      inFlight--;
      return Buffer.from(`re:${req.toString()}`);
    }, onFailure, { workers: 1 }));
    const rs = await Promise.all([0, 1, 2].map((i) => requestOnce(addr, Buffer.from(`s${i}`), 3000)));
    expect(rs.every((r) => r.ok)).toBe(true);
    expect(most).toBe(1);
  });

  it('serves 64 concurrent requesters over 8 workers, each reply to its own requester', async () => {
    const addr = ipc();
    keep(bindRep(addr, async (req) => { await sleep(1); return Buffer.from(`re:${req.toString()}`); }, onFailure, { workers: 8 }));
    const ids = Array.from({ length: 64 }, (_, i) => `m${i}`);
    const rs = await Promise.all(ids.map((id) => requestOnce(addr, Buffer.from(id), 5000)));
    expect(rs).toEqual(ids.map((id) => ({ ok: true, reply: Buffer.from(`re:${id}`) })));
  });

  it('close() releases the endpoint: it can be bound again at once and serves', async () => {
    const addr = ipc();
    const first = bindRep(addr, () => Buffer.from('first'), onFailure, { workers: 4 });
    expect(await requestOnce(addr, Buffer.from('x'), 2000)).toEqual({ ok: true, reply: Buffer.from('first') });
    first.close();
    first.close();
    await sleep(20);
    keep(bindRep(addr, () => Buffer.from('second'), onFailure, { workers: 4 }));
    expect(await requestOnce(addr, Buffer.from('y'), 2000)).toEqual({ ok: true, reply: Buffer.from('second') });
  });
});

describe('pub/sub', () => {
  it('delivers only the subscribed topics', async () => {
    const addr = ipc();
    const pub = keep(bindPub(addr));
    const got: string[] = [];
    keep(subscribe(addr, ['lease.v4'], (m) => got.push(m.toString())));
    // A subscriber joins asynchronously: publish until the first message arrives.
    for (let k = 0; k < 200 && got.length === 0; k++) {
      pub.publish('other', 'x');
      pub.publish('lease.v4', `join${k}`);
      await sleep(10);
    }
    expect(got[0]).toMatch(/^lease\.v4 join\d+$/);
    got.length = 0;
    pub.publish('lease.v6', 'no');
    pub.publish('lease.v4', 'yes');
    await until(() => got.includes('lease.v4 yes'), 1000);
    await sleep(50);
    expect(got.filter((m) => !m.startsWith('lease.v4 '))).toEqual([]);
    expect(got).toContain('lease.v4 yes');
  });
});
