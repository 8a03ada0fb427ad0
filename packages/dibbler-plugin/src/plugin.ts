import type { PluginSpec } from '@dhcpmgr/plugin-msg';
import { envToMsg } from './envToMsg';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION: string = (require('../package.json') as { version: string }).version;

export const spec: PluginSpec = {
  name: 'dhcpmgr-dibbler-plugin',
  version: VERSION,
  events: 'add, update, delete, del, expire (others are ignored)',
  envToMsg: (event, env, cfg) => envToMsg(event, env, cfg.ifname ? { ifname: cfg.ifname } : {}),
};
