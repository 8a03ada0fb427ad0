/**
 * `dhcp-manager` commands (yargs 17). `run()` holds all the logic and returns the exit code; bin.ts
 * only calls it. Client commands (status, get, leases, history) load nothing but yargs and
 * node:http: `get` is benchmarked against bare node, so heavy modules are required lazily inside
 * the command that needs them. The plain form of `get` (paths, --url, --json) does not even load
 * yargs (about a third of its start-up); anything else goes through the yargs parser.
 */
import type { Argv } from 'yargs';
import { ConfigError, DEFAULTS, OPTIONS, OptionName } from '../config';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const DEFAULT_URL = `http://${DEFAULTS.http}`;

/** Wrong command line (unknown command or option, missing argument): exit code 2. */
class UsageError extends Error {}

const defaultIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

/** Start options without yargs defaults: undefined means "not given", so the config file can fill it. */
function startOptions(y: Argv): Argv {
  let out = y.option('config', { type: 'string', describe: 'JSON file with any of the options below (same names); flags override it.' });
  for (const [name, spec] of Object.entries(OPTIONS)) {
    const def = DEFAULTS[name as OptionName];
    out = out.option(name, {
      type: spec.type,
      describe: `${spec.describe} [default: ${Array.isArray(def) ? (def.length ? def.join(',') : 'none') : JSON.stringify(def)}]`,
      ...(spec.type === 'array' ? { string: true } : {}),
    });
  }
  return out;
}

/**
 * `get PATH... [--url URL | --url=URL] [--json]` parsed by hand, as yargs would parse it; undefined
 * for any other shape (help, other flags, repeated options, no path), which yargs then handles.
 */
export function plainGet(argv: string[], env: NodeJS.ProcessEnv): { url: string; paths: string[]; json: boolean } | undefined {
  if (argv[0] !== 'get') return undefined;
  let url: string | undefined;
  let json = false;
  const paths: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json' && !json) json = true;
    else if (a === '--url' && url === undefined && i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) url = argv[++i];
    else if (a.startsWith('--url=') && url === undefined && a.length > 6) url = a.slice(6);
    else if (a.startsWith('-') || a === '') return undefined;
    else paths.push(a);
  }
  if (paths.length === 0) return undefined;
  return { url: url ?? env.DHCPMGR_URL ?? DEFAULT_URL, paths, json };
}

/** This package's version, read without loading the daemon's modules. */
function packageVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../version') as typeof import('../version')).VERSION;
}

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env, io: Io = defaultIo): Promise<number> {
  const fast = plainGet(argv, env);
  if (fast) return client().get(fast.url, fast.paths, fast.json, io);
  try {
    const parsed = await parse(argv, env, io);
    // The daemon runs after parse() has returned, so that nothing of yargs (the parser, its
    // option tables and help texts) stays reachable for the daemon's life.
    return parsed.start ? await startCommand(parsed.start, env, io) : parsed.code;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`dhcp-manager: ${err.message}\nRun "dhcp-manager --help" for usage.\n`);
      return 2;
    }
    io.stderr(`dhcp-manager: ${(err as Error).message}\n`);
    return err instanceof ConfigError ? 2 : 1;
  }
}

