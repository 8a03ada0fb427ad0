/**
 * Sender authentication for the acknowledged channel.
 *
 * - The key file: a regular file (no symlink), owned by root or by the user the daemon runs as
 *   (a hardened unit runs it as `dhcpmgr`, which cannot read a root-only file), mode 0600/0400
 *   or stricter, holding
 *   at least 16 raw bytes. Anything else stops the daemon at start with a message that says what
 *   is wrong, because a key that other users can read authenticates nobody.
 * - Verification: plugin-msg's decodeEnvelope checks the HMAC-SHA256 tag; with `requireAuth` a
 *   message without a valid tag is refused (NO_HMAC / BAD_HMAC).
 * - Replay window: a captured authenticated request, sent again, must not be applied again. The
 *   engine's per-interface ordering already answers an exact repeat `duplicate` and an older event
 *   `stale`, but it only knows the newest event of each interface; this layer refuses an
 *   authenticated request whose (bootId, monotonicNs, pid) it has already seen, or whose age is
 *   outside the window. Age is measured on CLOCK_MONOTONIC when the sender is in our boot (the
 *   wall clock steps when NTP first syncs on a gateway), on the wall clock otherwise.
 *   The seen-set only needs to remember requests younger than the window, so it is bounded; if
 *   more than `maxTracked` arrive within one window the oldest are forgotten and the window's
 *   lower edge moves up to them, so a forgotten request still cannot be replayed.
 * - Spool files are not subject to the window: they are written by the plugins into a root-only
 *   directory, may be hours old after an outage, and may repeat an acked request that timed out
 *   (the engine answers that `duplicate`). Their tag is verified where they are read
 *   (monitor/spool.ts, with this object's `key` and `requireAuth`).
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'fs';
import { bootId as ourBootId, decodeEnvelope, Envelope, EnvelopeError } from '@dhcpmgr/plugin-msg';

export const MIN_KEY_BYTES = 16;
export const MAX_KEY_BYTES = 4096;
export const DEFAULT_REPLAY_WINDOW_S = 300;
export const DEFAULT_MAX_TRACKED = 100_000;

export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
}

/** `--require-auth` without a key would verify nobody: refused by the config and by SenderAuth. */
export function requireKeyForAuth(requireAuth: boolean, haveKey: boolean): void {
  if (requireAuth && !haveKey) throw new KeyFileError('--require-auth needs --key-file: there is no key to verify senders with');
}

export interface KeyFileOptions {
  /** Owners accepted; default root and the daemon's effective uid. */
  uids?: number[];
}

/**
 * Read the HMAC key. The file is opened with O_NOFOLLOW and checked with fstat on the same
 * descriptor, so it cannot be swapped between the check and the read.
 */
