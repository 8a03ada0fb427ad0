/**
 * The one interface-name rule, used by the validator (BAD_IFNAME) and by the configuration
 * (--interfaces). No imports: the configuration is loaded by every CLI command.
 *
 * Linux rules (dev_valid_name): 1-15 bytes, not '.' or '..', no '/', ':' or whitespace. We
 * also refuse control characters and bytes above 0x7e: a name is printed in logs, TR-181 and
 * `ip` arguments, and no interface on a gateway needs them.
 */
export function ifnameProblem(name: string): string | undefined {
  if (name.length === 0) return 'empty interface name';
  if (name.length > 15) return `interface name is ${name.length} bytes; Linux allows 15`;
  if (name === '.' || name === '..') return `interface name ${name} is reserved`;
  for (let k = 0; k < name.length; k++) {
    const c = name.charCodeAt(k);
    if (c <= 0x20 || c >= 0x7f || c === 0x2f || c === 0x3a) {
      return `interface name has byte 0x${c.toString(16).padStart(2, '0')} at ${k} (no '/', ':', whitespace, control or non-ASCII)`;
    }
  }
  return undefined;
}

