/**
 * Options of `dhcp-manager start`: every default lives in DEFAULTS, every description in OPTIONS.
 * The same table feeds yargs and docs/configuration.md, and `resolveConfig` checks every value
 * before anything is opened, so a bad value fails fast (exit code 2) with a message naming the
 * value and what was expected. This module imports nothing heavy: the CLI loads it on every run.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { ifnameProblem } from './ifname';

export const DEFAULTS = {
  listen: 'tcp://127.0.0.1:50324',
  'ack-listen': 'tcp://127.0.0.1:50326',
  'ack-workers': 16,
  events: 'tcp://127.0.0.1:50327',
  http: '127.0.0.1:50325',
  'state-dir': '/var/lib/dhcpmgr',
  /** Overridden by $DHCPMGR_SPOOL_DIR, which the plugins read too. */
  'spool-dir': '/var/lib/dhcpmgr/spool',
  apply: 'none',
  'apply-routes': false,
  'apply-mtu': false,
  'apply-netns': '',
  abi: 'auto',
  interfaces: [] as string[],
  'log-level': 'info',
  'log-file': '',
  durability: 'full',
  rcvmaxsize: 16 * 1024 * 1024,
  'queue-limit': 10000,
  'batch-size': 256,
  'commit-delay-ms': 0,
  'history-per-interface': 100,
  'spool-scan-ms': 1000,
  'key-file': '',
  'require-auth': false,
  'replay-window': 300,
  'ipc-mode': '',
  'ipc-group': '',
  'resolv-file': '',
  'dns-mode': 'file',
  'dns-priority': [] as string[],
  'route-metric': [] as string[],
  'lan-interfaces': [] as string[],
  'lan-deprecate-s': 30,
  'api-token-file': '',
  'accept-unconfigured': false,
  'max-interfaces': 64,
  'udhcpc-plugin': '',
  'dibbler-plugin': '',
  'stop-clients-on-exit': false,
  'gateway-id': '',
  'mqtt-url': '',
  'mqtt-client-id': '',
  'mqtt-credentials-file': '',
  'mqtt-ca': '',
  'mqtt-cert': '',
  'mqtt-key': '',
  'mqtt-topic-prefix': '',
  'mqtt-outbox-limit': 100000,
  'bind-retry-s': 120,
  'release-memory-after-ms': 5000,
} as const;

export type OptionName = keyof typeof DEFAULTS;
type OptionType = 'string' | 'boolean' | 'number' | 'array';

export interface OptionSpec {
  type: OptionType;
  describe: string;
}

