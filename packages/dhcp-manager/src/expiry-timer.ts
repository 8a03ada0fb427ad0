/**
 * One timer at the engine's next expiry. dibbler never reports an expired lease, so the manager
 * ends leases itself: on fire, expireDue() (which publishes LEASE_DEL and drives appliers), then
 * re-arm. Re-armed after every commit too, since a new lease may expire sooner. Deadlines are
 * CLOCK_MONOTONIC ms (model/clock.ts), and Node's timers run on that clock too, so a wall-clock
 * step neither fires nor delays the timer.
 */
import { monoNowMs } from './model/clock';

export interface Expirer {
  expireDue(now?: number): unknown[];
  nextExpiry(): number | undefined;
}

/** setTimeout holds at most 2^31-1 ms; a later expiry is reached in steps. */
const MAX_DELAY = 0x7fffffff;

export class ExpiryTimer {
  private timer: NodeJS.Timeout | undefined;
  private armedAt: number | undefined;
  private stopped = false;

  constructor(private readonly engine: Expirer, private readonly onError: (err: unknown) => void = () => undefined,
              private readonly now: () => number = monoNowMs) {}

  /** `floorMs`: right after a fire, never re-fire sooner (an engine that keeps reporting a past expiry must not spin). */
  arm(floorMs = 0): void {
    if (this.stopped) return;
    const at = this.engine.nextExpiry();
    if (at === this.armedAt && this.timer) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = at;
    if (at === undefined) return;
    const delay = Math.min(Math.max(floorMs, at - this.now()), MAX_DELAY);
    this.timer = setTimeout(() => this.fire(), delay);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    this.armedAt = undefined;
    try {
      this.engine.expireDue(this.now());
    } catch (err) {
      this.onError(err);
    }
    this.arm(this.engine.nextExpiry() !== undefined && this.engine.nextExpiry()! <= this.now() ? 100 : 0);
  }
}
