/**
 * All `ip` commands of one change through one `ip -force -batch -` process: we feed its stdin,
 * one command per line, and no shell is involved. iproute2 splits batch lines on whitespace and
 * treats quotes, `#` and `\` specially, so every token must come from a small safe alphabet;
 * a change holding anything else is refused as a whole before `ip` starts. With `-force`, ip
 * runs every line and reports each failing one as "Command failed -:N" after its error text.
 */
import { spawn } from 'child_process';

/** Addresses, prefixes, interface names, numbers and iproute2 keywords. */
const TOKEN = /^[A-Za-z0-9_.:/@+-]{1,64}$/;

export interface LineFailure {
  /** Index into the commands given. */
  index: number;
  argv: string[];
  error: string;
}

export interface BatchResult {
  failures: LineFailure[];
  /** Set when ip could not be run at all (or the batch was refused); then nothing ran. */
  fatal?: string;
}

export function unsafeToken(cmds: readonly string[][]): string | undefined {
  for (const c of cmds) for (const t of c) if (!TOKEN.test(t)) return t;
  return undefined;
}

/** Parse `ip -force -batch` stderr into failing line numbers (1-based) and their messages. */
export function parseBatchErrors(stderr: string): Map<number, string> {
  const out = new Map<number, string>();
  let pending: string[] = [];
  for (const line of stderr.split('\n')) {
    const m = /^Command failed (?:-|\S+):(\d+)\s*$/.exec(line);
    if (m) {
      out.set(Number(m[1]), pending.join('; ') || 'failed');
      pending = [];
    } else if (line.trim() !== '') {
      pending.push(line.trim());
    }
  }
  return out;
}

export interface BatchOptions {
  ipPath?: string;
  netns?: string;
  timeoutMs?: number;
}

export function runBatch(cmds: readonly string[][], opts: BatchOptions = {}): Promise<BatchResult> {
  if (cmds.length === 0) return Promise.resolve({ failures: [] });
  const bad = unsafeToken(cmds);
  if (bad !== undefined) return Promise.resolve({ failures: [], fatal: `refused: token ${JSON.stringify(bad)} is not safe for ip -batch` });
  const argv = [...(opts.netns ? ['-n', opts.netns] : []), '-force', '-batch', '-'];
  return new Promise((resolve) => {
    let stderr = '';
    let done = false;
    const child = spawn(opts.ipPath ?? 'ip', argv, { stdio: ['pipe', 'ignore', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 10_000);
    const finish = (r: BatchResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => { stderr += d; });
    child.on('error', (err) => finish({ failures: [], fatal: err.message }));
    child.on('close', (code, signal) => {
      if (signal) return finish({ failures: [], fatal: `ip killed by ${signal}` });
      const errs = parseBatchErrors(stderr);
      const failures = [...errs].map(([line, error]) => ({ index: line - 1, argv: cmds[line - 1] ?? [], error }));
      if (code !== 0 && failures.length === 0) return finish({ failures: [], fatal: stderr.trim() || `ip exited ${code}` });
      finish({ failures });
    });
    child.stdin.on('error', () => undefined); // ip gone early: reported through 'close'
    child.stdin.end(cmds.map((c) => c.join(' ')).join('\n') + '\n');
  });
}