/** One paragraph each; docs/configuration.md repeats these (a unit test keeps them in step). */
export const OPTIONS: Record<OptionName, OptionSpec> = {
  listen: { type: 'string', describe: 'nanomsg PULL endpoint for the legacy fire-and-forget channel the C plugins use (tcp:// or ipc://). `off` disables it.' },
  'ack-listen': { type: 'string', describe: 'nanomsg REP endpoint of the acknowledged channel: a plugin gets a reply (applied, duplicate, stale, rejected + reason, unavailable) only after the lease is durably stored. `off` disables it.' },
  'ack-workers': { type: 'number', describe: 'Acknowledged requests the manager holds at once (1-256). Requests that arrive together are stored in one commit and acknowledged after it, so concurrent plugins do not wait for each other\'s fsync. 1: a plain REP socket serving one request at a time.' },
  events: { type: 'string', describe: 'nanomsg PUB endpoint where lease events are published as JSON, topic = the TR-181 event name; validation rejects go out on topic `dhcpmgr.reject`. `off` disables it.' },
  http: { type: 'string', describe: 'HOST:PORT of the read-only HTTP API (status, TR-181 values, leases, history, Prometheus metrics). Keep it on loopback. `off` disables it.' },
  'state-dir': { type: 'string', describe: 'Directory of the persistent store (SQLite). Created if missing.' },
  'spool-dir': { type: 'string', describe: 'Directory where plugins leave events the manager could not take in time. Replayed in event order at start before any socket is bound, then rescanned while running; a file is deleted only after its event is committed, rejects move to `rejected/`. Default: $DHCPMGR_SPOOL_DIR, else /var/lib/dhcpmgr/spool.' },
  apply: { type: 'string', describe: 'What to change on the system when a lease changes: `none` (only the model) or `iproute2` (addresses through `ip`, run with argument arrays, never a shell).' },
  'apply-routes': { type: 'boolean', describe: 'With `--apply iproute2`: also install the DHCPv4 routes: the static routes (option 121, else 249, else 33) and the default route through the first router, which is left out when option 121/249 is present (RFC 3442). Each carries `proto dhcp` and the interface\'s --route-metric.' },
  'apply-mtu': { type: 'boolean', describe: 'With `--apply iproute2`: also set the interface MTU when the DHCPv4 lease carries one.' },
  'apply-netns': { type: 'string', describe: 'With `--apply iproute2`: run `ip -n NAME` to act inside that network namespace (tests, containers). Empty: the daemon\'s own namespace.' },
  abi: { type: 'string', describe: 'Which PLUGIN_MSG layouts to accept: `auto` (both 1464-byte LP64 and 1456-byte ILP32), `lp64` or `ilp32`.' },
  interfaces: { type: 'array', describe: 'Allow-list of interface names (repeat the flag or separate with commas). Messages for other interfaces are rejected (IFNAME_NOT_ALLOWED); instances for these are created at start. Empty: any valid name.' },
  'log-level': { type: 'string', describe: 'pino log level: fatal, error, warn, info, debug, trace or silent.' },
  'log-file': { type: 'string', describe: 'Write logs to this file instead of stdout; SIGHUP reopens it (for logrotate). Empty: stdout.' },
  durability: { type: 'string', describe: '`full`: every commit is fsynced before it is acknowledged (survives power loss). `normal`: survives a crash of the daemon (kill -9) but the last commits may be lost on power loss; faster.' },
  rcvmaxsize: { type: 'number', describe: 'Largest frame (bytes) the sockets accept. Larger frames are dropped by nanomsg without a trace, so keep it far above the 1464-byte message so bad sizes are seen and counted.' },
  'queue-limit': { type: 'number', describe: 'Most legacy messages waiting for the store. When the queue is full a further legacy message is dropped and counted with reason OVERLOAD instead of growing memory without bound; if its interface holds less than its share of the queue (the limit divided by the interfaces with messages waiting), or it ends a lease, the newest renewal of the interface holding the most is dropped in its place.' },
  'batch-size': { type: 'number', describe: 'Most messages committed in one store transaction. Batching is what keeps durable commits fast under load.' },
  'commit-delay-ms': { type: 'number', describe: 'Least time (ms) the drain waits to gather more messages into one transaction (group commit). Without it a drain starts as soon as the previous commit is done and takes everything that arrived meanwhile. Raising it trades latency for throughput with durable commits.' },
  'history-per-interface': { type: 'number', describe: 'Lease events kept per interface for `dhcp-manager history`. With --mqtt-url, also how many waiting events the MQTT outbox keeps as references to these rows before it stores events compressed itself.' },
  'spool-scan-ms': { type: 'number', describe: 'How often (ms) the spool directory is rescanned while running (a file-system watch also triggers a scan).' },
  'key-file': { type: 'string', describe: 'File holding the HMAC-SHA256 key (at least 16 raw bytes) that authenticates acked-channel senders and spool files. It must be a regular file owned by root (or by the user the daemon runs as) with mode 0600 or 0400, else the daemon refuses to start. Plugins sign with the same file ($DHCPMGR_KEY_FILE). Empty: no key.' },
  'require-auth': { type: 'boolean', describe: 'Refuse acked messages and spool files without a valid HMAC (NO_HMAC, BAD_HMAC), and authenticated acked messages that were already received (REPLAYED) or are older than --replay-window (OUTSIDE_WINDOW). Needs --key-file. Combine with `--listen off`: the legacy channel carries no authentication.' },
  'replay-window': { type: 'number', describe: 'Seconds an authenticated acked message stays acceptable after the plugin stamped it (measured on the monotonic clock for senders of this boot). Each accepted message is remembered this long so that a replay is refused.' },
  'ipc-mode': { type: 'string', describe: 'File mode (octal, e.g. 0660) applied to the socket files of ipc:// endpoints after they are bound, so that only the DHCP clients\' user or group can connect. Empty: leave the mode the umask gave.' },
  'ipc-group': { type: 'string', describe: 'Group name or numeric gid given to the socket files of ipc:// endpoints after they are bound (use with --ipc-mode 0660). Empty: unchanged.' },
  'resolv-file': { type: 'string', describe: 'With `--apply iproute2` and `--dns-mode file`: the resolver file written (atomically: temp file + rename) with the DNS servers and search domains of every active lease, rewritten when they change and emptied of them when the leases end. Point it at /etc/resolv.conf or at a file dnsmasq reads with `resolv-file` to use it. Empty: `resolv.conf` in --state-dir, so nothing outside is touched.' },
  'dns-mode': { type: 'string', describe: 'With `--apply iproute2`: where the leases\' DNS servers and domains go. `file`: the --resolv-file; `resolved`: systemd-resolved, per interface (`resolvectl dns IF ...`, `resolvectl domain IF ...`, `resolvectl revert IF` when its leases end); `off`: nowhere.' },
  'dns-priority': { type: 'array', describe: 'Interface order for merging DNS servers and domains into the resolver file (repeat the flag or separate with commas): the servers of the first interface come first. Interfaces not listed follow by name; within an interface DHCPv4 before DHCPv6.' },
  'route-metric': { type: 'array', describe: 'With `--apply-routes`: route metric per interface as IF=N (repeat or separate with commas; `*=N` for all others, default 0). Used for the default route and the static routes (options 121, 249, 33) of that interface, so several WAN interfaces can each hold a default route.' },
  'lan-interfaces': { type: 'array', describe: 'With `--apply iproute2`: LAN interfaces that get a /64 of each DHCPv6 delegated prefix, as IF or IF=ID (repeat or separate with commas). ID is the subnet id (default: the position in this list, from 0), so each LAN keeps its /64 across restarts. `prefix::1/64` goes on the interface with the prefix\'s lifetimes, for an RA server to advertise. A prefix too short for an id is reported (log, status, metric), never wrapped.' },
  'lan-deprecate-s': { type: 'number', describe: 'Seconds a LAN /64 of a delegated prefix that ended stays on its interface with preferred lifetime 0 (deprecated, RFC 7084 L-13) before it is deleted. 0: delete at once.' },
  'api-token-file': { type: 'string', describe: 'File holding the bearer token that HTTP writes (PATCH /api/v1/tr181, `dhcp-manager set`) must carry; same ownership and mode rules as --key-file (at least 16 bytes; surrounding whitespace is ignored). Empty: writes are refused.' },
  'accept-unconfigured': { type: 'boolean', describe: 'Take leases for interfaces that have no enabled client in the client table (clients started by something else), as long as --max-interfaces is not reached. Off: such a lease is rejected (UNCONFIGURED_INTERFACE) unless its interface is in --interfaces.' },
  'max-interfaces': { type: 'number', describe: 'With --accept-unconfigured: most interface instances the model holds (1-4096); a lease for one more interface is rejected (TOO_MANY_INTERFACES), so no local sender can grow the model without bound. Always: most interface names that dhcpmgr_overload_dropped_by_interface_total counts under their own label (later ones count as :other).' },
  'udhcpc-plugin': { type: 'string', describe: 'Script the managed udhcpc runs on each event. Empty: the built dhcpmgr-udhcpc-plugin beside this package in the monorepo, else /usr/bin/dhcpmgr-udhcpc-plugin.' },
  'dibbler-plugin': { type: 'string', describe: 'Script the managed dibbler-client runs on each event. Empty: the built dhcpmgr-dibbler-plugin beside this package in the monorepo, else /usr/bin/dhcpmgr-dibbler-plugin.' },
  'stop-clients-on-exit': { type: 'boolean', describe: 'Release and stop the managed DHCP clients when the manager stops. Off: they keep running (a manager restart or upgrade does not drop the WAN) and the next start re-adopts them from their pid files.' },
  'gateway-id': { type: 'string', describe: 'Stable name of this gateway in exported data (1-64 letters, digits, ".", "_", "-"): the default MQTT client id is `dhcpmgr-<gateway-id>` and the default topic prefix `dhcpmgr/<gateway-id>`. Empty: the contents of /etc/machine-id.' },
  'mqtt-url': { type: 'string', describe: 'Export lease events and the current lease state to this MQTT broker: `mqtt://HOST:PORT` or `mqtts://HOST:PORT` (TLS). Events are written to an outbox in the store in the same transaction as the lease and leave it only after the broker acknowledged them (QoS 1), so a broker that is away loses nothing. Empty: no exporter (the MQTT code is not even loaded).' },
  'mqtt-client-id': { type: 'string', describe: 'MQTT client id. Empty: `dhcpmgr-<gateway-id>`.' },
  'mqtt-credentials-file': { type: 'string', describe: 'File holding the MQTT user name on its first line and the password on its second. Same rules as --key-file: a regular file owned by root (or the daemon\'s user), mode 0600 or 0400, else the daemon refuses to start. Empty: connect without a user name.' },
  'mqtt-ca': { type: 'string', describe: 'With mqtts://: PEM file of the CA certificates that the broker\'s certificate must chain to. Empty: the system\'s CAs.' },
  'mqtt-cert': { type: 'string', describe: 'With mqtts://: PEM client certificate (with --mqtt-key) for brokers that authenticate clients by certificate.' },
  'mqtt-key': { type: 'string', describe: 'With mqtts://: PEM private key of --mqtt-cert. Same ownership and mode rules as --key-file.' },
  'mqtt-topic-prefix': { type: 'string', describe: 'Prefix of every topic the exporter publishes (`<prefix>/events/...`, `<prefix>/state/...`, `<prefix>/status`); no wildcards. Empty: `dhcpmgr/<gateway-id>`.' },
  'mqtt-outbox-limit': { type: 'number', describe: 'Most events the MQTT outbox holds while the broker is away (1-10000000). When full, the oldest events are dropped and counted (dhcpmgr_mqtt_dropped_total); the retained state per client is kept apart and still ends up right.' },
  'bind-retry-s': { type: 'number', describe: 'Seconds the daemon keeps retrying to bind a listening endpoint (events, legacy, acked, HTTP) whose port is in use, with back-off, logging why each time, before it gives up. The default ports 50324-50327 lie inside Linux\'s ephemeral port range, so an outgoing connection of any program can hold one of them (or leave it in TIME_WAIT for up to a minute) just when the daemon starts; docs/operations.md shows how to reserve them. 0: fail at once.' },
  'release-memory-after-ms': { type: 'number', describe: 'Quiet time (ms) after start-up or after a burst of work before the daemon runs one full garbage collection, which lets V8 shrink its young generation and return free heap pages to the system (docs/performance.md, Footprint). 0: never.' },
};

