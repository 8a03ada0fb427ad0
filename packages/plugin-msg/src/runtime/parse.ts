/** Parsing helpers shared by both plugins' envToMsg. */

/**
 * A decimal integer in [min, max], with optional surrounding whitespace (dibbler appends a space)
 * and sign. Anything else is undefined: we never read "77abc" as 77 the way atoi/strtol do.
 */
export function parseDecimal(value: string, min: number, max: number): number | undefined {
  const m = /^\s*([+-]?\d{1,20})\s*$/.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

export const U32_MAX = 0xffffffff;
