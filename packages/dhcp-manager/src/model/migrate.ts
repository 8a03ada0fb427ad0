/**
 * Schema 2 -> 3 of a stored record: schema 2 kept only wall-clock deadlines; schema 3 counts on
 * CLOCK_MONOTONIC (model/clock.ts). The time left as the wall clock reads at the upgrade is
 * carried over onto the monotonic clock, and the boot is the one of the record's last applied
 * event (its stored order), so a record of an earlier boot is ended as 'reboot' right after.
 */
import type { LeaseClock } from './clock';
import type { IaCommon, LeaseRecord } from './types';

type Now = { wall: number; mono: number };

const toMono = (wallDeadline: number | null, now: Now): number | null => (wallDeadline === null ? null : now.mono + (wallDeadline - now.wall));

function ia<T extends IaCommon>(x: T | null, boot: string, now: Now): T | null {
  if (!x) return x;
  return {
    ...x, boot, obtainedMono: now.mono - Math.max(0, now.wall - x.obtainedAt),
    preferredMono: toMono(x.preferredUntil, now), validMono: toMono(x.validUntil, now),
  };
}

export function upgradeRecordV3(r: LeaseRecord, orderBoot: Buffer | null, clock: LeaseClock): LeaseRecord {
  const now = { wall: clock.wall(), mono: clock.mono() };
  const boot = orderBoot && orderBoot.length === 16 ? orderBoot.toString('hex') : clock.boot;
  if (r.version === 4) {
    if (!r.lease) return r;
    const l = r.lease;
    return { ...r, lease: { ...l, boot, obtainedMono: now.mono - Math.max(0, now.wall - l.obtainedAt), expiresMono: toMono(l.expiresAt, now) } };
  }
  return { ...r, na: ia(r.na, boot, now), pd: ia(r.pd, boot, now) };
}
