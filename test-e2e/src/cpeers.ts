/**
 * The C peers, compiled at test time with gcc against the system libnanomsg (Debian
 * libnanomsg-dev). A missing compiler or library fails the test with the compiler's output.
 */
import * as path from 'path';
import { LAYOUTS } from '@dhcpmgr/plugin-msg';
import { run } from './proc';

export const C_DIR = path.join(__dirname, '..', 'c');

export function buildCPeer(name: 'msg_sender' | 'msg_receiver', outDir: string): string {
  const out = path.join(outDir, name);
  run(['gcc', '-std=c11', '-D_DEFAULT_SOURCE', '-Wall', '-Wextra', '-Werror', '-O1', '-I', C_DIR,
    '-o', out, path.join(C_DIR, `${name}.c`), '-lnanomsg']);
  return out;
}

/**
 * The plugin helpers' C twins of the RDK-B plugins (packages/<plugin>/src/__fixtures__/<x>_twin.c,
 * with plugin-msg's header): env in, the bytes the C plugin would send on stdout.
 */
export function buildCTwin(plugin: 'udhcpc' | 'dibbler', outDir: string): string {
  const pkgs = path.join(__dirname, '..', '..', 'packages');
  const out = path.join(outDir, `${plugin}_twin`);
  run(['gcc', '-std=c11', '-D_POSIX_C_SOURCE=200809L', '-Wall', '-Wextra', '-Werror', '-O1',
    '-I', path.join(pkgs, 'plugin-msg', 'src', '__fixtures__'), '-o', out,
    path.join(pkgs, `${plugin}-plugin`, 'src', '__fixtures__', `${plugin}_twin.c`)]);
  return out;
}

/** Names of the fields (`dhcpv4.mtuSize`) in which two LP64 frames differ. */
export function differingFields(a: Buffer, b: Buffer, fields: ReadonlyArray<{ name: string; offset: number; size: number }>, version: 4 | 6): string[] {
  const union = LAYOUTS.lp64.unionOffset;
  const names = new Set<string>();
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] === b[i]) continue;
    const f = fields.find((x) => i >= union + x.offset && i < union + x.offset + x.size);
    names.add(f ? `dhcpv${version}.${f.name}` : `byte ${i}`);
  }
  return [...names];
}
