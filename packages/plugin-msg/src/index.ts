export * from './layout';
export * from './types';
export * from './errors';
export { decode, decodeFrame, encode, encodingLength } from './codec';
export type { EncodeOptions } from './codec';
export * from './envelope';
export * from './spool';
export * from './peek';
export * from './ifname';
export * from './levels';
export * from './version';
// Two more entries keep this one free of what only some callers need: `/transport` and
// `/transport-raw` load the native nanomsg addon, `/runtime` is the plugin executables' runtime
// (configuration, delivery, the command line, pino), `/testing` the tests' and benches' helpers.
