import type { Applier } from '../contract';
import type { Logger } from 'pino';
import type { Registry } from '../metrics-registry';
import type { Config } from '../config';
import { NoneApplier } from './none';
import type { ApplyResult } from './iproute2';

export { NoneApplier } from './none';
export type { ApplyResult, Iproute2Options } from './iproute2';
export type { SystemOptions } from './system';

export function createApplier(config: Pick<Config, 'apply' | 'applyRoutes' | 'applyMtu' | 'applyNetns' | 'stateDir' | 'system'>, onResult: (r: ApplyResult) => void,
  extra: { logger?: Logger; registry?: Registry } = {}): Applier {
  if (config.apply === 'iproute2') {
    // A Config built without resolveConfig (tests, embedders) has no system part: WAN only, no DNS.
    const s = config.system;
    // Loaded only here: with `--apply none` the daemon never needs child_process or the system code.
    const { SystemApplier } = require('./system') as typeof import('./system');
    return new SystemApplier({
      stateDir: config.stateDir, routes: config.applyRoutes, mtu: config.applyMtu, netns: config.applyNetns || undefined, onResult,
      routeMetrics: s?.routeMetrics, lans: s?.lanInterfaces, lanDeprecateS: s?.lanDeprecateS,
      dns: s ? { mode: s.dnsMode, file: s.resolvFile, priority: s.dnsPriority } : undefined, ...extra,
    });
  }
  return new NoneApplier();
}
