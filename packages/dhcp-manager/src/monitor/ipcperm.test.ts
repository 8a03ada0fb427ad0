import { mkdtempSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { applyIpcPermissions, ipcPath, resolveGroup } from './ipcperm';

describe('ipc socket permissions', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-ipcperm-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the socket path of ipc:// endpoints only', () => {
    expect(ipcPath('ipc:///run/dhcpmgr/ack.ipc')).toBe('/run/dhcpmgr/ack.ipc');
    expect(ipcPath('tcp://127.0.0.1:50326')).toBeUndefined();
    expect(ipcPath(null)).toBeUndefined();
  });

  it('resolves a group name from the group file, a number as itself, and refuses an unknown name', () => {
    const groups = join(dir, 'group');
    writeFileSync(groups, 'root:x:0:\ndhcpc:x:123:udhcpc\n');
    expect(resolveGroup('dhcpc', groups)).toBe(123);
    expect(resolveGroup('77', groups)).toBe(77);
    expect(() => resolveGroup('nosuch', groups)).toThrow(/no such group/);
  });

  it('sets the mode and group of the socket file and leaves tcp endpoints alone', () => {
    const sock = join(dir, 'ack.ipc');
    writeFileSync(sock, '', { mode: 0o755 });
    // Any group as root; a non-root user may only pick one of its own.
    const gid = process.getuid!() === 0 ? 1 : process.getgid!();
    applyIpcPermissions(`ipc://${sock}`, 0o660, String(gid));
    const st = statSync(sock);
    expect(st.mode & 0o777).toBe(0o660);
    expect(st.gid).toBe(gid);
    expect(() => applyIpcPermissions('tcp://127.0.0.1:1', 0o600)).not.toThrow();
  });
});
