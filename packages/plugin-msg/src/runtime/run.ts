/**
 * One plugin run: the command line (`EVENT`, or `--help`, `--version`, `--dry-run`, `--out FILE`),
 * the configuration, the message built by the plugin's `envToMsg`, then delivery. Returns the
 * exit code; `pluginMain` (main.ts) is the executable around it.
 */
import { writeFileSync } from 'fs';
import type { Logger } from 'pino';
import { decode, encode } from '../codec';
import { EnvelopeMeta, stampNow } from '../envelope';
import { PluginMsg } from '../types';
import { PluginConfig, loadConfig } from './config';
import { DeliveryTransport, deliver } from './deliver';
import { EXIT } from './exit';
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
      log.error({ event, ifname, outcome: result.outcome, reason: result.reason }, 'manager rejected the message');
      break;
    case 'spooled':
      log.warn({ event, ifname, outcome: result.outcome, why: result.why, path: result.path }, 'manager not reached; event spooled');
      break;
    case 'lost':
      log.error({ event, ifname, outcome: result.outcome, why: result.why, err: result.error, spoolDir: cfg.spoolDir }, 'manager not reached and spool write failed; event lost');
      break;
    default:
      log.debug({ event, ifname, outcome: result.outcome }, 'delivered');
  }
  return result.exitCode;
}
