/**
 * The C peers, compiled at test time with gcc against the system libnanomsg (Debian
 * libnanomsg-dev). A missing compiler or library fails the test with the compiler's output.
 */
import * as path from 'path';
import { run } from './proc';

export const C_DIR = path.join(__dirname, '..', 'c');

export function buildCPeer(name: 'msg_sender' | 'msg_receiver', outDir: string): string {
  const out = path.join(outDir, name);
  run(['gcc', '-std=c11', '-D_DEFAULT_SOURCE', '-Wall', '-Wextra', '-Werror', '-O1', '-I', C_DIR,
    '-o', out, path.join(C_DIR, `${name}.c`), '-lnanomsg']);
  return out;
}