export type Endpoint = string | null;

export interface Config {
  listen: Endpoint;
  ackListen: Endpoint;
  ackWorkers: number;
  events: Endpoint;
  http: { host: string; port: number } | null;
  stateDir: string;
  spoolDir: string;
  apply: 'none' | 'iproute2';
  applyRoutes: boolean;
  applyMtu: boolean;
  applyNetns: string;
  abi: 'auto' | 'lp64' | 'ilp32';
  interfaces: string[];
  logLevel: string;
  logFile: string;
  durability: 'full' | 'normal';
  rcvmaxsize: number;
  queueLimit: number;
  batchSize: number;
  commitDelayMs: number;
  historyPerInterface: number;
  spoolScanMs: number;
  /** Sender authentication (auth.ts): the key read from --key-file, --require-auth, --replay-window. */
  auth?: { key?: Buffer; requireAuth: boolean; replayWindowS: number; keyFile?: string };
  /** Applied to ipc:// socket files after bind (monitor/ipcperm.ts). */
  ipcMode?: number;
  ipcGroup?: string;
  /** What --apply iproute2 touches beyond the WAN address (appliers/system.ts). */
  system?: SystemConfig;
  /** The client table from the config file's `clients` section (clients/table.ts). */
  clients: import('./clients/table').ClientTable;
  /** Bearer token for HTTP writes, from --api-token-file. */
  apiToken?: Buffer;
  acceptUnconfigured: boolean;
  maxInterfaces: number;
  udhcpcPlugin: string;
  dibblerPlugin: string;
  stopClientsOnExit: boolean;
  /** The MQTT exporter (export/options.ts); absent without --mqtt-url. */
  mqtt?: import('./export/options').MqttConfig;
  /** Seconds to keep retrying a bind whose address is in use (monitor/bindretry.ts); 0: none. */
  bindRetryS: number;
  /** Quiet ms before memory is given back after work (memory.ts); 0: never. */
  releaseMemoryAfterMs: number;
}

