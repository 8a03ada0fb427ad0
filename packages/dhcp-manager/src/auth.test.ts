import { chmodSync, chownSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { encodeEnvelope, EnvelopeMeta } from '@dhcpmgr/plugin-msg';
import { Clock, KeyFileError, loadKeyFile, SenderAuth } from './auth';

const KEY = Buffer.from('0123456789abcdef0123456789abcdef');
const BOOT = Buffer.alloc(16, 7);
const OTHER_BOOT = Buffer.alloc(16, 9);
const PAYLOAD = Buffer.alloc(1464, 0);

function fakeClock(start = 1_000_000_000_000n): Clock & { advance(s: number): void } {
  let mono = start;
  let wall = 1_800_000_000_000_000n;
  return {
    monoNs: () => mono,
    wallUs: () => wall,
    bootId: () => BOOT,
    advance(s: number) { mono += BigInt(s) * 1_000_000_000n; wall += BigInt(s) * 1_000_000n; },
  };
}

function meta(clock: Clock, over: Partial<EnvelopeMeta> = {}): EnvelopeMeta {
  return { bootId: BOOT, monotonicNs: clock.monoNs(), wallUs: clock.wallUs(), senderPid: 4242, ...over };
}

describe('loadKeyFile', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-key-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const uid = process.getuid!();

  const keyFile = (mode: number, bytes = KEY): string => {
    const f = join(dir, 'key');
    writeFileSync(f, bytes);
    chmodSync(f, mode);
    return f;
  };

  it('reads a 0600 file owned by the expected user', () => {
    expect(loadKeyFile(keyFile(0o600), { uids: [uid] })).toEqual(KEY);
  });

  it('reads a 0400 file', () => {
    expect(loadKeyFile(keyFile(0o400), { uids: [uid] })).toEqual(KEY);
  });

  it.each([0o640, 0o604, 0o644, 0o660, 0o700, 0o4600])('refuses mode %o with a message naming the mode', (mode) => {
    const f = keyFile(mode);
    expect(() => loadKeyFile(f, { uids: [uid] })).toThrow(KeyFileError);
    expect(() => loadKeyFile(f, { uids: [uid] })).toThrow(`has mode ${mode.toString(8).padStart(4, '0')}`);
  });

  it('refuses a file owned by another user', () => {
    const f = keyFile(0o600);
    chownSync(f, 65534, 65534); // we are root in CI; the check must fail for nobody's file
    expect(() => loadKeyFile(f, { uids: [0] })).toThrow(/owned by uid 65534; expected root \(uid 0\)/);
  });

  it('refuses a symbolic link even to a good key file', () => {
    const f = keyFile(0o600);
    const link = join(dir, 'link');
    symlinkSync(f, link);
    expect(() => loadKeyFile(link, { uids: [uid] })).toThrow(/symbolic link/);
  });

  it('refuses a directory, a missing file and a short key', () => {
    const d = join(dir, 'd');
    mkdirSync(d, { mode: 0o700 });
    expect(() => loadKeyFile(d, { uids: [uid] })).toThrow(/not a regular file/);
    expect(() => loadKeyFile(join(dir, 'missing'), { uids: [uid] })).toThrow(/cannot open it \(ENOENT\)/);
    expect(() => loadKeyFile(keyFile(0o600, Buffer.from('short')), { uids: [uid] })).toThrow(/holds 5 bytes; a key needs at least 16/);
  });

  it('accepts by default a file owned by root or by the user the daemon runs as, and no other', () => {
    const f = keyFile(0o600);
    expect(loadKeyFile(f)).toEqual(KEY); // owned by us
    chownSync(f, 65534, 65534);
    expect(() => loadKeyFile(f)).toThrow(/owned by uid 65534; expected root \(uid 0\)/);
  });
});

