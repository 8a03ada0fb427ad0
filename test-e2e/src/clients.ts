/**
 * DHCP client processes the manager under test started: found through /proc, limited to one
 * network namespace (other tests may run the same programs in theirs), and the last-resort
 * cleanup by the manager's pid files.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Lab } from './lab';
import { Manager, startManager, startWatch, Watch } from './manager';
import { sleep } from './proc';

/** The inode of a named network namespace (what /proc/PID/ns/net links to). */
export function netnsInode(name: string): string {
  return String(fs.statSync(`/run/netns/${name}`).ino);
}

/** PIDs in that network namespace whose command line matches. */
export function clientPids(netns: string, match: (argv: string[]) => boolean): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readlinkSync(`/proc/${d}/ns/net`) !== `net:[${netns}]`) continue;
      const argv = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (argv.length && match(argv)) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out.sort((a, b) => a - b);
}

/** Kill what the manager's pid files name, when the process still is that client (start time checked). */
export function killClientsOf(dir: string): void {
  let files: string[] = [];
  try { files = fs.readdirSync(dir).filter((f) => f.endsWith('.pid')); } catch { return; }
  for (const f of files) {
    try {
      const p = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { pid: number; startTime: string };
      const now = fs.readFileSync(`/proc/${p.pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[19];
      if (now === p.startTime) process.kill(p.pid, 'SIGKILL');
    } catch {
      // not running
    }
  }
}

export interface ClientManager { mgr: Manager; watch: Watch; tokenFile: string; args: string[] }

/**
 * A manager in the lab's client namespace run from a client table (`clients`: the config file's
 * section), with an API token for `dhcp-manager set`, releasing its clients when it stops; and a
 * `watch` on its events.
 */
export async function startClientManager(lab: Lab, clients: unknown): Promise<ClientManager> {
  const config = path.join(lab.dir, 'manager.json');
  fs.writeFileSync(config, JSON.stringify({ clients }));
  const tokenFile = path.join(lab.dir, 'api-token');
  fs.writeFileSync(tokenFile, 'e2e-token-0123456789abcdef\n', { mode: 0o600 });
  const args = ['--config', config, '--api-token-file', tokenFile, '--stop-clients-on-exit'];
  const mgr = await startManager(lab, args);
  const watch = startWatch(lab);
  await sleep(500);
  return { mgr, watch, tokenFile, args };
}

/** Stop the manager, kill by pid file any client it left, remove the lab. */
export async function stopClientManager(mgr: Manager | undefined, lab: Lab | undefined): Promise<void> {
  if (mgr) await mgr.stop().catch(() => undefined);
  if (mgr) killClientsOf(path.join(mgr.stateDir, 'clients'));
  await lab?.teardown();
}
