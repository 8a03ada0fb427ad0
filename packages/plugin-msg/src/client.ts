/**
 * What both plugin executables share: their configuration (environment over an optional JSON
 * file, since udhcpc and dibbler call the script with the event only), delivery to the manager
 * (acked with a bounded wait, or the C plugins' fire-and-forget PUSH), the spool fallback, and
 * the command line (`EVENT`, or `--help`, `--version`, `--dry-run`, `--out FILE`).
 *
 * The transport is passed in, never imported here, so that `@dhcpmgr/plugin-msg` stays free of
 * the native nanomsg addon; the executables load it only when they actually send.
 */
import { readFileSync, writeFileSync } from 'fs';
import type { Logger } from 'pino';
import { Abi } from './layout';
import { encode, decode } from './codec';
import { EnvelopeMeta, decodeAck, encodeEnvelope, stampNow } from './envelope';
import { PluginMsg } from './types';
import { writeSpool } from './spool';

/** Exit codes of both plugins (docs/plugins.md). */
export const EXIT = {
  ok: 0, // applied, duplicate, stale, spooled, or an event we ignore
  internal: 1, // a bug: please report
  badInput: 2, // argv or a lease variable is missing or malformed; nothing was sent
  config: 3, // the configuration (DHCPMGR_* or the config file) is invalid
  rejected: 4, // the manager answered `rejected`; the event is not spooled
  lost: 5, // neither delivered nor spooled (spool directory not writable)
} as const;

export const DEFAULT_CONFIG_FILE = '/etc/dhcpmgr/plugin.json';
export const DEFAULTS = {
  mode: 'acked' as 'acked' | 'legacy',
  addr: 'tcp://127.0.0.1:50324',
  ackAddr: 'tcp://127.0.0.1:50326',
  timeoutMs: 2000,
  spoolDir: '/var/lib/dhcpmgr/spool',
  logLevel: 'info',
};

export interface PluginConfig {
  mode: 'acked' | 'legacy';
  addr: string;
  ackAddr: string;
  timeoutMs: number;
  spoolDir: string;
  abi: Abi;
  /** HMAC-SHA256 key for the acked channel (raw bytes of DHCPMGR_KEY_FILE). */
  key?: Buffer;
  logFile?: string;
  logLevel: string;
  /** dibbler only: interface for calls that carry no IFACE (stock `expire`). */
  ifname?: string;
  /** Where the file settings came from, when one was read. */
  configFile?: string;
}

export type ConfigResult = { ok: true; config: PluginConfig } | { ok: false; variable: string; error: string };

/** Config file keys -> environment variables (the variable wins). */
const KEYS: Array<[keyof PluginConfig | 'keyFile', string]> = [
  ['mode', 'DHCPMGR_MODE'], ['addr', 'DHCPMGR_ADDR'], ['ackAddr', 'DHCPMGR_ACK_ADDR'],
  ['timeoutMs', 'DHCPMGR_TIMEOUT_MS'], ['spoolDir', 'DHCPMGR_SPOOL_DIR'], ['abi', 'DHCPMGR_ABI'],
  ['keyFile', 'DHCPMGR_KEY_FILE'], ['logFile', 'DHCPMGR_LOG_FILE'], ['logLevel', 'DHCPMGR_LOG_LEVEL'],
  ['ifname', 'DHCPMGR_IFNAME'],
];

function hostAbi(): Abi {
  return process.arch === 'x64' || process.arch === 'arm64' || process.arch === 'ppc64' || process.arch === 's390x' || process.arch === 'riscv64'
    ? 'lp64' : 'ilp32';
}

const ADDR_RE = /^(tcp|ipc|inproc|ws):\/\/\S+$/;

/**
 * Settings from the environment, then the config file (DHCPMGR_CONFIG, or the default path when
 * it exists), then DEFAULTS. An explicitly named file that is missing is an error.
 */
