/** The small rules plugin-msg holds for every package: one copy each, tested here. */
import { execFileSync } from 'child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { INFINITE, LOG_LEVELS, hostAbi, isLogLevel, isZero, packageVersion } from './index';
import { parseCapture } from './testing';

describe('shared rules', () => {
  it('maps node architectures to the C ABI: 32-bit ones to ilp32, every other to lp64', () => {
    for (const a of ['arm', 'ia32', 'mips', 'mipsel', 'ppc', 's390']) expect([a, hostAbi(a)]).toEqual([a, 'ilp32']);
    for (const a of ['x64', 'arm64', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el']) expect([a, hostAbi(a)]).toEqual([a, 'lp64']);
  });

  it('knows pino\'s level names and nothing else', () => {
    expect(LOG_LEVELS).toEqual(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
    expect(isLogLevel('debug')).toBe(true);
    expect(isLogLevel('verbose')).toBe(false);
    expect(isLogLevel(undefined)).toBe(false);
  });

  it('spells infinite as 0xFFFFFFFF and an unknown boot id as all zero bytes', () => {
    expect(INFINITE).toBe(4294967295);
    expect(isZero(Buffer.alloc(16))).toBe(true);
    expect(isZero(Buffer.from([0, 0, 1]))).toBe(false);
  });

  it('reads a package version, and says unknown when there is none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plugin-msg-version-'));
    try {
      expect(packageVersion(join(__dirname, '..'))).toBe('0.1.0');
      expect(packageVersion(dir)).toBe('unknown');
      writeFileSync(join(dir, 'package.json'), '{"version": 7}');
      expect(packageVersion(dir)).toBe('unknown');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses a captured client call: argv[1] is the event, other argv and comments are dropped, values verbatim', () => {
    const text = '# udhcpc 1.35\nargv[0]=/sbin/script\nargv[1]=bound\ninterface=eth0\nopt=a=b \n\nnoequals\n';
    expect(parseCapture(text)).toEqual({ event: 'bound', env: { interface: 'eth0', opt: 'a=b ' } });
  });

  it('loads neither pino, the runtime nor nanomsg for the codec entry (built dist)', () => {
    const main = join(__dirname, '..', 'dist', 'index.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first`);
    const code = `require(${JSON.stringify(main)}); console.log(JSON.stringify(Object.keys(require.cache)))`;
    const loaded = JSON.parse(execFileSync(process.execPath, ['-e', code], { encoding: 'utf8' })) as string[];
    expect(loaded.filter((p) => /[/\\](pino|nanomsg|runtime)[/\\]/.test(p))).toEqual([]);
    expect(loaded.some((p) => p.endsWith(join('dist', 'codec.js')))).toBe(true);
  });
});
