#!/usr/bin/env node
import { nodeRefusal } from './node-check';

/** Set only in the release package's launcher (scripts/package.js): the addons' Node ABI. */
declare const DHCPMGR_BUILT_ABI: string | undefined;

// First, before the CLI and its dependencies load: refuse a Node.js that cannot run them.
const refusal = nodeRefusal(process.versions.node, process.versions.modules,
  typeof DHCPMGR_BUILT_ABI === 'string' ? DHCPMGR_BUILT_ABI : undefined);
if (refusal) {
  process.stderr.write(`dhcp-manager: ${refusal}\n`);
  process.exitCode = 2;
} else {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('./cli') as typeof import('./cli')).run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  }, (err: unknown) => {
    process.stderr.write(`dhcp-manager: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