export function loadConfig(env: NodeJS.ProcessEnv, readFile: (p: string) => Buffer = readFileSync): ConfigResult {
  const explicit = env.DHCPMGR_CONFIG !== undefined && env.DHCPMGR_CONFIG !== '';
  const path = explicit ? env.DHCPMGR_CONFIG! : DEFAULT_CONFIG_FILE;
  let file: Record<string, unknown> = {};
  let configFile: string | undefined;
  try {
    const parsed: unknown = JSON.parse(readFile(path).toString('utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return { ok: false, variable: 'DHCPMGR_CONFIG', error: `${path} is not a JSON object` };
    }
    file = parsed as Record<string, unknown>;
    configFile = path;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' || explicit) {
      return { ok: false, variable: 'DHCPMGR_CONFIG', error: `cannot read ${path}: ${(err as Error).message}` };
    }
  }
  for (const k of Object.keys(file)) {
    if (!KEYS.some(([key]) => key === k)) return { ok: false, variable: 'DHCPMGR_CONFIG', error: `${path}: unknown key "${k}"` };
  }
  const raw: Record<string, { value: string; from: string }> = {};
  for (const [key, name] of KEYS) {
    const v = env[name];
    if (v !== undefined && v !== '') raw[key] = { value: v, from: name };
    else if (file[key] !== undefined) raw[key] = { value: String(file[key]), from: `${path}: ${key}` };
  }
  const get = (k: string): { value: string; from: string } | undefined => raw[k];
  const cfg: PluginConfig = { ...DEFAULTS, abi: hostAbi(), ...(configFile ? { configFile } : {}) };
  const mode = get('mode');
  if (mode) {
    if (mode.value !== 'acked' && mode.value !== 'legacy') return { ok: false, variable: mode.from, error: `"${mode.value}"; expected acked or legacy` };
    cfg.mode = mode.value;
  }
  for (const k of ['addr', 'ackAddr'] as const) {
    const a = get(k);
    if (a) {
      if (!ADDR_RE.test(a.value)) return { ok: false, variable: a.from, error: `"${a.value}"; expected a nanomsg address such as tcp://127.0.0.1:50326` };
      cfg[k] = a.value;
    }
  }
  const t = get('timeoutMs');
  if (t) {
    const n = /^\d{1,7}$/.test(t.value.trim()) ? Number(t.value.trim()) : NaN;
    if (!(n >= 1 && n <= 60000)) return { ok: false, variable: t.from, error: `"${t.value}"; expected milliseconds 1..60000` };
    cfg.timeoutMs = n;
  }
  const abi = get('abi');
  if (abi) {
    if (abi.value !== 'lp64' && abi.value !== 'ilp32') return { ok: false, variable: abi.from, error: `"${abi.value}"; expected lp64 or ilp32` };
    cfg.abi = abi.value;
  }
  const lvl = get('logLevel');
  if (lvl) {
    if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(lvl.value)) {
      return { ok: false, variable: lvl.from, error: `"${lvl.value}"; expected fatal, error, warn, info, debug, trace or silent` };
    }
    cfg.logLevel = lvl.value;
  }
  const spool = get('spoolDir');
  if (spool) cfg.spoolDir = spool.value;
  const logFile = get('logFile');
  if (logFile) cfg.logFile = logFile.value;
  const ifname = get('ifname');
  if (ifname) cfg.ifname = ifname.value;
  const keyFile = get('keyFile');
  if (keyFile) {
    try {
      cfg.key = readFile(keyFile.value);
    } catch (err) {
      return { ok: false, variable: keyFile.from, error: `cannot read ${keyFile.value}: ${(err as Error).message}` };
    }
    if (cfg.key.length < 16) return { ok: false, variable: keyFile.from, error: `${keyFile.value} holds ${cfg.key.length} bytes; a key needs at least 16` };
  }
  return { ok: true, config: cfg };
}

// ---------------------------------------------------------------------------------------------
// Delivery

/** What one REQ/REP round trip gave (both transports return it). */
export type RequestResult =
  | { ok: true; reply: Buffer }
  | { ok: false; reason: 'timeout' | 'error'; error?: Error };

