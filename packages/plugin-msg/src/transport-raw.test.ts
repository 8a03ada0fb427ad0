/**
 * The plugins' transport against real nanomsg peers. Its calls block this process until they
 * return, so each peer runs in its own node process (the npm nanomsg package, as the manager
 * uses it), on ipc:// endpoints in a fresh temp dir (pushes whose arrival is checked: loopback
 * TCP 24700-24739). A peer prints `ready` once bound and one line per message it received (hex).
 */
import { ChildProcess, spawn } from 'child_process';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { preconnect, pushOnce, release, requestOnce } from './transport-raw';

const PEER = `
const nano = require(${JSON.stringify(require.resolve('nanomsg'))});
const [mode, addr] = process.argv.slice(1);
const sock = nano.socket(mode === 'pull' ? 'pull' : 'rep');
sock.on('error', (e) => { process.stderr.write(String(e)); process.exit(3); });
sock.bind(addr);
sock.on('data', (m) => {
  process.stdout.write(m.toString('hex') + '\\n');
  if (mode === 'echo') sock.send(Buffer.concat([Buffer.from('re:'), m]));
});
process.stdout.write('ready\\n');
`;

interface Peer { lines: string[]; child: ChildProcess }

let dir: string;
const peers: ChildProcess[] = [];
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-raw-')); });
afterEach(async () => {
  await Promise.all(peers.splice(0).map((c) => new Promise((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) { resolve(undefined); return; }
    c.once('exit', resolve);
    c.kill('SIGKILL');
  })));
  rmSync(dir, { recursive: true, force: true });
});

/** Start a peer ('echo': REP answering 're:' + request; 'silent': REP never answering; 'pull'). */
function peer(mode: 'echo' | 'silent' | 'pull', addr: string): Promise<Peer> {
  const child = spawn(process.execPath, ['-e', PEER, mode, addr], { stdio: ['ignore', 'pipe', 'inherit'] });
  peers.push(child);
  const lines: string[] = [];
  let buf = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line === 'ready') resolve({ lines, child });
        else lines.push(line);
      }
    });
    child.on('exit', (code) => reject(new Error(`peer exited ${code}`)));
  });
}

/**
 * A peer on loopback TCP, on a port of 24700-24739 that is free: a port can be taken by another
 * test or as the local end of some connection, so a few are tried.
 */
async function tcpPeer(mode: 'echo' | 'silent' | 'pull'): Promise<Peer & { addr: string }> {
  for (let i = 0; ; i++) {
    const addr = `tcp://127.0.0.1:${24700 + Math.floor(Math.random() * 40)}`;
    try {
      return { ...(await peer(mode, addr)), addr };
    } catch (err) {
      if (i === 9) throw err;
    }
  }
}

/** Wait (for the peer's output to arrive) until `lines` has `n` entries, or give up after 5 s. */
async function seen(p: Peer, n: number): Promise<string[]> {
  for (let i = 0; i < 500 && p.lines.length < n; i++) await new Promise((r) => setTimeout(r, 10));
  return p.lines;
}

/** libnanomsg gives every socket eventfds; nothing else in this process opens any meanwhile. */
const fds = (): number => readdirSync('/proc/self/fd').filter((f) => {
  try { return readlinkSync(`/proc/self/fd/${f}`) === 'anon_inode:[eventfd]'; } catch { return false; }
}).length;

const payload = Buffer.from(Array.from({ length: 1500 }, (_, i) => (i * 7) & 0xff));

describe('requestOnce', () => {
  it('sends the request byte for byte and returns the reply', async () => {
    const addr = `ipc://${dir}/rep.ipc`;
    const p = await peer('echo', addr);
    const r = await requestOnce(addr, payload, 5000);
    expect(r).toEqual({ ok: true, reply: Buffer.concat([Buffer.from('re:'), payload]) });
    expect(await seen(p, 1)).toEqual([payload.toString('hex')]);
  });

  it('answers timeout when the peer takes the request but never replies', async () => {
    const addr = `ipc://${dir}/rep.ipc`;
    const p = await peer('silent', addr);
    expect(await requestOnce(addr, payload, 300)).toEqual({ ok: false, reason: 'timeout' });
    expect(await seen(p, 1)).toHaveLength(1);
  });

  it('answers timeout when nobody listens on the address', async () => {
    expect(await requestOnce(`ipc://${dir}/nobody.ipc`, payload, 100)).toEqual({ ok: false, reason: 'timeout' });
  });

  it('answers error, naming the address, when nanomsg refuses it', async () => {
    const r = await requestOnce('tcp://127.0.0.1:notaport', payload, 100);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe('error');
    expect(r.error?.message).toContain('cannot connect tcp://127.0.0.1:notaport');
  });

  it('closes its socket on every outcome', async () => {
    await requestOnce(`ipc://${dir}/nobody.ipc`, payload, 1); // first use opens the addon
    const before = fds();
    for (let i = 0; i < 10; i++) await requestOnce(`ipc://${dir}/nobody.ipc`, payload, 1);
    for (let i = 0; i < 10; i++) await requestOnce('tcp://127.0.0.1:notaport', payload, 1);
    expect(fds()).toBe(before);
  });
});

describe('pushOnce', () => {
  it('pushes the bare bytes and returns true once a receiver took them, every time', async () => {
    // TCP: over ipc:// libnanomsg may drop a frame not yet read when the sender hangs up.
    const p = await tcpPeer('pull');
    const { addr } = p;
    for (let i = 0; i < 5; i++) expect(await pushOnce(addr, payload, 5000)).toBe(true);
    expect(await seen(p, 5)).toEqual(Array(5).fill(payload.toString('hex')));
  });

  it('returns false when no receiver takes the message in time', async () => {
    expect(await pushOnce(`ipc://${dir}/nobody.ipc`, payload, 100)).toBe(false);
  });

  it('rejects, naming the address, when nanomsg refuses it', async () => {
    await expect(pushOnce('tcp://127.0.0.1:notaport', payload, 100)).rejects.toThrow('cannot connect tcp://127.0.0.1:notaport');
  });
});

describe('preconnect', () => {
  it('opens a socket that the next request to that address uses, and closes it after', async () => {
    const addr = `ipc://${dir}/rep.ipc`;
    const p = await peer('echo', addr);
    await requestOnce(`ipc://${dir}/nobody.ipc`, payload, 1); // first use opens the addon
    const before = fds();
    preconnect(addr, 'req');
    const opened = fds();
    expect(opened).toBeGreaterThan(before);
    expect(await requestOnce(addr, payload, 5000)).toEqual({ ok: true, reply: Buffer.concat([Buffer.from('re:'), payload]) });
    expect(fds()).toBe(before);
    expect(await seen(p, 1)).toHaveLength(1);
  });

  it('is closed by release when no call used it', async () => {
    await requestOnce(`ipc://${dir}/nobody.ipc`, payload, 1);
    const before = fds();
    preconnect(`ipc://${dir}/rep.ipc`, 'req');
    expect(fds()).toBeGreaterThan(before);
    release();
    expect(fds()).toBe(before);
  });

  it('is not used by a call of another kind or address, which connects where it was asked', async () => {
    const p = await tcpPeer('pull');
    const { addr } = p;
    await requestOnce(`ipc://${dir}/nobody.ipc`, payload, 1);
    const before = fds();
    preconnect(`ipc://${dir}/rep.ipc`, 'req');
    expect(await pushOnce(addr, payload, 5000)).toBe(true);
    expect(await seen(p, 1)).toEqual([payload.toString('hex')]);
    expect(fds()).toBe(before);
  });
});
