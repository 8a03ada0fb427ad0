/**
 * Running a command does not render its help text (yargs would, after every handler, to keep it
 * for a later showHelp()); `--help` still renders it. cliui is what lays the help text out, so its
 * calls are counted.
 */
import { join } from 'path';
import { tmpdir } from 'os';
import { run } from './index';

const layouts = jest.fn();
jest.mock('cliui', () => {
  const real = jest.requireActual('cliui') as (...a: unknown[]) => unknown;
  return (...a: unknown[]) => { layouts(); return real(...a); };
});

async function inproc(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {}, { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; } });
  return { code, stdout, stderr };
}

describe('help text rendering', () => {
  beforeEach(() => layouts.mockClear());

  it('start (here stopped by a bad option value) renders no help', async () => {
    const r = await inproc(['start', '--state-dir', join(tmpdir(), 'dhcpmgr-help-never'), '--queue-limit', '-3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Invalid --queue-limit -3/);
    expect(layouts).toHaveBeenCalledTimes(0);
  });

  it('a client command renders no help', async () => {
    const r = await inproc(['status', '--url', 'http://127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(layouts).toHaveBeenCalledTimes(0);
  });

  it('--help still renders the help text', async () => {
    // yargs prints the help text itself (console); what matters here is that it was laid out.
    const out = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    let r;
    try {
      r = await inproc(['start', '--help']);
    } finally {
      out.mockRestore();
    }
    expect(r.code).toBe(0);
    expect(layouts.mock.calls.length).toBeGreaterThan(0);
  });
});
