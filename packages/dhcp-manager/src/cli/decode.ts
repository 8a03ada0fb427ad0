/**
 * `dhcp-manager decode [FILE|-]`: offline decode of a raw PLUGIN_MSG, or of a spool file /
 * acked request (the envelope is recognised by its magic and unwrapped). Prints the fields and
 * every finding: decode errors, free-text fields that arrived with no terminator, and the
 * manager's validation verdict. Exit 0 when the message would be accepted, 1 otherwise.
 */
import { readFileSync } from 'fs';
import type { Io } from './index';

function readInput(file: string): Buffer {
  return file === '-' ? readFileSync(0) : readFileSync(file);
}

function flatten(obj: unknown, prefix: string, out: Array<[string, unknown]>): Array<[string, unknown]> {
  if (obj !== null && typeof obj === 'object') {
    for (const [k, v] of Object.entries(obj)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.push([prefix, obj]);
  }
  return out;
}

export async function decodeCommand(file: string, abi: 'auto' | 'lp64' | 'ilp32', json: boolean, io: Io): Promise<number> {
  const pm = require('@dhcpmgr/plugin-msg') as typeof import('@dhcpmgr/plugin-msg');
  let bytes: Buffer;
  try {
    bytes = readInput(file);
  } catch (err) {
    io.stderr(`dhcp-manager: cannot read ${file}: ${(err as Error).message}\n`);
    return 1;
  }
  const report: Record<string, unknown> = { file, bytes: bytes.length };
  let frame = bytes;
  if (bytes.length >= 4 && bytes.readUInt32LE(0) === pm.ENVELOPE_MAGIC) {
    try {
      const env = pm.decodeEnvelope(bytes);
      report.envelope = { bootId: env.bootId.toString('hex'), monotonicNs: env.monotonicNs.toString(), wallUs: env.wallUs.toString(), senderPid: env.senderPid, hmac: bytes.length > pm.ENVELOPE_HEADER_SIZE + env.payload.length };
      frame = env.payload;
    } catch (err) {
      report.ok = false;
      report.error = { code: (err as { code?: string }).code, message: (err as Error).message };
      return print(report, json, io, 1);
    }
  }
  try {
    const d = pm.decodeFrame(frame, abi);
    report.abi = d.abi;
    report.msg = d.msg;
    report.truncated = d.truncated;
  } catch (err) {
    report.ok = false;
    report.error = { code: (err as { code?: string }).code, message: (err as Error).message };
    return print(report, json, io, 1);
  }
  const { validate } = require('../validate') as typeof import('../validate');
  const v = validate(frame, { abi });
  report.ok = v.ok;
  if (!v.ok) report.error = { code: v.reason, message: v.detail };
  return print(report, json, io, v.ok ? 0 : 1);
}

function print(report: Record<string, unknown>, json: boolean, io: Io, code: number): number {
  if (json) {
    io.stdout(`${JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
    return code;
  }
  const lines: string[] = [`file: ${report.file} (${report.bytes} bytes)`];
  if (report.envelope) lines.push(`envelope: ${JSON.stringify(report.envelope)}`);
  if (report.abi) lines.push(`abi: ${report.abi}`);
  if (report.msg) {
    const fields = flatten(report.msg, '', []);
    const w = Math.max(...fields.map(([k]) => k.length));
    for (const [k, v] of fields) lines.push(`  ${k.padEnd(w)}  ${JSON.stringify(v)}`);
  }
  for (const t of (report.truncated as string[] | undefined) ?? []) lines.push(`finding: ${t} fills its field with no terminator (truncated)`);
  const e = report.error as { code?: string; message: string } | undefined;
  if (e) lines.push(`INVALID: ${e.code ?? 'ERROR'}: ${e.message}`);
  else lines.push('valid: the manager would accept this message');
  io.stdout(`${lines.join('\n')}\n`);
  return code;
}
