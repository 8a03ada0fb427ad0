/**
 * File mode and group of ipc:// socket files: nanomsg creates the socket file with the
 * process umask, so whoever may write to it may send leases. After bind we set --ipc-mode and
 * --ipc-group so that only the DHCP clients' user or group can connect. (Run the daemon with
 * umask 0077 too, so the file is never more open than that, even between bind and chmod.)
 */
import { chmodSync, chownSync, readFileSync } from 'fs';

/** The socket path of an ipc:// endpoint, or undefined for tcp:// and friends. */
export function ipcPath(endpoint: string | null | undefined): string | undefined {
  return endpoint && endpoint.startsWith('ipc://') ? endpoint.slice('ipc://'.length) : undefined;
}

/** A group name (from /etc/group) or a numeric gid -> gid. Throws when unknown. */
export function resolveGroup(group: string, groupFile = '/etc/group'): number {
  if (/^\d+$/.test(group)) return Number(group);
  for (const line of readFileSync(groupFile, 'utf8').split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new Error(`Invalid --ipc-group "${group}": no such group in ${groupFile}`);
}

export function applyIpcPermissions(endpoint: string | null | undefined, mode?: number, group?: string): void {
  const path = ipcPath(endpoint);
  if (!path || (mode === undefined && !group)) return;
  if (group) chownSync(path, -1, resolveGroup(group));
  if (mode !== undefined) chmodSync(path, mode);
}