export function loadKeyFile(file: string, opts: KeyFileOptions = {}): Buffer {
  const uids = opts.uids ?? [...new Set([0, process.geteuid?.() ?? 0])];
  const fail = (why: string): never => {
    throw new KeyFileError(`Invalid --key-file ${JSON.stringify(file)}: ${why}`);
  };
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(code === 'ELOOP' ? 'is a symbolic link; expected a regular file' : `cannot open it (${code ?? (err as Error).message})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) fail('is not a regular file');
    if (!uids.includes(st.uid)) fail(`is owned by uid ${st.uid}; expected ${uids.map((u) => (u === 0 ? 'root (uid 0)' : `uid ${u}`)).join(' or ')}`);
    const mode = st.mode & 0o7777;
    if ((mode & 0o7177) !== 0) fail(`has mode ${mode.toString(8).padStart(4, '0')}; expected 0600 or 0400 (no access for group or others)`);
    if (st.size < MIN_KEY_BYTES) fail(`holds ${st.size} bytes; a key needs at least ${MIN_KEY_BYTES}`);
    if (st.size > MAX_KEY_BYTES) fail(`holds ${st.size} bytes; expected at most ${MAX_KEY_BYTES}`);
    const key = Buffer.alloc(st.size);
    let got = 0;
    while (got < key.length) {
      const n = readSync(fd, key, got, key.length - got, got);
      if (n === 0) break;
      got += n;
    }
    if (got !== key.length) fail(`changed size while being read`);
    return key;
  } finally {
    closeSync(fd);
  }
}

/** Reasons this layer adds to plugin-msg's BAD_ENVELOPE / BAD_HMAC / NO_HMAC. */
export type AuthRejectReason = 'BAD_ENVELOPE' | 'BAD_HMAC' | 'NO_HMAC' | 'REPLAYED' | 'OUTSIDE_WINDOW';

export type AuthResult =
  | { ok: true; envelope: Envelope }
  | { ok: false; reason: AuthRejectReason; detail: string };

export interface Clock {
  /** CLOCK_MONOTONIC, ns (process.hrtime.bigint() on Linux). */
  monoNs(): bigint;
  /** Wall clock, µs since the epoch. */
  wallUs(): bigint;
  /** This host's boot id (16 bytes). */
  bootId(): Buffer;
}

export const systemClock: Clock = {
  monoNs: () => process.hrtime.bigint(),
  wallUs: () => BigInt(Date.now()) * 1000n,
  bootId: () => ourBootId(),
};

export interface SenderAuthOptions {
  key?: Buffer;
  requireAuth: boolean;
  /** Seconds an authenticated request stays acceptable after it was stamped (and before: clock skew). */
  replayWindowS?: number;
  maxTracked?: number;
  clock?: Clock;
}

export interface AuthCounters {
  /** Requests whose HMAC verified. */
  authenticated: number;
  /** Requests accepted without a tag (only when not requireAuth). */
  unauthenticated: number;
  rejected: Record<AuthRejectReason, number>;
  /** Entries in the seen-set now. */
  tracked: number;
}

interface Seen {
  /** When we may forget it: our monotonic ns. */
  forgetAt: bigint;
  sameBoot: boolean;
  monotonicNs: bigint;
  wallUs: bigint;
}

function isZero(b: Buffer): boolean {
  for (const x of b) if (x !== 0) return false;
  return true;
}

/**
 * One per daemon. `key` and `requireAuth` are public so that code which takes the plain
 * `{key, requireAuth}` shape (the spool reader) can be given this object.
 */
export class SenderAuth {
  readonly key: Buffer | undefined;
  readonly requireAuth: boolean;
  readonly windowNs: bigint;
  private readonly maxTracked: number;
  private readonly clock: Clock;
  private readonly seen = new Map<string, Seen>();
  /** Raised when the seen-set overflowed: nothing at or below these is accepted any more. */
  private monoFloor = -1n;
  private wallFloor = -1n;
  private readonly counts: AuthCounters = {
    authenticated: 0, unauthenticated: 0, tracked: 0,
    rejected: { BAD_ENVELOPE: 0, BAD_HMAC: 0, NO_HMAC: 0, REPLAYED: 0, OUTSIDE_WINDOW: 0 },
  };

  constructor(opts: SenderAuthOptions) {
    requireKeyForAuth(opts.requireAuth, opts.key !== undefined);
    this.key = opts.key;
    this.requireAuth = opts.requireAuth;
    const windowS = opts.replayWindowS ?? DEFAULT_REPLAY_WINDOW_S;
    if (!Number.isInteger(windowS) || windowS < 1) throw new RangeError(`replay window ${windowS}: expected whole seconds >= 1`);
    this.windowNs = BigInt(windowS) * 1_000_000_000n;
    this.maxTracked = opts.maxTracked ?? DEFAULT_MAX_TRACKED;
    this.clock = opts.clock ?? systemClock;
  }

  /** Check one request of the acked channel: its tag, then the replay window. */
  check(req: Buffer): AuthResult {
    let env: Envelope;
    try {
      env = decodeEnvelope(req, this.key, this.requireAuth);
    } catch (err) {
      const reason: AuthRejectReason = err instanceof EnvelopeError ? err.code : 'BAD_ENVELOPE';
      return this.reject(reason, (err as Error).message);
    }
    if (!env.authenticated) {
      this.counts.unauthenticated++;
      return { ok: true, envelope: env };
    }
    const why = this.replayCheck(env);
    if (why) return this.reject(why.reason, why.detail);
    this.counts.authenticated++;
    return { ok: true, envelope: env };
  }

  stats(): AuthCounters {
    return { ...this.counts, rejected: { ...this.counts.rejected }, tracked: this.seen.size };
  }

  private reject(reason: AuthRejectReason, detail: string): AuthResult {
    this.counts.rejected[reason]++;
    return { ok: false, reason, detail };
  }

  private replayCheck(env: Envelope): { reason: AuthRejectReason; detail: string } | undefined {
    const nowMono = this.clock.monoNs();
    this.prune(nowMono);
    const ours = this.clock.bootId();
    const sameBoot = !isZero(env.bootId) && env.bootId.equals(ours);
    // Age in ns, on the clock the sender and we share.
    const ageNs = sameBoot ? nowMono - env.monotonicNs : (this.clock.wallUs() - env.wallUs) * 1000n;
    if (ageNs > this.windowNs || -ageNs > this.windowNs) {
      const s = Number(ageNs / 1_000_000n) / 1000;
      return { reason: 'OUTSIDE_WINDOW', detail: `stamped ${s} s ago; the replay window is ${this.windowNs / 1_000_000_000n} s` };
    }
    if (sameBoot ? env.monotonicNs <= this.monoFloor : env.wallUs <= this.wallFloor) {
      return { reason: 'OUTSIDE_WINDOW', detail: 'older than the oldest request still remembered (more than the tracked maximum arrived within the window)' };
    }
    const id = `${env.bootId.toString('hex')}:${env.monotonicNs}:${env.senderPid}`;
    if (this.seen.has(id)) return { reason: 'REPLAYED', detail: `request ${id} was already received` };
    this.seen.set(id, { forgetAt: nowMono + this.windowNs, sameBoot, monotonicNs: env.monotonicNs, wallUs: env.wallUs });
    if (this.seen.size > this.maxTracked) this.evictOldest();
    return undefined;
  }

  /** Forget entries the time check alone now refuses (Map order = arrival order). */
  private prune(nowMono: bigint): void {
    for (const [id, s] of this.seen) {
      if (s.forgetAt > nowMono) break;
      this.seen.delete(id);
    }
  }

  private evictOldest(): void {
    const first = this.seen.entries().next();
    if (first.done) return;
    const [id, s] = first.value;
    this.seen.delete(id);
    if (s.sameBoot) { if (s.monotonicNs > this.monoFloor) this.monoFloor = s.monotonicNs; }
    else if (s.wallUs > this.wallFloor) this.wallFloor = s.wallUs;
  }
}
