export * from './contract';
export { DEFAULTS, OPTIONS, ConfigError, resolveConfig } from './config';
export type { Config, OptionName } from './config';
export { Daemon, startDaemon } from './daemon';
export type { EngineLike, EngineFactory } from './daemon';
export { PubSink, parsePublished, REJECT_TOPIC } from './publisher';
export { NoneApplier, Iproute2Applier, commandsFor, createApplier } from './appliers';
export { run } from './cli';
