/** Parsing helpers shared by both plugins' envToMsg. */

/**
 * A decimal integer in [min, max], with optional surrounding whitespace (dibbler appends a space)
 * and sign. Anything else is undefined: we never read "77abc" as 77 the way atoi/strtol do.
 */
export function parseDecimal(value: string, min: number, max: number): number | undefined {
  // By hand rather than /^\s*([+-]?\d{1,20})\s*$/ (see isDottedQuad); trim() strips exactly the
  // characters \s matches.
  const v = value.trim();
  const start = v.charCodeAt(0) === 0x2b || v.charCodeAt(0) === 0x2d ? 1 : 0; // + or -
  const digits = v.length - start;
  if (digits < 1 || digits > 20) return undefined;
  for (let i = start; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

/** True when every character is 0x01-0xff, i.e. the string is bytes a C string can hold. */
export function isCStringText(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 0 || c > 0xff) return false;
  }
  return true;
}

export const U32_MAX = 0xffffffff;

/**
 * What Node's net.isIPv4 accepts: four decimal parts 0-255 joined by dots, no leading zeros
 * ("0" itself is fine), nothing else. Checked by hand: the regular expression for it (net's
 * own pattern) takes V8 about 0.2 ms to compile, on every lease event (docs/performance.md,
 * plugin start-up).
 */
export function isDottedQuad(s: string): boolean {
  let parts = 0;
  let digits = 0;
  let value = 0;
  let leadingZero = false;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0x2e; // the end closes the last part as a dot would
    if (c === 0x2e) {
      if (digits === 0 || value > 255 || (leadingZero && digits > 1) || ++parts > 4) return false;
      digits = 0;
      value = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 0) leadingZero = c === 0x30;
      if (++digits > 3) return false;
      value = value * 10 + (c - 0x30);
    } else {
      return false;
    }
  }
  return parts === 4;
}
