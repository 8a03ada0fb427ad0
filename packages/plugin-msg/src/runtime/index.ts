// The plugin runtime (`@dhcpmgr/plugin-msg/runtime`): what both plugin executables share beyond
// the wire format. Code that only encodes or decodes imports `@dhcpmgr/plugin-msg` instead and
// loads none of this (nor pino).
export * from './exit';
export * from './config';
export * from './deliver';
export * from './run';
export * from './parse';
export * from './log';
export { pluginMain } from './main';
