/**
 * The manager's version. A require of package.json rather than a file read (plugin-msg's
 * packageVersion): the release bundle (scripts/package.js) then carries the version inside it,
 * where no package.json sits beside the code.
 */
export const VERSION: string = (() => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();
