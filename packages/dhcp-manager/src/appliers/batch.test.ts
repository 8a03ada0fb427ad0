import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseBatchErrors, runBatch, unsafeToken } from './batch';

describe('ip -batch', () => {
  it('reads which lines failed, with their messages, from ip -force -batch stderr', () => {
    const stderr = 'Error: ipv4: Address already assigned.\nCommand failed -:3\nRTNETLINK answers: No such process\nCommand failed -:5\n';
    expect([...parseBatchErrors(stderr)]).toEqual([[3, 'Error: ipv4: Address already assigned.'], [5, 'RTNETLINK answers: No such process']]);
  });

  it('refuses a token ip would split, quote or treat as a comment', () => {
    expect(unsafeToken([['addr', 'replace', '192.0.2.1/24', 'dev', 'wan0']])).toBeUndefined();
    for (const t of ['wan 0', 'a"b', 'x#y', 'a\\b', '']) expect(unsafeToken([['link', 'set', 'dev', t]])).toBe(t);
  });

  it('runs one process, feeds every command on stdin in order, and maps failures to commands', async () => {
    const d = mkdtempSync(join(tmpdir(), 'dhcpmgr-batch-'));
    try {
      // A stand-in for ip that records its argv and stdin and fails line 2, as ip -force does.
      const fake = join(d, 'ip');
      writeFileSync(fake, `#!/bin/sh\nprintf "%s\\n" "$*" > ${d}/argv\ncat > ${d}/stdin\necho 'RTNETLINK answers: File exists' >&2\necho 'Command failed -:2' >&2\nexit 1\n`, { mode: 0o755 });
      const cmds = [['addr', 'replace', '192.0.2.10/24', 'dev', 'wan0'], ['route', 'replace', 'default', 'via', '192.0.2.1', 'dev', 'wan0']];
      const r = await runBatch(cmds, { ipPath: fake, netns: 'ns1' });
      expect(readFileSync(join(d, 'argv'), 'utf8')).toBe('-n ns1 -force -batch -\n');
      expect(readFileSync(join(d, 'stdin'), 'utf8')).toBe('addr replace 192.0.2.10/24 dev wan0\nroute replace default via 192.0.2.1 dev wan0\n');
      expect(r).toEqual({ failures: [{ index: 1, argv: cmds[1], error: 'RTNETLINK answers: File exists' }] });
      expect(await runBatch([['link', 'set', 'dev', 'a b']], { ipPath: fake })).toEqual({ failures: [], fatal: 'refused: token "a b" is not safe for ip -batch' });
      expect((await runBatch([['link']], { ipPath: join(d, 'missing') })).fatal).toMatch(/ENOENT/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
