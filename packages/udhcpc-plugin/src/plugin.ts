import { join } from 'path';
import { packageVersion } from '@dhcpmgr/plugin-msg';
import type { PluginSpec } from '@dhcpmgr/plugin-msg/runtime';
import { envToMsg } from './envToMsg';

export const spec: PluginSpec = {
  name: 'dhcpmgr-udhcpc-plugin',
  // Read only for --version; this file sits one level below package.json in src/, dist/ and the bundle.
  get version() { return packageVersion(join(__dirname, '..')); },
  events: 'bound, renew, deconfig, leasefail (others, e.g. nak, are ignored)',
  envToMsg: (event, env) => envToMsg(event, env),
};
