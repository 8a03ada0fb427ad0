/**
 * The manager as the lab starts it: its --config (one DHCPv4 and one DHCPv6 client on the WAN
 * link, which the manager runs itself) and a fresh API token for the page's write buttons, both
 * written into the lab's temp dir, and the `start` flags that use them.
 */
import { randomBytes } from 'crypto';
import { writeFileSync } from 'fs';
import { join } from 'path';
import { LAB_NET } from './netns';

/** The manager's configuration in the lab: one DHCPv4 and one DHCPv6 client on the WAN side. */
export const LAB_CLIENTS_CONFIG = {
  clients: {
    dhcpv4: [{ interface: LAB_NET.wanIf, enable: true }],
    dhcpv6: [{ interface: LAB_NET.wanIf, enable: true, requestAddresses: true, requestPrefixes: true }],
  },
};

/** Inside the gateway namespace; only the bridge reaches it. */
export const INNER_HTTP_PORT = 50325;

export interface LabManagerFiles { config: string; token: string; tokenFile: string }

/**
 * Writes the config and the token. The token file follows --api-token-file's rules (the
 * caller's own file, mode 0600; the temp dir itself is 0700); the person pastes the token when
 * the page asks for it.
 */
export function writeManagerFiles(dir: string): LabManagerFiles {
  const config = join(dir, 'manager.json');
  writeFileSync(config, `${JSON.stringify(LAB_CLIENTS_CONFIG, null, 2)}\n`);
  const token = randomBytes(16).toString('hex');
  const tokenFile = join(dir, 'api-token');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  return { config, token, tokenFile };
}

/**
 * The `dhcp-manager start` flags. The plugins are the manager's defaults (clients/plugins.ts):
 * the ones built beside it in the repository, else the installed ones. --stop-clients-on-exit:
 * the lab's Ctrl-C must leave no udhcpc or dibbler-client behind.
 */
export function managerFlags(dir: string, files: LabManagerFiles): string[] {
  return ['--config', files.config, '--stop-clients-on-exit', '--api-token-file', files.tokenFile,
    '--http', `127.0.0.1:${INNER_HTTP_PORT}`, '--state-dir', join(dir, 'state'), '--spool-dir', join(dir, 'spool'),
    '--apply', 'iproute2', '--durability', 'normal'];
}