/** Parses the command line and runs any command but `start`, whose arguments it returns. */
async function parse(argv: string[], env: NodeJS.ProcessEnv, io: Io): Promise<{ code: number; start?: Record<string, unknown> }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const createYargs = require('yargs/yargs') as typeof import('yargs/yargs');
  let code = 0;
  let startArgs: Record<string, unknown> | undefined;
  const setCode = (p: Promise<number>): Promise<void> => p.then((c) => { code = c; });
  const url = (y: Argv) => y.option('url', { type: 'string', default: env.DHCPMGR_URL ?? DEFAULT_URL, describe: 'Base URL of the daemon\'s HTTP API' });
  const json = (y: Argv) => y.option('json', { type: 'boolean', default: false, describe: 'Print JSON instead of a table' });
  const parser = createYargs(argv)
    .scriptName('dhcp-manager')
    .strict()
    .help()
    .version(packageVersion())
    .wrap(Math.min(110, process.stdout.columns || 100))
    .command('start', 'Run the daemon in the foreground (pino JSON logs on stdout)', startOptions, (a) => {
      startArgs = a as Record<string, unknown>;
    })
    .command('status', 'Show the daemon\'s state, endpoints and counters', (y) => json(url(y)), (a) =>
      setCode(client().status(a.url as string, a.json as boolean, io)))
    .command('get <paths..>', 'Read TR-181 parameters (a full path, or a partial path ending in ".")', (y) => json(url(y)).positional('paths', { type: 'string', array: true }), (a) =>
      setCode(client().get(a.url as string, a.paths as string[], a.json as boolean, io)))
    .command('set <pairs..>', 'Write TR-181 client parameters, all or nothing (PATH=VALUE ...)', (y) => url(y)
      .positional('pairs', { type: 'string', array: true })
      .option('token-file', { type: 'string', default: env.DHCPMGR_TOKEN_FILE, describe: 'File with the bearer token (the daemon\'s --api-token-file)' }), (a) =>
      setCode((require('./set') as typeof import('./set')).setCommand(a.url as string, a.pairs as string[], a['token-file'] as string | undefined, io)))
    .command('leases', 'List the current leases with their remaining lifetimes', (y) => json(url(y)), (a) =>
      setCode(client().leases(a.url as string, a.json as boolean, io)))
    .command('history', 'Show recent lease events', (y) => json(url(y))
      .option('if', { type: 'string', describe: 'Only this interface' })
      .option('limit', { type: 'number', describe: 'At most this many events' }), (a) =>
      setCode(client().history(a.url as string, a.if as string | undefined, a.limit as number | undefined, a.json as boolean, io)))
    .command('watch', 'Follow lease events as they are published', (y) => json(y)
      .option('events', { type: 'string', default: env.DHCPMGR_EVENTS ?? DEFAULTS.events, describe: 'The daemon\'s PUB endpoint' })
      .option('topic', { type: 'string', array: true, default: [] as string[], describe: 'Topic prefixes to follow (default: all, e.g. Device.DHCPv6. or dhcpmgr.reject)' })
      .option('count', { type: 'number', describe: 'Exit after this many events' }), (a) =>
      setCode(require('./watch').watch(a.events as string, a.topic as string[], a.count as number | undefined, a.json as boolean, io) as Promise<number>))
    .command('decode [file]', 'Decode a raw PLUGIN_MSG (or a spooled envelope) offline; `-` or no file reads stdin', (y) => json(y)
      .positional('file', { type: 'string', default: '-' })
      .option('abi', { type: 'string', choices: ['auto', 'lp64', 'ilp32'], default: 'auto' }), (a) =>
      setCode(require('./decode').decodeCommand(a.file as string, a.abi as 'auto', a.json as boolean, io) as Promise<number>))
    .command('lab', 'Root: a DHCP lab in network namespaces (dnsmasq, dibbler-server) with the manager and its status page; Ctrl-C removes it all', (y) => y
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'Host address for the status page' })
      .option('port', { type: 'number', default: 8067, describe: 'Port for the status page' }), (a) =>
      setCode((require('./lab') as typeof import('./lab')).runLab({ host: a.host as string, port: a.port as number }, io)))
    .demandCommand(1, 'Name a command: start, status, get, set, leases, history, watch, decode or lab')
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .exitProcess(false);
  skipHelpCache(parser);
  await parser.parseAsync();
  return { code, start: startArgs };
}

/**
 * yargs renders the whole help text of a command each time it runs the command's handler and
 * keeps it, in case a later showHelp() wants it. Nothing here shows help after a command has run
 * (failures go through `.fail()` above), and for `start` (about 60 options) the rendering took
 * 30-45 ms of the daemon's start-up, got V8's optimizing compiler going, and kept the text for the
 * daemon's whole life. The cache is reached through yargs' internal methods (yargs is pinned);
 * `--help` itself renders as before.
 */
function skipHelpCache(parser: Argv): void {
  const internal = parser as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } };
  const usage = internal.getInternalMethods?.().getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}

function client(): typeof import('./client') {
  return require('./client') as typeof import('./client');
}

async function startCommand(a: Record<string, unknown>, env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const { resolveConfig } = require('../config') as typeof import('../config');
  const flags: Partial<Record<OptionName, unknown>> = {};
  for (const name of Object.keys(OPTIONS) as OptionName[]) {
    const v = a[name];
    // A scalar option given twice: the last one wins, as in most CLIs.
    flags[name] = Array.isArray(v) && OPTIONS[name].type !== 'array' ? v[v.length - 1] : v;
  }
  const config = resolveConfig(flags, env, a.config as string | undefined); // throws ConfigError -> exit 2
  const { runDaemon } = require('./start') as typeof import('./start');
  return runDaemon(config, io);
}
