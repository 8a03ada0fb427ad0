import type { PluginSpec } from '@dhcpmgr/plugin-msg';
import { envToMsg } from './envToMsg';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION: string = (require('../package.json') as { version: string }).version;

export const spec: PluginSpec = {
  name: 'dhcpmgr-udhcpc-plugin',
  version: VERSION,
  events: 'bound, renew, deconfig, leasefail (others, e.g. nak, are ignored)',
  envToMsg: (event, env) => envToMsg(event, env),
};
