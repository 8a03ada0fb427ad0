/**
 * INTERIM: the lab starts udhcpc and dibbler-client itself, on the gateway side, running the
 * built plugins as their scripts. This whole file goes away once the manager runs the DHCP
 * clients (it then gets LAB_CLIENTS_CONFIG with --config, see cli/lab.ts).
 */
import { existsSync, mkdirSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';
import { inNs, LAB_NET, LabNet } from './netns';
import { Proc, Procs } from './procs';
import { CLEAN_PATH, isolatedDibbler } from './services';

/** The built plugin executable of a workspace package (its package.json `bin`). */
function pluginBin(pkg: string): string {
  let dir: string;
  try {
    dir = dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new Error(`${pkg} is not installed next to the manager (the lab runs it as the DHCP client's script)`);
  }
  const bin = Object.values((require(`${pkg}/package.json`) as { bin: Record<string, string> }).bin)[0]!;
  const file = join(dir, bin);
  if (!existsSync(file)) throw new Error(`${file} is missing: build first (npm run build)`);
  return file;
}

export function startClientsUntilSupervisor(procs: Procs, net: LabNet, dir: string, spoolDir: string): Proc[] {
  const env = ['env', '-i', `PATH=${CLEAN_PATH}`, `DHCPMGR_SPOOL_DIR=${spoolDir}`];
  const udhcpc = procs.start('udhcpc', inNs(net.gw, [...env, 'busybox', 'udhcpc', '-f', '-i', LAB_NET.wanIf,
    '-s', pluginBin('@dhcpmgr/udhcpc-plugin'), '-O', 'ntpsrv', '-O', 'search', '-x', 'hostname:dhcpmgr-lab']), join(dir, 'udhcpc.log'));
  mkdirSync(join(dir, 'dibbler-cli'), { recursive: true });
  writeFileSync(join(dir, 'dibbler-cli', 'client.conf'), `log-level 7
log-mode short
script "${pluginBin('@dhcpmgr/dibbler-plugin')}"
iface "${LAB_NET.wanIf}" {
  ia
  pd
  option dns-server
  option domain
}
`);
  const dibbler = procs.start('dibbler-client', inNs(net.gw, [...env, 'unshare', '-m', '--propagation', 'private',
    'sh', '-c', `${isolatedDibbler(dir, 'cli')} && exec dibbler-client run`]), join(dir, 'dibbler-client.log'));
  return [udhcpc, dibbler];
}