/**
 * The transport calls delivery needs (`@dhcpmgr/plugin-msg/transport-raw` provides them all,
 * `/transport` the first two).
 */
export interface DeliveryTransport {
  pushOnce(addr: string, payload: Buffer, timeoutMs: number): Promise<boolean>;
  requestOnce(addr: string, payload: Buffer, timeoutMs: number): Promise<RequestResult>;
  /** Start connecting before the message is built; the next call to `addr` uses the socket. */
  preconnect?(addr: string, kind: 'req' | 'push'): void;
  /** Close what `preconnect` opened if no call used it. */
  release?(): void;
}

export type DeliveryOutcome =
  | { outcome: 'applied' | 'duplicate' | 'stale' | 'sent'; exitCode: 0 }
  | { outcome: 'rejected'; reason: string; exitCode: 4 }
  | { outcome: 'spooled'; path: string; why: string; exitCode: 0 }
  | { outcome: 'lost'; why: string; error: string; exitCode: 5 };

/**
 * Deliver one encoded PLUGIN_MSG. Acked: one REQ/REP round trip bounded by `timeoutMs`; no
 * answer, an unreadable answer or `unavailable` -> spool. Legacy: PUSH, returning only once the
 * bytes left the process; nobody took them in time -> spool. Spool files are envelopes in both
 * modes, so the manager replays them through its acked path.
 */
export async function deliver(
  payload: Buffer, meta: EnvelopeMeta, cfg: PluginConfig, transport: DeliveryTransport, log: Logger,
): Promise<DeliveryOutcome> {
  const request = encodeEnvelope(payload, meta, cfg.key);
  let why: string;
  if (cfg.mode === 'legacy') {
    let sent = false;
    try {
      sent = await transport.pushOnce(cfg.addr, payload, cfg.timeoutMs);
    } catch (err) {
      log.debug({ addr: cfg.addr, err: (err as Error).message }, 'push failed');
    }
    if (sent) return { outcome: 'sent', exitCode: 0 };
    why = `no receiver took the message on ${cfg.addr} within ${cfg.timeoutMs} ms`;
  } else {
    const r = await transport.requestOnce(cfg.ackAddr, request, cfg.timeoutMs);
    if (r.ok) {
      let status: string;
      let reason = '';
      try {
        const ack = decodeAck(r.reply);
        status = ack.status;
        reason = ack.reason;
      } catch {
        status = 'garbled';
      }
      if (status === 'applied' || status === 'duplicate' || status === 'stale') {
        return { outcome: status, exitCode: 0 };
      }
      if (status === 'rejected') return { outcome: 'rejected', reason, exitCode: 4 };
      why = status === 'unavailable' ? `manager unavailable${reason ? ` (${reason})` : ''}` : 'unreadable reply';
    } else {
      why = r.reason === 'timeout' ? `no reply from ${cfg.ackAddr} within ${cfg.timeoutMs} ms` : `cannot reach ${cfg.ackAddr}: ${r.error?.message ?? 'error'}`;
    }
  }
  try {
    return { outcome: 'spooled', path: writeSpool(cfg.spoolDir, request, meta), why, exitCode: 0 };
  } catch (err) {
    return { outcome: 'lost', why, error: (err as Error).message, exitCode: 5 };
  }
}

// ---------------------------------------------------------------------------------------------
// The executable

export type EnvToMsgResult =
  | { ok: true; msg: PluginMsg }
  | { ok: 'ignore'; reason?: string }
  | { ok: false; variable: string; error: string };

export interface PluginSpec {
  /** Executable name, e.g. dhcpmgr-udhcpc-plugin. */
  name: string;
  version: string;
  /** Events it acts on, for --help. */
  events: string;
  envToMsg(event: string, env: NodeJS.ProcessEnv, cfg: PluginConfig): EnvToMsgResult;
}

export interface RunDeps {
  makeLogger(opts: { level?: string; file?: string }): Logger;
  /** Loaded only for an event to send: not for --help, --version, --dry-run, --out, bad argv/config. */
  transport(): DeliveryTransport;
  stdout(text: string): void;
  readFile?: (p: string) => Buffer;
  writeFile?: (p: string, data: Buffer) => void;
}

