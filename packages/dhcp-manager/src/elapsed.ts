/**
 * Monotonic milliseconds for timing work (a commit, a queue wait, a handler, a memory release).
 * The global `performance.now()` gives the same, but its first use loads node's perf_hooks module
 * and about ten internal modules with it, which a daemon pays for in memory for its whole life
 * (docs/performance.md, "Footprint"). Every duration the daemon measures goes through here;
 * model/clock.ts `monoNowMs` reads the same clock rounded to whole microseconds, for lease times
 * that are stored, which is too coarse for the handler histogram's 1 us bucket.
 */
export function elapsedNow(): number {
  const t = process.hrtime();
  return t[0] * 1e3 + t[1] / 1e6;
}