export interface SystemConfig {
  resolvFile: string;
  dnsMode: 'file' | 'resolved' | 'off';
  dnsPriority: string[];
  routeMetrics: Record<string, number>;
  lanInterfaces: Array<{ ifname: string; id: number }>;
  lanDeprecateS: number;
}

/** The CLI exits 2 on it (cli/index.ts). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** pino's level names (plugin-msg's list), required when a config is resolved, not when the CLI loads this. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const logLevels = (): readonly string[] => (require('@dhcpmgr/plugin-msg') as typeof import('@dhcpmgr/plugin-msg')).LOG_LEVELS;

function bad(name: string, value: unknown, expected: string): never {
  throw new ConfigError(`Invalid --${name} ${JSON.stringify(value)}: expected ${expected}`);
}

function endpoint(name: string, v: unknown): Endpoint {
  if (v === 'off') return null;
  if (typeof v !== 'string' || !/^(tcp:\/\/[^\s]+:\d{1,5}|ipc:\/\/\S+|inproc:\/\/\S+)$/.test(v)) {
    bad(name, v, 'a nanomsg endpoint such as tcp://127.0.0.1:50324 or ipc:///run/dhcpmgr.sock, or off');
  }
  return v;
}

function httpAddr(v: unknown): Config['http'] {
  if (v === 'off') return null;
  const m = typeof v === 'string' ? /^(\[[0-9a-fA-F:]+\]|[^\s:/]+):(\d{1,5})$/.exec(v) : null;
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) bad('http', v, 'HOST:PORT such as 127.0.0.1:50325 (port 0-65535), or off');
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

function oneOf<T extends string>(name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) bad(name, v, `one of ${allowed.join(', ')}`);
  return v as T;
}

function int(name: string, v: unknown, min: number, max: number): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) bad(name, v, `an integer from ${min} to ${max}`);
  return n;
}

function bool(name: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return bad(name, v, 'true or false');
}

function dir(name: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || v.includes('\0')) bad(name, v, 'a directory path');
  return v;
}

function ifnames(v: unknown): string[] {
  const list = (Array.isArray(v) ? v : [v]).flatMap((x) => (typeof x === 'string' ? x.split(',') : [x]));
  const out = list.filter((x) => x !== '');
  for (const x of out) {
    if (typeof x !== 'string') bad('interfaces', x, 'interface names');
    const problem = ifnameProblem(x);
    if (problem) throw new ConfigError(`Invalid --interfaces ${JSON.stringify(x)}: ${problem}`);
  }
  return out as string[];
}

/** Read the `--config` JSON file: an object whose keys are option names. */
export function readConfigFile(file: string): Partial<Record<OptionName, unknown>> & { clients?: unknown } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read --config ${JSON.stringify(file)}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`Invalid --config ${JSON.stringify(file)}: expected JSON (${(err as Error).message})`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(`Invalid --config ${JSON.stringify(file)}: expected a JSON object of option names`);
  for (const key of Object.keys(data)) {
    if (!(key in DEFAULTS) && key !== 'clients') throw new ConfigError(`Invalid --config ${JSON.stringify(file)}: unknown option "${key}"; expected one of ${Object.keys(DEFAULTS).join(', ')}`);
  }
  return data as Partial<Record<OptionName, unknown>> & { clients?: unknown };
}