function usage(spec: PluginSpec): string {
  return [
    `Usage: ${spec.name} EVENT                 (as the DHCP client calls it; lease in the environment)`,
    `       ${spec.name} --dry-run EVENT       print the PLUGIN_MSG bytes (hex) and fields; send nothing`,
    `       ${spec.name} --out FILE EVENT      write the raw PLUGIN_MSG bytes to FILE; send nothing`,
    `       ${spec.name} --help | --version`,
    '',
    `Events: ${spec.events}`,
    'Environment: DHCPMGR_MODE (acked|legacy), DHCPMGR_ACK_ADDR, DHCPMGR_ADDR, DHCPMGR_TIMEOUT_MS,',
    '  DHCPMGR_SPOOL_DIR, DHCPMGR_ABI (lp64|ilp32), DHCPMGR_CONFIG (default /etc/dhcpmgr/plugin.json),',
    '  DHCPMGR_KEY_FILE, DHCPMGR_LOG_FILE, DHCPMGR_LOG_LEVEL. See docs/plugins.md.',
    'Exit codes: 0 done/spooled/ignored, 2 bad input, 3 bad configuration, 4 rejected by the manager,',
    '  5 neither delivered nor spooled, 1 internal error.',
    '',
  ].join('\n');
}

interface Args { event?: string; dryRun: boolean; out?: string; help: boolean; version: boolean; error?: string }

function parseArgs(args: string[]): Args {
  const a: Args = { dryRun: false, help: false, version: false };
  for (let i = 0; i < args.length; i++) {
    const x = args[i]!;
    if (x === '--help' || x === '-h') a.help = true;
    else if (x === '--version') a.version = true;
    else if (x === '--dry-run') a.dryRun = true;
    else if (x === '--out') {
      if (i + 1 >= args.length) return { ...a, error: '--out needs a file name' };
      a.out = args[++i];
    } else if (x.startsWith('--out=')) a.out = x.slice(6);
    else if (x.startsWith('-') && a.event === undefined && (a.dryRun || a.out !== undefined || x.startsWith('--'))) {
      return { ...a, error: `unknown option ${x}` };
    } else if (a.event === undefined) a.event = x;
    // Further arguments are ignored, as the C plugins ignore them.
  }
  return a;
}

/**
 * One plugin run: `argv` is process.argv.slice(2). Returns the exit code; never exits itself.
 * The normal path (an event, no flags) loads nothing beyond this module and the transport, which
 * starts connecting before the message is built (pino only when a line is logged).
 */
export async function runPlugin(spec: PluginSpec, argv: string[], env: NodeJS.ProcessEnv, deps: RunDeps): Promise<number> {
  const meta = stampNow(); // the event's time: taken before anything slow
  const args = parseArgs(argv);
  if (args.help) { deps.stdout(usage(spec)); return EXIT.ok; }
  if (args.version) { deps.stdout(`${spec.name} ${spec.version}\n`); return EXIT.ok; }
  const c = loadConfig(env, deps.readFile);
  const log = deps.makeLogger(c.ok ? { level: c.config.logLevel, file: c.config.logFile } : { level: env.DHCPMGR_LOG_LEVEL });
  if (!c.ok) {
    log.error({ variable: c.variable }, `configuration error: ${c.variable}: ${c.error}`);
    return EXIT.config;
  }
  const cfg = c.config;
  if (args.error || args.event === undefined) {
    log.error({ variable: 'argv[1]' }, `bad arguments: ${args.error ?? 'missing EVENT (argv[1])'}`);
    if (!args.error) deps.stdout(usage(spec));
    return EXIT.badInput;
  }
  const event = args.event;
  if (args.dryRun || args.out !== undefined) return writeOnly(spec, event, env, cfg, args, deps, log);
  // The connection is set up (in libnanomsg's thread) while the message is built.
  const transport = deps.transport();
  const legacy = cfg.mode === 'legacy';
  transport.preconnect?.(legacy ? cfg.addr : cfg.ackAddr, legacy ? 'push' : 'req');
  try {
    return await send(spec, event, env, cfg, transport, meta, log);
  } finally {
    transport.release?.();
  }
}

