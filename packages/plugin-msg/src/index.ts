export * from './layout';
export * from './types';
export * from './errors';
export { decode, decodeFrame, encode, encodingLength } from './codec';
export type { EncodeOptions } from './codec';
export * from './envelope';
// The transport is a separate entry (`@dhcpmgr/plugin-msg/transport` via dist/transport.js) so
// that code which only encodes (dry runs, the `decode` CLI) does not load the native addon.
export * from './spool';
export * from './client';
export * from './log';
