'use strict';
/**
 * glibc's malloc_trim(0): hands the free pages of every C heap arena back to the kernel. Node has
 * no call for it, and glibc keeps what a burst of work freed (V8's and libuv's threads, SQLite,
 * nanomsg) in its arenas; the manager calls trim() when it gives memory back after work.
 *
 * When the addon is not built for this machine, or the C library is not glibc, `available` is
 * false, trim() returns -1 and `loadError` says why (the manager reports it in its status).
 */
const path = require('path');

let binding;
let loadError;
try {
  binding = require(path.join(__dirname, 'build', 'Release', 'malloc_trim.node'));
} catch (err) {
  loadError = err instanceof Error ? err.message : String(err);
}

module.exports = {
  available: binding !== undefined && binding.available(),
  /** 1: memory was released, 0: none could be, -1: not available. */
  trim: () => (binding !== undefined ? binding.trim() : -1),
  loadError,
};