/**
 * Merge, in rising precedence, DEFAULTS, the environment ($DHCPMGR_SPOOL_DIR), the config file
 * and the flags given on the command line (undefined = not given), then check every value.
 * Throws ConfigError.
 */
export function resolveConfig(flags: Partial<Record<OptionName, unknown>>, env: NodeJS.ProcessEnv = {}, file?: string): Config {
  const fromFile: ReturnType<typeof readConfigFile> = file ? readConfigFile(file) : {};
  const pick = (name: OptionName): unknown => {
    if (flags[name] !== undefined) return flags[name];
    if (fromFile[name] !== undefined) return fromFile[name];
    if (name === 'spool-dir' && env.DHCPMGR_SPOOL_DIR) return env.DHCPMGR_SPOOL_DIR;
    return DEFAULTS[name];
  };
  const config: Config = {
    listen: endpoint('listen', pick('listen')),
    ackListen: endpoint('ack-listen', pick('ack-listen')),
    ackWorkers: int('ack-workers', pick('ack-workers'), 1, 256),
    events: endpoint('events', pick('events')),
    http: httpAddr(pick('http')),
    stateDir: dir('state-dir', pick('state-dir')),
    spoolDir: dir('spool-dir', pick('spool-dir')),
    apply: oneOf('apply', pick('apply'), ['none', 'iproute2'] as const),
    applyRoutes: bool('apply-routes', pick('apply-routes')),
    applyMtu: bool('apply-mtu', pick('apply-mtu')),
    applyNetns: (() => {
      const v = pick('apply-netns');
      if (typeof v !== 'string' || !/^[A-Za-z0-9_.-]{0,64}$/.test(v)) bad('apply-netns', v, 'a network namespace name (letters, digits, _ . -) or empty');
      return v;
    })(),
    abi: oneOf('abi', pick('abi'), ['auto', 'lp64', 'ilp32'] as const),
    interfaces: ifnames(pick('interfaces')),
    logLevel: oneOf('log-level', pick('log-level'), logLevels()),
    logFile: (() => {
      const v = pick('log-file');
      if (typeof v !== 'string') bad('log-file', v, 'a file path or empty');
      return v;
    })(),
    durability: oneOf('durability', pick('durability'), ['full', 'normal'] as const),
    rcvmaxsize: int('rcvmaxsize', pick('rcvmaxsize'), 2048, 1 << 30),
    queueLimit: int('queue-limit', pick('queue-limit'), 1, 10_000_000),
    batchSize: int('batch-size', pick('batch-size'), 1, 100_000),
    commitDelayMs: int('commit-delay-ms', pick('commit-delay-ms'), 0, 10_000),
    ...authAndIpc(pick),
    historyPerInterface: int('history-per-interface', pick('history-per-interface'), 1, 1_000_000),
    spoolScanMs: int('spool-scan-ms', pick('spool-scan-ms'), 10, 3_600_000),
    bindRetryS: int('bind-retry-s', pick('bind-retry-s'), 0, 86_400),
    releaseMemoryAfterMs: int('release-memory-after-ms', pick('release-memory-after-ms'), 0, 3_600_000),
    system: systemConfig(pick),
    ...clientOptions(pick, fromFile.clients),
    ...mqttOptions(pick),
  };
  // --interfaces stays a hard allow-list: a client outside it could never deliver a lease.
  const outside = [...config.clients.dhcpv4, ...config.clients.dhcpv6].find((x) => config.interfaces.length > 0 && !config.interfaces.includes(x.interface));
  if (outside) throw new ConfigError(`Invalid --config: client on ${outside.interface} is not in --interfaces ${config.interfaces.join(',')}; its leases would be refused (add it or leave --interfaces empty)`);
  return config;
}

