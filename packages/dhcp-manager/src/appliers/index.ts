import type { Applier } from '../contract';
import type { Config } from '../config';
import { NoneApplier } from './none';
import { ApplyResult, Iproute2Applier } from './iproute2';

export { NoneApplier } from './none';
export { Iproute2Applier, commandsFor } from './iproute2';
export type { ApplyResult, Iproute2Options } from './iproute2';

export function createApplier(config: Pick<Config, 'apply' | 'applyRoutes' | 'applyMtu' | 'applyNetns'>, onResult: (r: ApplyResult) => void): Applier {
  if (config.apply === 'iproute2') {
    return new Iproute2Applier({ routes: config.applyRoutes, mtu: config.applyMtu, netns: config.applyNetns || undefined, onResult });
  }
  return new NoneApplier();
}
