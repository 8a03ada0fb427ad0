/**
 * Monotonic milliseconds for timing work (a commit, a queue wait, a handler, a memory release).
 * The global `performance.now()` gives the same, but its first use loads node's perf_hooks module
 * and about ten internal modules with it, which a daemon pays for in memory for its whole life
 * (docs/performance.md, "Footprint").
 */
export function elapsedNow(): number {
  const t = process.hrtime();
  return t[0] * 1e3 + t[1] / 1e6;
}
