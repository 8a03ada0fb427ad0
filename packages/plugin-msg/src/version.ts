import { readFileSync } from 'fs';
import { join } from 'path';

/**
 * The `version` of the package.json in `packageDir`, or 'unknown' when it cannot be read (an
 * executable copied out of its package). Callers pass the directory their own package.json is in.
 */
export function packageVersion(packageDir: string): string {
  try {
    const v = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' ? v : 'unknown';
  } catch {
    return 'unknown';
  }
}
