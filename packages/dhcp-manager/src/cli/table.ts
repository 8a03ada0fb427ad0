/** Plain aligned text tables for the client commands. */
export function table(headers: string[], rows: Array<Array<string | number | boolean | undefined>>): string {
  const cells = rows.map((r) => r.map((c) => (c === undefined ? '' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), ...cells.map(line)].join('\n') + '\n';
}

/** Seconds as `1d2h3m4s`; -1 = infinite. */
export function duration(s: number | undefined): string {
  if (s === undefined) return '';
  if (s < 0) return 'forever';
  const parts: string[] = [];
  const units: Array<[string, number]> = [['d', 86400], ['h', 3600], ['m', 60]];
  let left = Math.floor(s);
  for (const [u, n] of units) {
    if (left >= n) {
      parts.push(`${Math.floor(left / n)}${u}`);
      left %= n;
    }
  }
  if (left || parts.length === 0) parts.push(`${left}s`);
  return parts.join('');
}