describe('SenderAuth', () => {
  it('refuses --require-auth without a key', () => {
    expect(() => new SenderAuth({ requireAuth: true })).toThrow(/--require-auth needs --key-file/);
  });

  it('accepts an authenticated request once and refuses the same bytes again as REPLAYED', () => {
    const clock = fakeClock();
    const auth = new SenderAuth({ key: KEY, requireAuth: true, clock });
    const req = encodeEnvelope(PAYLOAD, meta(clock), KEY);
    clock.advance(1);
    const first = auth.check(req);
    expect(first.ok).toBe(true);
    expect(first.ok && first.envelope.authenticated).toBe(true);
    expect(auth.check(req)).toMatchObject({ ok: false, reason: 'REPLAYED' });
    expect(auth.stats()).toMatchObject({ authenticated: 1, rejected: { REPLAYED: 1 }, tracked: 1 });
  });

  it('accepts distinct requests from concurrent senders stamped at the same instant', () => {
    const clock = fakeClock();
    const auth = new SenderAuth({ key: KEY, requireAuth: true, clock });
    const m = meta(clock);
    expect(auth.check(encodeEnvelope(PAYLOAD, { ...m, senderPid: 1 }, KEY)).ok).toBe(true);
    expect(auth.check(encodeEnvelope(PAYLOAD, { ...m, senderPid: 2 }, KEY)).ok).toBe(true);
  });

  it('refuses unauthenticated and forged requests in require-auth mode', () => {
    const clock = fakeClock();
    const auth = new SenderAuth({ key: KEY, requireAuth: true, clock });
    expect(auth.check(encodeEnvelope(PAYLOAD, meta(clock)))).toMatchObject({ ok: false, reason: 'NO_HMAC' });
    const forged = encodeEnvelope(PAYLOAD, meta(clock), Buffer.from('not-the-right-key-at-all'));
    expect(auth.check(forged)).toMatchObject({ ok: false, reason: 'BAD_HMAC' });
    const tampered = encodeEnvelope(PAYLOAD, meta(clock), KEY);
    tampered[48 + 20] ^= 1; // a byte of the ifname
    expect(auth.check(tampered)).toMatchObject({ ok: false, reason: 'BAD_HMAC' });
    expect(auth.check(Buffer.from('garbage'))).toMatchObject({ ok: false, reason: 'BAD_ENVELOPE' });
    expect(auth.stats().rejected).toEqual({ BAD_ENVELOPE: 1, BAD_HMAC: 2, NO_HMAC: 1, REPLAYED: 0, OUTSIDE_WINDOW: 0 });
  });

  it('accepts unauthenticated requests when auth is optional, still refusing a bad tag', () => {
    const clock = fakeClock();
    const auth = new SenderAuth({ key: KEY, requireAuth: false, clock });
    const plain = encodeEnvelope(PAYLOAD, meta(clock));
    expect(auth.check(plain)).toMatchObject({ ok: true, envelope: { authenticated: false } });
    expect(auth.check(plain).ok).toBe(true); // no replay tracking without a tag: the engine's ordering decides
    expect(auth.check(encodeEnvelope(PAYLOAD, meta(clock), Buffer.alloc(32, 1)))).toMatchObject({ ok: false, reason: 'BAD_HMAC' });
    expect(auth.stats().unauthenticated).toBe(2);
  });

  it('refuses a same-boot request older than the window, measured on the monotonic clock', () => {
    const clock = fakeClock();
    const auth = new SenderAuth({ key: KEY, requireAuth: true, replayWindowS: 60, clock });
    // The wall clock in the stamp is wildly off (before NTP): only CLOCK_MONOTONIC counts.
    const fresh = encodeEnvelope(PAYLOAD, meta(clock, { wallUs: 0n }), KEY);
    const old = encodeEnvelope(PAYLOAD, meta(clock, { senderPid: 5 }), KEY);
    clock.advance(59);
    expect(auth.check(fresh).ok).toBe(true);
    clock.advance(2);
    expect(auth.check(old)).toMatchObject({ ok: false, reason: 'OUTSIDE_WINDOW' });
  });

  it('uses the wall clock for a request from another boot, in both directions', () => {
    const clock = fakeClock();
    const auth = new SenderAuth({ key: KEY, requireAuth: true, replayWindowS: 60, clock });
    const now = clock.wallUs();
    const other = (wallUs: bigint, pid: number): Buffer => encodeEnvelope(PAYLOAD, { bootId: OTHER_BOOT, monotonicNs: 1n, wallUs, senderPid: pid }, KEY);
    expect(auth.check(other(now - 30_000_000n, 1)).ok).toBe(true);
    expect(auth.check(other(now - 61_000_000n, 2))).toMatchObject({ ok: false, reason: 'OUTSIDE_WINDOW' });
    expect(auth.check(other(now + 61_000_000n, 3))).toMatchObject({ ok: false, reason: 'OUTSIDE_WINDOW' });
  });

  it('forgets requests once the window has passed, refusing their replay by age instead', () => {
    const clock = fakeClock();
    const auth = new SenderAuth({ key: KEY, requireAuth: true, replayWindowS: 10, clock });
    const req = encodeEnvelope(PAYLOAD, meta(clock), KEY);
    expect(auth.check(req).ok).toBe(true);
    clock.advance(11);
    expect(auth.check(encodeEnvelope(PAYLOAD, meta(clock), KEY)).ok).toBe(true);
    expect(auth.stats().tracked).toBe(1);
    expect(auth.check(req)).toMatchObject({ ok: false, reason: 'OUTSIDE_WINDOW' });
  });

  it('stays bounded: past maxTracked the oldest are forgotten and can still not be replayed', () => {
    const clock = fakeClock();
    const auth = new SenderAuth({ key: KEY, requireAuth: true, maxTracked: 100, clock });
    const reqs: Buffer[] = [];
    for (let i = 0; i < 250; i++) {
      reqs.push(encodeEnvelope(PAYLOAD, meta(clock, { monotonicNs: clock.monoNs() + BigInt(i) }), KEY));
    }
    clock.advance(1);
    for (const r of reqs) expect(auth.check(r).ok).toBe(true);
    expect(auth.stats().tracked).toBe(100);
    for (const r of reqs) expect(auth.check(r).ok).toBe(false);
    expect(auth.stats().rejected.REPLAYED + auth.stats().rejected.OUTSIDE_WINDOW).toBe(250);
  });
});

