import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { EnvelopeMeta, decodeEnvelope, encodeEnvelope } from './envelope';
import { listSpool, readSpool, removeSpool, spoolFileName, writeSpool } from './spool';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-spool-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const BOOT_A = Buffer.alloc(16, 0xa);
const BOOT_B = Buffer.alloc(16, 0xb);
const meta = (bootId: Buffer, monotonicNs: bigint, wallUs: bigint, senderPid = 100): EnvelopeMeta => ({ bootId, monotonicNs, wallUs, senderPid });
const spool = (m: EnvelopeMeta, tag: string): string => writeSpool(join(dir, 'spool'), encodeEnvelope(Buffer.from(tag), m), m);

describe('spool', () => {
  it('writes the request bytes atomically, leaving no temp file, and reads them back', () => {
    const m = meta(BOOT_A, 5n, 1_000_000n);
    const req = encodeEnvelope(Buffer.from('payload'), m);
    const path = writeSpool(join(dir, 'spool'), req, m);
    expect(readdirSync(join(dir, 'spool'))).toEqual([spoolFileName(m)]);
    expect(readSpool(path).equals(req)).toBe(true);
  });

  it('lists events oldest first: monotonic order within a boot even when the wall clock jumped back', () => {
    spool(meta(BOOT_A, 30n, 1_000n), 'third');
    spool(meta(BOOT_A, 10n, 9_000n), 'first');
    spool(meta(BOOT_A, 20n, 5_000n), 'second');
    const names = listSpool(join(dir, 'spool')).map((e) => decodeEnvelope(readSpool(e.path)).payload.toString());
    expect(names).toEqual(['first', 'second', 'third']);
  });

  it('orders across boots by wall clock', () => {
    spool(meta(BOOT_B, 1n, 2_000_000n), 'after reboot');
    spool(meta(BOOT_A, 999n, 1_000_000n), 'before reboot');
    expect(listSpool(join(dir, 'spool')).map((e) => decodeEnvelope(readSpool(e.path)).payload.toString())).toEqual(['before reboot', 'after reboot']);
  });

  it('gives distinct names to events of the same microsecond from different processes', () => {
    const a = spoolFileName(meta(BOOT_A, 7n, 1n, 10));
    const b = spoolFileName(meta(BOOT_A, 7n, 1n, 11));
    expect(a).not.toBe(b);
    expect(spoolFileName(meta(BOOT_A, 1n, 9n)) < spoolFileName(meta(BOOT_A, 1n, 10n))).toBe(true);
  });

  it('ignores temp files and puts unreadable files last with an error', () => {
    const good = meta(BOOT_A, 1n, 1n);
    spool(good, 'good');
    writeFileSync(join(dir, 'spool', '.tmp-00000000000000000000-x.msg'), 'half');
    writeFileSync(join(dir, 'spool', '00000000000000000000-junk.msg'), 'not an envelope');
    const list = listSpool(join(dir, 'spool'));
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({ name: spoolFileName(good), meta: good });
    expect(list[0]!.error).toBeUndefined();
    expect(list[1]).toMatchObject({ name: '00000000000000000000-junk.msg' });
    expect(list[1]!.error).toMatch(/envelope/);
  });

  it('treats a missing directory as empty and a removed file as gone', () => {
    expect(listSpool(join(dir, 'nope'))).toEqual([]);
    const p = spool(meta(BOOT_A, 1n, 1n), 'x');
    expect(removeSpool(p)).toBe(true);
    expect(removeSpool(p)).toBe(false);
    expect(listSpool(join(dir, 'spool'))).toEqual([]);
  });
});
