/** Linux interface names: 1..15 bytes, no '/', no whitespace, not '.' or '..'. */
export function checkIfname(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return 'is missing or empty';
  if (v.length > 15) return `"${v}" is ${v.length} bytes; an interface name has at most 15`;
  if (/[\s/:\x00-\x1f\x7f-\uffff]/.test(v) || v === '.' || v === '..') return `"${v}" is not a valid interface name`;
  return undefined;
}
