/** Test helpers: the captured fixtures, the gcc-built C twin, and the built executable. */
import { execFileSync, spawnSync, SpawnSyncReturns } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { LAYOUTS, V4_FIELDS, V6_FIELDS } from '@dhcpmgr/plugin-msg';

export interface Fixture { name: string; event: string; env: Record<string, string> }

/** Parse a capture: `# comment`, `argv[N]=...`, then the environment as KEY=VALUE lines. */
export function loadFixtures(dir = join(__dirname)): Fixture[] {
  return readdirSync(dir).filter((f) => f.endsWith('.env')).sort().map((f) => {
    const env: Record<string, string> = {};
    let event = '';
    for (const line of readFileSync(join(dir, f), 'latin1').split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const eq = line.indexOf('=');
      const key = line.slice(0, eq);
      if (key === 'argv[1]') event = line.slice(eq + 1);
      else if (!key.startsWith('argv[')) env[key] = line.slice(eq + 1);
    }
    return { name: f.replace(/\.env$/, ''), event, env };
  });
}

/** Compile a twin with gcc into a fresh temp dir. gcc missing -> this throws: the test fails. */
export function buildTwin(source: string): { bin: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-twin-'));
  const bin = join(dir, 'twin');
  const include = join(__dirname, '..', '..', '..', 'plugin-msg', 'src', '__fixtures__');
  if (!existsSync(join(include, 'plugin_msg.h'))) throw new Error(`plugin_msg.h not found in ${include}`);
  execFileSync('gcc', ['-std=c11', '-D_POSIX_C_SOURCE=200809L', '-Wall', '-Wextra', '-Werror', '-O1', '-I', include, '-o', bin, source], { stdio: 'pipe' });
  return { bin, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function runTwin(bin: string, event: string, env: Record<string, string>): Buffer {
  const r = spawnSync(bin, [event], { env, encoding: 'buffer', timeout: 5000 });
  if (r.status !== 0) throw new Error(`twin exited ${r.status}: ${r.stderr?.toString()}`);
  return r.stdout;
}

/** Byte ranges of fields by path (`dhcpv4.mtuSize`) on LP64, to mask documented differences. */
export function fieldRange(path: string): [number, number] {
  const [version, ...rest] = path.split('.');
  const name = rest.join('.');
  const fields = version === 'dhcpv4' ? V4_FIELDS : V6_FIELDS;
  const f = fields.find((x) => x.name === name);
  if (!f) throw new Error(`no field ${path}`);
  const start = LAYOUTS.lp64.unionOffset + f.offset;
  return [start, start + f.size];
}

/** `ours` with the listed fields' bytes taken from `theirs`: equal to `theirs` iff all else agrees. */
export function masked(ours: Buffer, theirs: Buffer, fields: string[]): Buffer {
  const out = Buffer.from(ours);
  for (const p of fields) {
    const [a, b] = fieldRange(p);
    theirs.copy(out, a, a, b);
  }
  return out;
}

export const PKG = join(__dirname, '..', '..');

/** The bundled executable; missing -> the test fails with how to build it. */
export function builtBin(name: string): string {
  const bin = join(PKG, 'dist', `${name}.js`);
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` (tsc -b && lerna run bundle) first`);
  return bin;
}

export function runBin(bin: string, args: string[], env: Record<string, string>, timeout = 10000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, encoding: 'utf8', timeout });
}
