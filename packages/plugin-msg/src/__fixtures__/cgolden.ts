/**
 * Test helper: compile C that lays out PLUGIN_MSG (plugin_msg.h, ours) with gcc for one ABI and
 * pull the bytes of chosen ELF sections out of the object with objcopy. Nothing is executed, so
 * ILP32 works on a kernel that cannot run 32-bit binaries. A missing gcc, multilib or objcopy
 * throws (the calling test fails loudly; it never skips).
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Abi, V4_FIELDS, V6_FIELDS } from '../layout';
import { PluginMsg } from '../types';

export const FIXTURE_DIR = __dirname;
const GCC_FLAGS = ['-std=gnu11', '-O0', '-Wall', '-Wextra', '-Werror', '-c'];

/** Compile `source` (which may `#include "plugin_msg.h"`) for `abi`; return each section's bytes. */
export function compileSections(abi: Abi, source: string, sections: readonly string[]): Map<string, Buffer> {
  const dir = mkdtempSync(join(tmpdir(), `plugin-msg-gcc-${abi}-`));
  try {
    copyFileSync(join(FIXTURE_DIR, 'plugin_msg.h'), join(dir, 'plugin_msg.h'));
    const src = join(dir, 'golden.c');
    const obj = join(dir, 'golden.o');
    writeFileSync(src, source);
    const arch = abi === 'ilp32' ? ['-m32'] : ['-m64'];
    run('gcc', [...arch, ...GCC_FLAGS, '-I', dir, '-o', obj, src]);
    const out = new Map<string, Buffer>();
    for (const name of sections) {
      const file = join(dir, `${name}.bin`);
      run('objcopy', ['-O', 'binary', `--only-section=${name}`, obj, file]);
      out.set(name, readFileSync(file));
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stderr?.toString() || e.message}`);
  }
}

export function goldenSource(): string {
  return readFileSync(join(FIXTURE_DIR, 'golden.c'), 'latin1');
}

/** One row of golden.c's `gold_layout` table. */
export interface CLayoutEntry {
  name: string;
  offset: number;
  size: number;
}

/** Row format in golden.c: char name[56], uint32_t offset, uint32_t size (64 bytes, no padding). */
export function parseLayoutTable(bytes: Buffer): CLayoutEntry[] {
  const rows: CLayoutEntry[] = [];
  if (bytes.length === 0 || bytes.length % 64 !== 0) throw new Error(`gold_layout is ${bytes.length} bytes`);
  for (let at = 0; at < bytes.length; at += 64) {
    const nul = bytes.indexOf(0, at);
    rows.push({
      name: bytes.toString('latin1', at, Math.min(nul, at + 56)),
      offset: bytes.readUInt32LE(at + 56),
      size: bytes.readUInt32LE(at + 60),
    });
  }
  return rows;
}

/** A C string literal holding exactly these latin1 bytes (octal escapes cannot swallow digits). */
export function cString(s: string): string {
  let out = '"';
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    const ch = s[k]!;
    if (c >= 0x20 && c < 0x7f && ch !== '"' && ch !== '\\' && ch !== '?') out += ch;
    else out += '\\' + c.toString(8).padStart(3, '0');
  }
  return out + '"';
}

function get(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], obj);
}

/**
 * A C designated initialiser for `msg`, naming members by the C names in layout.ts. gcc puts
 * each value where the C struct has it, so a wrong offset in layout.ts cannot hide here.
 */
export function cInitialiser(msg: PluginMsg): string {
  const member = msg.version === 4 ? 'dhcpv4' : 'dhcpv6';
  const fields = msg.version === 4 ? V4_FIELDS : V6_FIELDS;
  const lease = msg.version === 4 ? msg.dhcpv4 : msg.dhcpv6;
  const parts = [
    `.ifname = ${cString(msg.ifname)}`,
    `.version = ${msg.version === 4 ? 'DHCP_VERSION_4' : 'DHCP_VERSION_6'}`,
  ];
  for (const f of fields) {
    const v = get(lease, f.name);
    let lit: string;
    if (f.type === 'bool') lit = v ? 'true' : 'false';
    else if (f.type === 'u32') lit = `${v as number}u`;
    else if (f.type === 'i32') lit = (v as number) === -2147483648 ? '(-2147483647 - 1)' : String(v);
    else lit = cString(v as string);
    parts.push(`.data.${member}.${f.cName} = ${lit}`);
  }
  return `{\n    ${parts.join(',\n    ')},\n}`;
}

/** C source for an array of messages in one section (each element is sizeof(PLUGIN_MSG) apart). */
export function cArraySource(section: string, msgs: readonly PluginMsg[]): string {
  return [
    '#include "plugin_msg.h"',
    `static const PLUGIN_MSG ${section}_msgs[${msgs.length}] __attribute__((section("${section}"), used)) = {`,
    msgs.map(cInitialiser).join(',\n'),
    '};',
    '',
  ].join('\n');
}
