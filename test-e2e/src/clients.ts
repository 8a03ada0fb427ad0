/**
 * DHCP client processes the manager under test started: found through /proc, limited to one
 * network namespace (other tests may run the same programs in theirs), and the last-resort
 * cleanup by the manager's pid files.
 */
import * as fs from 'fs';
import * as path from 'path';

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
