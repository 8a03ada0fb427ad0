/**
 * busybox udhcpc for one DHCPv4 client: the argument array the supervisor spawns. Every value
 * is its own argv element (never a shell), so text from a write (a host name with `;` or `$()`)
 * reaches udhcpc as one argument. The values were checked by table.ts/params.ts.
 */
import type { V4Client } from './table';

export interface ClientLaunch {
  /** Program and arguments, argv[0] first. */
  argv: string[];
  env: Record<string, string>;
}

/**
 * -f: stay in the foreground (the supervisor owns the process); -s: our plugin runs on every
 * event. No -R: a manager stop or upgrade must not release the WAN address; Enable=false
 * releases explicitly with SIGUSR2.
 */
export function udhcpcArgv(c: V4Client, udhcpc: string[], plugin: string): string[] {
  const argv = [...udhcpc, '-f', '-i', c.interface, '-s', plugin];
  for (const o of c.reqOptions) if (o.enable) argv.push('-O', String(o.tag));
  for (const o of c.sentOptions) if (o.enable && o.value !== '') argv.push('-x', `0x${o.tag.toString(16).padStart(2, '0')}:${o.value}`);
  if (c.hostName) argv.push('-x', `hostname:${c.hostName}`);
  if (c.vendorClass) argv.push('-V', c.vendorClass);
  if (c.clientId) argv.push('-x', `0x3d:${c.clientId}`);
  if (c.requestedIp) argv.push('-r', c.requestedIp);
  return argv;
}
