/** Where the plugins the managed clients run are found by default (light: config.ts loads it). */
import { existsSync } from 'fs';
import { resolve } from 'path';

/** The plugin built beside this package in the monorepo when present, else the installed one. */
export function defaultPlugin(kind: 'udhcpc' | 'dibbler'): string {
  const sibling = resolve(__dirname, '..', '..', '..', `${kind}-plugin`, 'dist', `dhcpmgr-${kind}-plugin.js`);
  return existsSync(sibling) ? sibling : `/usr/bin/dhcpmgr-${kind}-plugin`;
}