function systemConfig(pick: (name: OptionName) => unknown): SystemConfig {
  const stateDir = dir('state-dir', pick('state-dir'));
  const file = pick('resolv-file');
  if (typeof file !== 'string' || file.includes('\0')) bad('resolv-file', file, 'a file path or empty');
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]).flatMap((x) => (typeof x === 'string' ? x.split(',') : [x])).filter((x) => x !== '');
  const dnsPriority = list(pick('dns-priority')).map((x) => {
    if (typeof x !== 'string' || ifnameProblem(x) !== undefined) bad('dns-priority', x, 'interface names');
    return x;
  });
  const routeMetrics: Record<string, number> = {};
  for (const x of list(pick('route-metric'))) {
    const m = typeof x === 'string' ? /^([^=]+)=(\d{1,10})$/.exec(x) : null;
    if (!m || (m[1] !== '*' && ifnameProblem(m[1]!) !== undefined) || Number(m[2]) > 0xffffffff) bad('route-metric', x, 'IF=N or *=N with N from 0 to 4294967295');
    routeMetrics[m[1]!] = Number(m[2]);
  }
  const lanInterfaces: SystemConfig['lanInterfaces'] = [];
  list(pick('lan-interfaces')).forEach((x, i) => {
    const m = typeof x === 'string' ? /^([^=]+)(?:=(\d{1,5}))?$/.exec(x) : null;
    if (!m || ifnameProblem(m[1]!) !== undefined || (m[2] !== undefined && Number(m[2]) > 65535)) bad('lan-interfaces', x, 'IF or IF=ID with a subnet id from 0 to 65535');
    const id = m[2] !== undefined ? Number(m[2]) : i;
    if (lanInterfaces.some((l) => l.ifname === m[1] || l.id === id)) bad('lan-interfaces', x, 'each interface and subnet id once');
    lanInterfaces.push({ ifname: m[1]!, id });
  });
  return {
    resolvFile: file || join(stateDir, 'resolv.conf'),
    dnsMode: oneOf('dns-mode', pick('dns-mode'), ['file', 'resolved', 'off'] as const),
    dnsPriority,
    routeMetrics,
    lanInterfaces,
    lanDeprecateS: int('lan-deprecate-s', pick('lan-deprecate-s'), 0, 86_400),
  };
}