describe('start options (config.ts)', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-keycfg-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  // These check that the flags reach auth.ts.
  const { resolveConfig, ConfigError } = require('./config') as typeof import('./config');

  it('--require-auth without --key-file is a configuration error', () => {
    expect(() => resolveConfig({ 'require-auth': true })).toThrow(ConfigError);
    expect(() => resolveConfig({ 'require-auth': true })).toThrow(/needs --key-file/);
  });

  it('a loose key file is a configuration error naming the file and its mode', () => {
    const f = join(dir, 'key');
    writeFileSync(f, KEY);
    chmodSync(f, 0o644);
    expect(() => resolveConfig({ 'key-file': f })).toThrow(ConfigError);
    expect(() => resolveConfig({ 'key-file': f })).toThrow(`Invalid --key-file ${JSON.stringify(f)}: has mode 0644`);
  });

  it('a good key file, --require-auth and --replay-window end up in config.auth; --ipc-mode is octal', () => {
    const f = join(dir, 'key');
    writeFileSync(f, KEY);
    chmodSync(f, 0o600);
    const c = resolveConfig({ 'key-file': f, 'require-auth': true, 'replay-window': 30, 'ipc-mode': '0660' });
    expect(c.auth).toEqual({ key: KEY, requireAuth: true, replayWindowS: 30, keyFile: f });
    expect(c.ipcMode).toBe(0o660);
    expect(() => resolveConfig({ 'ipc-mode': '0999' })).toThrow(/Invalid --ipc-mode/);
    expect(resolveConfig({}).auth).toBeUndefined();
  });
});
