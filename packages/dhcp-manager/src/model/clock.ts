/**
 * Lease time. Lifetimes are counted on CLOCK_MONOTONIC from the moment the lease was received,
 * as DHCP clients count them: a gateway without a battery-backed clock boots at a default date
 * and NTP (or an operator) later steps the wall clock by years, which must never expire, extend
 * or reorder a lease. CLOCK_MONOTONIC only means something within one boot, so every lease
 * carries the boot id it was received in; at start the engine ends leases of another boot
 * (docs/reliability.md, "Time"). Wall-clock values are kept for display only.
 */
import { bootId, INFINITE } from '@dhcpmgr/plugin-msg';

export interface LeaseClock {
  /** Wall clock, ms since the epoch: display and history only. */
  wall(): number;
  /** CLOCK_MONOTONIC, ms: every countdown and the expiry timer. */
  mono(): number;
  /** This boot's id (hex of /proc/sys/kernel/random/boot_id; zeros when unknown). */
  readonly boot: string;
}

/** The time a message is handled at: wall for display, monotonic base for lifetimes, and its boot. */
export interface EventTime { wall: number; mono: number; boot: string }

/** process.hrtime is CLOCK_MONOTONIC on Linux (libuv's uv_hrtime), the clock the envelope carries. */
export function monoNowMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

export const SYSTEM_CLOCK: LeaseClock = {
  wall: () => Date.now(),
  mono: monoNowMs,
  get boot() { return bootId().toString('hex'); },
};

/** Monotonic deadline of a lifetime in seconds counted from `baseMono`; null = infinite (0xFFFFFFFF). */
export function deadlineOf(baseMono: number, seconds: number): number | null {
  return seconds === INFINITE ? null : baseMono + seconds * 1000;
}

/** Wall-clock rendering of a monotonic deadline, as seen now (steps move it with the clock). */
export function wallOf(deadlineMono: number | null, now: { wall: number; mono: number }): number | null {
  return deadlineMono === null ? null : now.wall + (deadlineMono - now.mono);
}

/**
 * The monotonic base of an event: its sender's CLOCK_MONOTONIC stamp when it was made in this
 * boot (a spooled lease replayed late still ends when it really ends), else the receive time.
 * The age is measured on the real CLOCK_MONOTONIC (the stamp's clock) and applied to `nowMono`,
 * so an injected clock stays consistent.
 */
export function eventBase(nowMono: number, order: { bootId: Buffer; monotonicNs: bigint } | undefined, boot: Buffer): number {
  if (!order || !order.bootId.equals(boot) || boot.every((b) => b === 0)) return nowMono;
  const ageMs = (Number(process.hrtime.bigint() - order.monotonicNs)) / 1e6;
  return ageMs > 0 && Number.isFinite(ageMs) ? nowMono - ageMs : nowMono;
}

/** The engine's lease clock: `leaseClock` when given; an injected wall clock alone (unit tests) also drives the monotonic one. */
export function leaseClockOf(opts: { clock?: () => number; leaseClock?: LeaseClock }): LeaseClock {
  return opts.leaseClock ?? (opts.clock ? { wall: opts.clock, mono: opts.clock, boot: SYSTEM_CLOCK.boot } : SYSTEM_CLOCK);
}