/** Build the message; on a bad or ignored event return its exit code, else the bytes. */
function build(spec: PluginSpec, event: string, env: NodeJS.ProcessEnv, cfg: PluginConfig, log: Logger):
  { code: number } | { bytes: Buffer; ifname: string } {
  const built = spec.envToMsg(event, env, cfg);
  if (built.ok === 'ignore') {
    log.debug({ event, reason: built.reason }, 'event ignored');
    return { code: EXIT.ok };
  }
  if (built.ok === false) {
    log.error({ event, variable: built.variable }, `bad input: ${built.variable}: ${built.error}`);
    return { code: EXIT.badInput };
  }
  try {
    return { bytes: encode(built.msg, { abi: cfg.abi }), ifname: built.msg.ifname };
  } catch (err) {
    const e = err as Error & { field?: string };
    log.error({ event, variable: e.field }, `bad input: ${e.message}`);
    return { code: EXIT.badInput };
  }
}

/** --dry-run / --out: the bytes to stdout or a file; nothing is sent and no transport loaded. */
function writeOnly(spec: PluginSpec, event: string, env: NodeJS.ProcessEnv, cfg: PluginConfig, args: Args, deps: RunDeps, log: Logger): number {
  const b = build(spec, event, env, cfg, log);
  if ('code' in b) return b.code;
  const { bytes } = b;
  if (args.out !== undefined) (deps.writeFile ?? writeFileSync)(args.out, bytes);
  if (args.dryRun) {
    const hex = bytes.toString('hex').replace(/(.{64})/g, '$1\n').trimEnd();
    deps.stdout(`${hex}\n${JSON.stringify({ abi: cfg.abi, size: bytes.length, ...decode(bytes, 0, cfg.abi).msg }, null, 2)}\n`);
  }
  return EXIT.ok;
}

async function send(
  spec: PluginSpec, event: string, env: NodeJS.ProcessEnv, cfg: PluginConfig, transport: DeliveryTransport, meta: EnvelopeMeta, log: Logger,
): Promise<number> {
  const b = build(spec, event, env, cfg, log);
  if ('code' in b) return b.code;
  const { bytes, ifname } = b;
  const result = await deliver(bytes, meta, cfg, transport, log);
  switch (result.outcome) {
    case 'rejected':
      log.error({ event, ifname, reason: result.reason }, 'manager rejected the message');
      break;
    case 'spooled':
      log.warn({ event, ifname, why: result.why, path: result.path }, 'manager not reached; event spooled');
      break;
    case 'lost':
      log.error({ event, ifname, why: result.why, err: result.error, spoolDir: cfg.spoolDir }, 'manager not reached and spool write failed; event lost');
      break;
    default:
      log.debug({ event, ifname, outcome: result.outcome }, 'delivered');
  }
  return result.exitCode;
}

// ---------------------------------------------------------------------------------------------
// Parsing helpers shared by both plugins' envToMsg

/**
 * A decimal integer in [min, max], with optional surrounding whitespace (dibbler appends a space)
 * and sign. Anything else is undefined: we never read "77abc" as 77 the way atoi/strtol do.
 */
export function parseDecimal(value: string, min: number, max: number): number | undefined {
  const m = /^\s*([+-]?\d{1,20})\s*$/.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

export const U32_MAX = 0xffffffff;

/** Linux interface names: 1..15 bytes, no '/', no whitespace, not '.' or '..'. */
export function checkIfname(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return 'is missing or empty';
  if (v.length > 15) return `"${v}" is ${v.length} bytes; an interface name has at most 15`;
  if (/[\s/:\x00-\x1f\x7f-\uffff]/.test(v) || v === '.' || v === '..') return `"${v}" is not a valid interface name`;
  return undefined;
}
