/**
 * The plugins' configuration: environment over an optional JSON file (udhcpc and dibbler call
 * the script with the event only, so nothing comes on the command line), then DEFAULTS.
 */
import { readFileSync } from 'fs';
import { Abi, hostAbi } from '../layout';
import { LOG_LEVELS, isLogLevel } from '../levels';

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
    if (!isLogLevel(lvl.value)) {
      return { ok: false, variable: lvl.from, error: `"${lvl.value}"; expected ${LOG_LEVELS.slice(0, -1).join(', ')} or ${LOG_LEVELS[LOG_LEVELS.length - 1]}` };
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

