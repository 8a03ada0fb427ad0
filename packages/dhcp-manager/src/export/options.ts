/**
 * The `--mqtt-*` options (and `--gateway-id`), checked and read at start: a bad URL, an unreadable
 * CA or a credentials file that others can read stops the daemon with exit code 2, like every
 * other bad option. Light on purpose: config.ts loads it on every run, the mqtt package is loaded
 * only by the exporter (mqtt.ts) and only when --mqtt-url is given.
 */
import { readFileSync } from 'fs';

export interface MqttConfig {
  /** As given (mqtt:// or mqtts://, no credentials in it). */
  url: string;
  clientId: string;
  gatewayId: string;
  topicPrefix: string;
  username?: string;
  password?: string;
  credentialsFile?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  outboxLimit: number;
}

type Fail = (name: string, value: unknown, expected: string) => never;
type Pick = (name: 'gateway-id' | 'mqtt-url' | 'mqtt-client-id' | 'mqtt-credentials-file' | 'mqtt-ca' | 'mqtt-cert' | 'mqtt-key' | 'mqtt-topic-prefix' | 'mqtt-outbox-limit') => unknown;

const GATEWAY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const CLIENT_ID = /^[\x21-\x7e]{1,128}$/;
const MACHINE_ID = '/etc/machine-id';

/** The stable name of this gateway: --gateway-id, else /etc/machine-id. */
export function gatewayId(given: string, fail: Fail, machineIdFile = MACHINE_ID): string {
  if (given !== '') {
    if (!GATEWAY_ID.test(given)) fail('gateway-id', given, '1-64 letters, digits, ".", "_" or "-"');
    return given;
  }
  let id = '';
  try {
    id = readFileSync(machineIdFile, 'utf8').trim();
  } catch {
    // No machine id: said below.
  }
  if (!GATEWAY_ID.test(id)) fail('gateway-id', given, `a gateway name (${machineIdFile} is missing or unusable, so there is no default)`);
  return id;
}

function text(name: string, v: unknown, fail: Fail): string {
  if (typeof v !== 'string' || v.includes('\0')) fail(name, v, 'a string');
  return v;
}

function readFile(name: string, file: string, fail: Fail): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    return fail(name, file, `a readable file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** Returns undefined when --mqtt-url is empty (no exporter); throws through `fail` on a bad value. */
export function resolveMqtt(pick: Pick, fail: Fail, loadSecret: (option: string, file: string, minBytes: number) => Buffer): MqttConfig | undefined {
  const url = text('mqtt-url', pick('mqtt-url'), fail);
  if (url === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail('mqtt-url', url, 'mqtt://HOST:PORT or mqtts://HOST:PORT');
  }
  if ((parsed.protocol !== 'mqtt:' && parsed.protocol !== 'mqtts:') || parsed.hostname === '') fail('mqtt-url', url, 'mqtt://HOST:PORT or mqtts://HOST:PORT');
  if (parsed.username || parsed.password) fail('mqtt-url', url, 'a URL without credentials (give them in --mqtt-credentials-file)');
  const gw = gatewayId(text('gateway-id', pick('gateway-id'), fail), fail);
  const clientId = text('mqtt-client-id', pick('mqtt-client-id'), fail) || `dhcpmgr-${gw}`;
  if (!CLIENT_ID.test(clientId)) fail('mqtt-client-id', clientId, '1-128 printable ASCII characters without spaces');
  const topicPrefix = text('mqtt-topic-prefix', pick('mqtt-topic-prefix'), fail) || `dhcpmgr/${gw}`;
  if (/[+#]/.test(topicPrefix) || topicPrefix.startsWith('/') || topicPrefix.endsWith('/') || topicPrefix.length > 200) {
    fail('mqtt-topic-prefix', topicPrefix, 'a topic without wildcards (+, #), not starting or ending with "/", at most 200 characters');
  }
  const limitRaw = pick('mqtt-outbox-limit');
  const limit = typeof limitRaw === 'string' && limitRaw.trim() !== '' ? Number(limitRaw) : limitRaw;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 10_000_000) fail('mqtt-outbox-limit', limitRaw, 'an integer from 1 to 10000000');
  const out: MqttConfig = { url, clientId, gatewayId: gw, topicPrefix, outboxLimit: limit };

  const credentialsFile = text('mqtt-credentials-file', pick('mqtt-credentials-file'), fail);
  if (credentialsFile) {
    const lines = loadSecret('mqtt-credentials-file', credentialsFile, 1).toString('utf8').split(/\r?\n/);
    if (!lines[0]) fail('mqtt-credentials-file', credentialsFile, 'a user name on the first line and the password on the second');
    out.username = lines[0];
    if (lines.length > 1 && lines[1] !== '') out.password = lines[1];
    out.credentialsFile = credentialsFile;
  }
  const ca = text('mqtt-ca', pick('mqtt-ca'), fail);
  const cert = text('mqtt-cert', pick('mqtt-cert'), fail);
  const key = text('mqtt-key', pick('mqtt-key'), fail);
  if ((cert === '') !== (key === '')) fail(cert ? 'mqtt-key' : 'mqtt-cert', cert ? key : cert, 'both --mqtt-cert and --mqtt-key, or neither');
  if ((ca || cert) && parsed.protocol !== 'mqtts:') fail('mqtt-url', url, 'mqtts:// when --mqtt-ca or --mqtt-cert is given');
  if (ca) out.ca = readFile('mqtt-ca', ca, fail);
  if (cert) out.cert = readFile('mqtt-cert', cert, fail);
  if (key) out.key = loadSecret('mqtt-key', key, 1);
  return out;
}

/** The URL as shown in status and logs. */
export function describeMqtt(c: MqttConfig): Record<string, string | number> {
  return { url: c.url, clientId: c.clientId, topicPrefix: c.topicPrefix, outboxLimit: c.outboxLimit, ...(c.username ? { username: c.username } : {}) };
}
