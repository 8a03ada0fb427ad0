'use strict';
/**
 * The part of node's assert module that the manager's dependencies use (yargs: strictEqual and
 * notStrictEqual on its own arguments; pino's sonic-boom and thread-stream: assert(value)), with
 * the same meaning: throw an AssertionError when the check fails. The release bundle gives it to
 * those packages instead of node's assert (scripts/package.js, plugin assert-lite), which would
 * load four modules and stay in the daemon's memory for its whole life.
 */
class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = 'AssertionError';
    this.code = 'ERR_ASSERTION';
  }
}

function assert(value, message) {
  if (!value) throw message instanceof Error ? message : new AssertionError(message ?? 'The expression evaluated to a falsy value');
}

assert.ok = assert;
assert.strictEqual = (actual, expected, message) => {
  if (!Object.is(actual, expected)) throw new AssertionError(message ?? `Expected values to be strictly equal: ${String(actual)} !== ${String(expected)}`);
};
assert.notStrictEqual = (actual, expected, message) => {
  if (Object.is(actual, expected)) throw new AssertionError(message ?? `Expected "actual" to be strictly unequal to: ${String(expected)}`);
};
assert.AssertionError = AssertionError;

module.exports = assert;
