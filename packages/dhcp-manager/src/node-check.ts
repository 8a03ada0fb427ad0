/**
 * Which Node.js the manager runs on. bin.ts calls this before it loads anything else, so that a
 * too old Node (or one whose native-addon ABI differs from the one the installed addons were
 * built for) gets one clear line instead of a syntax error or a failed dlopen deep in a stack.
 *
 * Kept to plain syntax and no imports: the release package's launcher carries this function
 * compiled for old engines (ES2017), and it must parse there to say why it refuses.
 */

/** The supported Node.js versions (as the root package.json's `engines`): 20.x, or 22 and later. */
export const NODE_RANGE = '>=20 <21 || >=22';

/**
 * Why this Node cannot run the manager, or undefined when it can. `version` is
 * `process.versions.node` (e.g. `20.20.2`); `abi` is `process.versions.modules` and `builtAbi`
 * the ABI the native addons were built for (only the release package knows it).
 */
export function nodeRefusal(version: string, abi?: string, builtAbi?: string): string | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(String(version));
  if (!m) return 'cannot read the Node.js version "' + version + '"; dhcp-manager needs Node.js ' + NODE_RANGE;
  const major = Number(m[1]);
  if (major < 20 || major === 21) {
    return 'Node.js ' + m[0].replace(/^v/, '') + ' is not supported; dhcp-manager needs Node.js ' + NODE_RANGE;
  }
  if (builtAbi && abi !== builtAbi) {
    return 'the native addons of this installation were built for Node.js ABI ' + builtAbi + ', but this Node.js '
      + m[0].replace(/^v/, '') + ' has ABI ' + abi + '; install the Node.js major version the package was built for, or a package built for this one';
  }
  return undefined;
}
