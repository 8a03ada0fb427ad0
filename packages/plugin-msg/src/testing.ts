/**
 * Helpers for tests and benchmarks (`@dhcpmgr/plugin-msg/testing`), never for production code:
 * captured client calls, the gcc-built C twins of the plugins, and the built plugin executables.
 */
import { execFileSync, spawnSync, SpawnSyncReturns } from 'child_process';
import { existsSync, readFileSync, readdirSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { LAYOUTS, V4_FIELDS, V6_FIELDS } from './layout';

/** One script call by a DHCP client: its event (argv[1]) and its environment. */
export interface Capture { event: string; env: Record<string, string> }

/**
 * Parse a capture: `# comment` lines, `argv[N]=...` lines (argv[1] is the event; the others are
 * dropped), then the environment as KEY=VALUE lines, values taken verbatim up to the line end.
 */
export function parseCapture(text: string): Capture {
  const env: Record<string, string> = {};
  let event = '';
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    if (key === 'argv[1]') event = line.slice(eq + 1);
    else if (!key.startsWith('argv[')) env[key] = line.slice(eq + 1);
  }
  return { event, env };
}

/** A capture file, read as bytes (latin1): the clients pass option bytes through unchanged. */
export function readCapture(file: string): Capture {
  return parseCapture(readFileSync(file, 'latin1'));
}

export interface Fixture extends Capture { name: string }

/** Every `*.env` capture in `dir`, sorted by name (the name is the file's without `.env`). */
export function loadFixtures(dir: string): Fixture[] {
  return readdirSync(dir).filter((f) => f.endsWith('.env')).sort()
    .map((f) => ({ name: f.replace(/\.env$/, ''), ...readCapture(join(dir, f)) }));
}

/** plugin_msg.h, the C struct the twins include (two levels up from src/ and dist/ alike). */
const C_INCLUDE = join(__dirname, '..', 'src', '__fixtures__');

/** Compile a twin with gcc into a fresh temp dir. gcc missing -> this throws: the test fails. */
export function buildTwin(source: string): { bin: string; cleanup(): void } {
  if (!existsSync(join(C_INCLUDE, 'plugin_msg.h'))) throw new Error(`plugin_msg.h not found in ${C_INCLUDE}`);
  const dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-twin-'));
  const bin = join(dir, 'twin');
  execFileSync('gcc', ['-std=c11', '-D_POSIX_C_SOURCE=200809L', '-Wall', '-Wextra', '-Werror', '-O1', '-I', C_INCLUDE, '-o', bin, source], { stdio: 'pipe' });
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

/** The bundled executable `name` of the plugin package in `pkgDir`; missing -> the test fails with how to build it. */
export function builtBin(pkgDir: string, name: string): string {
  const bin = join(pkgDir, 'dist', `${name}.js`);
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` (tsc -b && lerna run bundle) first`);
  return bin;
}

/** Run a built plugin as a DHCP client does: argv and a given environment (plus PATH). */
export function runBin(bin: string, args: string[], env: Record<string, string>, timeout = 10000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, encoding: 'utf8', timeout });
}
