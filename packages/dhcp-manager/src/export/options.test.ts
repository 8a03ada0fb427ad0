/** The --mqtt-* options: defaults from the gateway id, and refusals that name the value. */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ConfigError, resolveConfig } from '../config';
import { gatewayId } from './options';

const base = { 'state-dir': '/tmp/x', 'spool-dir': '/tmp/x/spool' };
const fail = (name: string, value: unknown, expected: string): never => {
  throw new ConfigError(`Invalid --${name} ${JSON.stringify(value)}: expected ${expected}`);
};

describe('MQTT options', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-mqttopt-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('has no exporter without --mqtt-url', () => {
    expect(resolveConfig(base).mqtt).toBeUndefined();
  });

  it('derives the client id and topic prefix from --gateway-id', () => {
    expect(resolveConfig({ ...base, 'mqtt-url': 'mqtt://broker:1883', 'gateway-id': 'gw-7' }).mqtt).toEqual({
      url: 'mqtt://broker:1883', clientId: 'dhcpmgr-gw-7', gatewayId: 'gw-7', topicPrefix: 'dhcpmgr/gw-7', outboxLimit: 100000,
    });
    expect(resolveConfig({ ...base, 'mqtt-url': 'mqtts://b', 'gateway-id': 'g', 'mqtt-client-id': 'c1', 'mqtt-topic-prefix': 'fleet/eu/g', 'mqtt-outbox-limit': '50' }).mqtt)
      .toMatchObject({ clientId: 'c1', topicPrefix: 'fleet/eu/g', outboxLimit: 50 });
  });

  it('takes the gateway id from the machine id when none is given, and says so when there is none', () => {
    const file = join(dir, 'machine-id');
    writeFileSync(file, '3d1219c7c4c5404aaa1f6d2a48adfda4\n');
    expect(gatewayId('', fail, file)).toBe('3d1219c7c4c5404aaa1f6d2a48adfda4');
    expect(() => gatewayId('', fail, join(dir, 'absent'))).toThrow(/Invalid --gateway-id "": expected a gateway name \(.*absent is missing or unusable/);
  });

  it.each([
    [{ 'mqtt-url': 'http://broker:80' }, /Invalid --mqtt-url "http:\/\/broker:80": expected mqtt:\/\/HOST:PORT or mqtts:\/\/HOST:PORT/],
    [{ 'mqtt-url': 'mqtt://user:pw@broker:1883' }, /expected a URL without credentials \(give them in --mqtt-credentials-file\)/],
    [{ 'mqtt-url': 'mqtt://b', 'mqtt-topic-prefix': 'a/#' }, /Invalid --mqtt-topic-prefix "a\/#": expected a topic without wildcards/],
    [{ 'mqtt-url': 'mqtt://b', 'mqtt-outbox-limit': 0 }, /Invalid --mqtt-outbox-limit 0: expected an integer from 1 to 10000000/],
    [{ 'mqtt-url': 'mqtt://b', 'mqtt-client-id': 'has space' }, /Invalid --mqtt-client-id "has space"/],
    [{ 'mqtt-url': 'mqtt://b', 'mqtt-ca': '/etc/ssl/certs/ca-certificates.crt' }, /Invalid --mqtt-url "mqtt:\/\/b": expected mqtts:\/\/ when --mqtt-ca or --mqtt-cert is given/],
    [{ 'mqtt-url': 'mqtts://b', 'mqtt-cert': '/x.pem' }, /Invalid --mqtt-key "": expected both --mqtt-cert and --mqtt-key, or neither/],
    [{ 'mqtt-url': 'mqtts://b', 'mqtt-ca': '/nonexistent/ca.pem' }, /Invalid --mqtt-ca "\/nonexistent\/ca.pem": expected a readable file \(ENOENT\)/],
    [{ 'mqtt-url': 'mqtt://b', 'gateway-id': 'no/slash' }, /Invalid --gateway-id "no\/slash"/],
  ])('refuses %j', (flags, message) => {
    expect(() => resolveConfig({ ...base, 'gateway-id': 'g', ...flags })).toThrow(message);
  });

  it('reads the user name and password from a root-only credentials file and refuses one others can read', () => {
    const file = join(dir, 'creds');
    writeFileSync(file, 'gw-user\ns3cret:with:colons\n', { mode: 0o600 });
    expect(resolveConfig({ ...base, 'mqtt-url': 'mqtt://b', 'gateway-id': 'g', 'mqtt-credentials-file': file }).mqtt)
      .toMatchObject({ username: 'gw-user', password: 's3cret:with:colons', credentialsFile: file });
    const open = join(dir, 'open');
    writeFileSync(open, 'u\np\n', { mode: 0o644 });
    expect(() => resolveConfig({ ...base, 'mqtt-url': 'mqtt://b', 'gateway-id': 'g', 'mqtt-credentials-file': open }))
      .toThrow(/Invalid --mqtt-credentials-file ".*open": has mode 0644; expected 0600 or 0400/);
  });
});