function clientOptions(pick: (name: OptionName) => unknown, clients: unknown): Pick<Config, 'clients' | 'apiToken' | 'acceptUnconfigured' | 'maxInterfaces' | 'udhcpcPlugin' | 'dibblerPlugin' | 'stopClientsOnExit'> {
  const { parseClients } = require('./clients/table') as typeof import('./clients/table');
  let table;
  try {
    table = parseClients(clients);
  } catch (err) {
    throw new ConfigError(`Invalid --config: ${(err as Error).message}`);
  }
  const tokenFile = pick('api-token-file');
  if (typeof tokenFile !== 'string' || tokenFile.includes('\0')) bad('api-token-file', tokenFile, 'a file path or empty');
  let apiToken: Buffer | undefined;
  if (tokenFile) {
    const { loadKeyFile } = require('./auth') as typeof import('./auth');
    try {
      apiToken = Buffer.from(loadKeyFile(tokenFile).toString('utf8').trim());
    } catch (err) {
      throw new ConfigError((err as Error).message.replace('--key-file', '--api-token-file'));
    }
    if (apiToken.length < 16) bad('api-token-file', tokenFile, 'a token of at least 16 characters besides whitespace');
  }
  const plugin = (name: 'udhcpc-plugin' | 'dibbler-plugin', kind: 'udhcpc' | 'dibbler'): string => {
    const v = pick(name);
    if (typeof v !== 'string' || v.includes('\0')) bad(name, v, 'a file path or empty');
    if (v) return v;
    const { defaultPlugin } = require('./clients/plugins') as typeof import('./clients/plugins');
    return defaultPlugin(kind);
  };
  return {
    clients: table,
    ...(apiToken ? { apiToken } : {}),
    acceptUnconfigured: bool('accept-unconfigured', pick('accept-unconfigured')),
    maxInterfaces: int('max-interfaces', pick('max-interfaces'), 1, 4096),
    udhcpcPlugin: plugin('udhcpc-plugin', 'udhcpc'),
    dibblerPlugin: plugin('dibbler-plugin', 'dibbler'),
    stopClientsOnExit: bool('stop-clients-on-exit', pick('stop-clients-on-exit')),
  };
}

function mqttOptions(pick: (name: OptionName) => unknown): Pick<Config, 'mqtt'> {
  const { resolveMqtt } = require('./export/options') as typeof import('./export/options');
  const mqtt = resolveMqtt(pick, bad, (option, file, minBytes) => {
    const { loadKeyFile } = require('./auth') as typeof import('./auth');
    try { return loadKeyFile(file, { option, minBytes }); } catch (err) { throw new ConfigError((err as Error).message); }
  });
  return mqtt ? { mqtt } : {};
}

function authAndIpc(pick: (name: OptionName) => unknown): Pick<Config, 'auth' | 'ipcMode' | 'ipcGroup'> {
  const keyFile = pick('key-file');
  if (typeof keyFile !== 'string' || keyFile.includes('\0')) bad('key-file', keyFile, 'a file path or empty');
  const requireAuth = bool('require-auth', pick('require-auth'));
  const replayWindowS = int('replay-window', pick('replay-window'), 1, 86_400);
  let key: Buffer | undefined;
  if (keyFile || requireAuth) {
    // Loaded here, not later, so that a world-readable or missing key stops the start with exit 2.
    const { loadKeyFile, requireKeyForAuth } = require('./auth') as typeof import('./auth');
    try {
      requireKeyForAuth(requireAuth, keyFile !== '');
      if (keyFile) key = loadKeyFile(keyFile);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
  }
  const modeText = pick('ipc-mode');
  let ipcMode: number | undefined;
  if (modeText !== '' && modeText !== undefined) {
    if (typeof modeText !== 'string' || !/^0?[0-7]{3}$/.test(modeText)) bad('ipc-mode', modeText, 'an octal file mode such as 0660, or empty');
    ipcMode = parseInt(modeText, 8);
  }
  const group = pick('ipc-group');
  if (typeof group !== 'string' || !/^[A-Za-z0-9_.-]{0,32}$/.test(group)) bad('ipc-group', group, 'a group name or numeric gid, or empty');
  if (group) {
    const { resolveGroup } = require('./monitor/ipcperm') as typeof import('./monitor/ipcperm');
    try { resolveGroup(group); } catch (err) { throw new ConfigError((err as Error).message); }
  }
  return {
    auth: key || requireAuth ? { key, requireAuth, replayWindowS, keyFile } : undefined,
    ...(ipcMode !== undefined ? { ipcMode } : {}),
    ...(group ? { ipcGroup: group } : {}),
  };
}

/** Endpoints as they are shown in status and logs. */
export function describeEndpoints(c: Config): Record<string, string> {
  return {
    listen: c.listen ?? 'off',
    ackListen: c.ackListen ?? 'off',
    events: c.events ?? 'off',
    http: c.http ? `${c.http.host}:${c.http.port}` : 'off',
    spoolDir: c.spoolDir,
    stateDir: c.stateDir,
  };
}
