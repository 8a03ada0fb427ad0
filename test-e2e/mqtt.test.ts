/**
 * MQTT export against a real mosquitto (started here on a loopback port with its own config) and
 * the real built manager, fed over its real acked socket. Subscribers are real MQTT clients.
 * TCP ports used by this file: 22500-22699 on loopback (brokers 225xx, HTTP 226xx). TLS certificates come from openssl.
 */
import { chmodSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { connect, MqttClient } from 'mqtt';
import { emptyV6Lease } from '@dhcpmgr/plugin-msg';
import {
  acked, cleanup, cli, endpoints, Endpoints, httpJson, listen, requireBuilt, Running, startDaemon, stop, tr181, v4, v6, waitFor,
} from '../packages/dhcp-manager/src/__fixtures__/daemon-harness';
import { Broker, broker } from './src/mosquitto';
import { makeCerts } from './src/tlscerts';

jest.setTimeout(120_000);

interface Msg { topic: string; text: string; retain: boolean; seq?: string }
interface Sub { client: MqttClient; msgs: Msg[]; close(): Promise<void> }

/** A real MQTT subscriber; `clean: false` + a fixed id keeps its session (and queued messages) across broker restarts. */
async function subscribe(url: string, topic: string, opts: { clientId?: string; clean?: boolean; tls?: { ca: Buffer; cert: Buffer; key: Buffer } } = {}): Promise<Sub> {
  // MQTT 5 keeps a session after a disconnect only for its session expiry interval (default 0).
  const persistent = opts.clean === false ? { properties: { sessionExpiryInterval: 3600 } } : {};
  const client = connect(url, { protocolVersion: 5, reconnectPeriod: 300, clean: opts.clean ?? true, ...persistent, ...(opts.clientId ? { clientId: opts.clientId } : {}), ...(opts.tls ?? {}) });
  const msgs: Msg[] = [];
  client.on('message', (t, payload, packet) => {
    const up = packet.properties?.userProperties?.seq;
    msgs.push({ topic: t, text: payload.toString(), retain: packet.retain, ...(up !== undefined ? { seq: String(up) } : {}) });
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => client.subscribe(topic, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    client.once('error', reject);
  });
  return { client, msgs, close: () => new Promise((r) => client.end(true, {}, () => r())) };
}

const mqttStatus = async (port: number) => (await httpJson(port, '/api/v1/status')).body.mqtt as Record<string, any>;

function v6Numbered(ifname: string, n: number): Buffer {
  const na = emptyV6Lease().iaNa;
  return v6(ifname, false, { iaNa: { ...na, assigned: true, address: '2001:db8::10', iaid: 1, preferredLifetime: 3000, validLifetime: 10_000 + n, t1: 1500, t2: 2400 } });
}

describe('MQTT export to a real mosquitto', () => {
  let e: Endpoints | undefined;
  let b: Broker | undefined;
  const subs: Sub[] = [];

  beforeAll(() => requireBuilt());
  afterEach(async () => {
    for (const s of subs.splice(0)) await s.close();
    cleanup(e);
    e = undefined;
    await b?.remove();
    b = undefined;
  });

  it('publishes v4 and v6 events (the PUB socket\'s JSON) and retained state that a late subscriber sees, and clears it at lease end', async () => {
    b = broker({ port: 22510 });
    await b.start();
    e = endpoints(22600, 'dhcpmgr-mqtt-');
    const early = await subscribe(b.url, 'dhcpmgr/gw-one/#');
    subs.push(early);
    const d = await startDaemon(e, ['--mqtt-url', b.url, '--gateway-id', 'gw-one']);
    const pub = listen(e);
    await waitFor('connected', async () => (await mqttStatus(e!.port)).connected === true, 10_000);
    await new Promise((r) => setTimeout(r, 300)); // PUB subscriber joins

    expect((await acked(e, v4('wan0', 'bound'))).status).toBe('applied');
    expect((await acked(e, v6('wan0', false))).status).toBe('applied');
    await waitFor('two events', () => early.msgs.filter((m) => m.topic.includes('/events/')).length >= 2 || undefined, 10_000);
    const events = early.msgs.filter((m) => m.topic.includes('/events/'));
    expect(events.map((m) => m.topic)).toEqual(['dhcpmgr/gw-one/events/Device.DHCPv4.Client.1', 'dhcpmgr/gw-one/events/Device.DHCPv6.Client.1']);
    await waitFor('PUB events', () => pub.events.length >= 2 || undefined);
    expect(events.map((m) => JSON.parse(m.text))).toEqual(pub.events.map((p) => p.body));
    expect(JSON.parse(events[0]!.text)).toMatchObject({ ifname: 'wan0', version: 4, msgTypeName: 'LEASE_UPDATE', lease: { ipAddress: '192.0.2.10' } });
    pub.close();

    // States are published at most every 100 ms: wait until both went out, then a subscriber
    // that connects afterwards gets them as retained messages, with the status.
    await waitFor('both states', () => ['4', '6'].every((v) => early.msgs.some((m) => m.topic === `dhcpmgr/gw-one/state/Device.DHCPv${v}.Client.1`)) || undefined, 5000);
    const late = await subscribe(b.url, 'dhcpmgr/gw-one/#');
    subs.push(late);
    await waitFor('retained', () => late.msgs.length >= 3 || undefined, 5000);
    const retained = Object.fromEntries(late.msgs.filter((m) => m.retain).map((m) => [m.topic, m.text]));
    expect(retained['dhcpmgr/gw-one/status']).toBe('online');
    expect(JSON.parse(retained['dhcpmgr/gw-one/state/Device.DHCPv4.Client.1']!)).toMatchObject({ client: 'Device.DHCPv4.Client.1', ifname: 'wan0', version: 4, state: 'bound', lease: { ipAddress: '192.0.2.10', leaseTime: 3600 } });
    expect(JSON.parse(retained['dhcpmgr/gw-one/state/Device.DHCPv6.Client.1']!)).toMatchObject({ version: 6, lease: { iaNa: { address: '2001:db8::10' }, iaPd: { prefix: '2001:db8:100::/56' } } });
    expect(late.msgs.some((m) => m.topic.includes('/events/'))).toBe(false);

    // Lease end: an empty retained message clears the v4 state; a newer subscriber sees only v6.
    expect((await acked(e, v4('wan0', 'deconfig'))).status).toBe('applied');
    await waitFor('v4 state cleared', () => early.msgs.some((m) => m.topic === 'dhcpmgr/gw-one/state/Device.DHCPv4.Client.1' && m.text === '') || undefined, 5000);
    await waitFor('state acknowledged', async () => (await mqttStatus(e!.port)).outboxDepth === 0 || undefined);
    const later = await subscribe(b.url, 'dhcpmgr/gw-one/state/#');
    subs.push(later);
    await waitFor('v6 state', () => later.msgs.length >= 1 || undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect(later.msgs.map((m) => m.topic)).toEqual(['dhcpmgr/gw-one/state/Device.DHCPv6.Client.1']);

    const metrics = (await httpJson(e.port, '/metrics')).body as string;
    expect(metrics).toMatch(/^dhcpmgr_mqtt_connected 1$/m);
    expect(metrics).toMatch(/^dhcpmgr_mqtt_published_total 3$/m);
    expect(metrics).toMatch(/^dhcpmgr_mqtt_outbox_depth 0$/m);
    expect(metrics).toMatch(/^dhcpmgr_mqtt_dropped_total 0$/m);

    // A clean stop says offline on the status topic.
    expect((await stop(d)).code).toBe(0);
    await waitFor('offline', () => early.msgs.some((m) => m.topic === 'dhcpmgr/gw-one/status' && m.text === 'offline') || undefined, 5000);
  });

  it('loses nothing and reorders nothing per client: 300 events while the broker is down, kill -9 in the middle', async () => {
    b = broker({ port: 22520 });
    await b.start();
    e = endpoints(22620, 'dhcpmgr-mqtt-');
    const sub = await subscribe(b.url, 'dhcpmgr/gw-two/events/#', { clientId: 'fleet-collector', clean: false });
    subs.push(sub);
    const args = ['--mqtt-url', b.url, '--gateway-id', 'gw-two'];
    let d: Running = await startDaemon(e, args);
    await waitFor('connected', async () => (await mqttStatus(e!.port)).connected === true, 10_000);
    await b.stop();
    await waitFor('disconnected', async () => (await mqttStatus(e!.port)).connected === false || undefined, 10_000);

    // Three clients, round robin; each event carries its number in a lease field.
    const send = async (n: number) => {
      const which = n % 3;
      const frame = which === 0 ? v4('wan0', 'renew', { leaseTime: 100_000 + n, renewalTime: 10, rebindingTime: 20 })
        : which === 1 ? v4('wan1', 'renew', { leaseTime: 100_000 + n, renewalTime: 10, rebindingTime: 20 }) : v6Numbered('wan0', n);
      expect((await acked(e!, frame)).status).toBe('applied');
    };
    for (let n = 0; n < 150; n++) await send(n);
    expect((await mqttStatus(e.port)).outboxDepth).toBe(150);
    d.proc.kill('SIGKILL');
    expect((await d.exited).signal).toBe('SIGKILL');
    d = await startDaemon(e, args);
    for (let n = 150; n < 300; n++) await send(n);
    const held = await mqttStatus(e.port);
    expect(held.outboxDepth).toBe(300);
    expect(held.connected).toBe(false);
    expect(held.lastError.message).toContain(`no broker listening at ${b.url}`);

    await b.start();
    await waitFor('300 events', () => sub.msgs.length >= 300 || undefined, 60_000);
    await waitFor('outbox empty', async () => (await mqttStatus(e!.port)).outboxDepth === 0 || undefined, 10_000);
    await new Promise((r) => setTimeout(r, 1000)); // any repeat would arrive by now
    expect(sub.msgs).toHaveLength(300);
    expect(new Set(sub.msgs.map((m) => m.seq)).size).toBe(300);
    const numbers = (topic: string) => sub.msgs.filter((m) => m.topic === topic).map((m) => {
      const ev = JSON.parse(m.text);
      return ev.version === 4 ? ev.lease.leaseTime - 100_000 : ev.lease.iaNa.validLifetime - 10_000;
    });
    const expected = (which: number) => Array.from({ length: 100 }, (_, i) => i * 3 + which);
    expect(numbers('dhcpmgr/gw-two/events/Device.DHCPv4.Client.1')).toEqual(expected(0));
    expect(numbers('dhcpmgr/gw-two/events/Device.DHCPv4.Client.2')).toEqual(expected(1));
    expect(numbers('dhcpmgr/gw-two/events/Device.DHCPv6.Client.1')).toEqual(expected(2));
    const after = await mqttStatus(e.port);
    expect(after).toMatchObject({ connected: true, outboxDepth: 0, published: 300, dropped: 0 });
    expect(await tr181(e.port, 'Device.DHCPv4.Client.2.IPAddress')).toEqual({ 'Device.DHCPv4.Client.2.IPAddress': '192.0.2.10' });

    // The last will: a manager killed with -9 is announced offline by the broker.
    const status = await subscribe(b.url, 'dhcpmgr/gw-two/status');
    subs.push(status);
    await waitFor('online', () => status.msgs.some((m) => m.text === 'online' && m.retain) || undefined);
    d.proc.kill('SIGKILL');
    await waitFor('will', () => status.msgs.some((m) => m.text === 'offline') || undefined, 10_000);
  });

  it('keeps only the newest --mqtt-outbox-limit events while the broker is away, counts the dropped, and the retained state still ends right', async () => {
    b = broker({ port: 22560 });
    await b.start();
    e = endpoints(22690, 'dhcpmgr-mqtt-');
    const args = ['--mqtt-url', b.url, '--gateway-id', 'gw-full', '--mqtt-outbox-limit', '50'];
    const d = await startDaemon(e, args);
    await waitFor('connected', async () => (await mqttStatus(e!.port)).connected === true, 10_000);
    await b.stop();
    await waitFor('disconnected', async () => (await mqttStatus(e!.port)).connected === false || undefined, 10_000);
    for (let n = 0; n < 120; n++) {
      expect((await acked(e, v4('wan0', 'renew', { leaseTime: 100_000 + n, renewalTime: 10, rebindingTime: 20 }))).status).toBe('applied');
    }
    expect(await mqttStatus(e.port)).toMatchObject({ outboxDepth: 50, dropped: 70 });
    expect((await httpJson(e.port, '/metrics')).body).toMatch(/^dhcpmgr_mqtt_dropped_total 70$/m);

    await b.start();
    const sub = await subscribe(b.url, 'dhcpmgr/gw-full/#');
    subs.push(sub);
    await waitFor('outbox empty', async () => (await mqttStatus(e!.port)).outboxDepth === 0 || undefined, 60_000);
    await waitFor('50 events', () => sub.msgs.filter((m) => m.topic.includes('/events/')).length >= 50 || undefined, 10_000);
    const got = sub.msgs.filter((m) => m.topic.includes('/events/')).map((m) => JSON.parse(m.text).lease.leaseTime - 100_000);
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => 70 + i));
    const late = await subscribe(b.url, 'dhcpmgr/gw-full/state/#');
    subs.push(late);
    await waitFor('state', () => late.msgs.length >= 1 || undefined);
    expect(late.msgs[0]!.retain).toBe(true);
    expect(JSON.parse(late.msgs[0]!.text).lease.leaseTime).toBe(100_119);
    await stop(d);
  });

  it('says clearly in status and logs when the password is wrong or no broker is there, and keeps applying leases', async () => {
    b = broker({ port: 22530, users: { gateway: 'right-secret' } });
    await b.start();
    e = endpoints(22640, 'dhcpmgr-mqtt-');
    const creds = join(e.dir, 'mqtt-credentials');
    writeFileSync(creds, 'gateway\nwrong-secret\n', { mode: 0o600 });
    chmodSync(creds, 0o600);
    const d = await startDaemon(e, ['--mqtt-url', b.url, '--gateway-id', 'gw-three', '--mqtt-credentials-file', creds]);
    const st = await waitFor('refusal', async () => {
      const s = await mqttStatus(e!.port);
      return s.lastError ? s : undefined;
    }, 10_000);
    expect(st.connected).toBe(false);
    // mosquitto 2 refuses a wrong password with reason code 135 (Not authorized).
    expect(st.lastError.message).toBe("broker refused this client: not authorized (Connection refused: Not authorized); check the user name and password in --mqtt-credentials-file and the broker's ACL");
    expect(cli(['status', '--url', `http://127.0.0.1:${e.port}`]).stdout)
      .toMatch(/^mqtt\s+NOT connected to mqtt:\/\/127\.0\.0\.1:22530, outbox 0\/100000, dropped 0; broker refused this client: not authorized/m);
    expect((await httpJson(e.port, '/api/v1/status')).body.lastErrors).toEqual(expect.arrayContaining([expect.objectContaining({ where: 'mqtt', message: st.lastError.message })]));
    expect(d.logs.some((l) => l.component === 'mqtt' && l.msg === 'mqtt connection failed; retrying with back-off, events stay in the outbox' && String(l.reason).includes('not authorized'))).toBe(true);
    expect((await acked(e, v4('wan0', 'bound'))).status).toBe('applied');
    expect(await tr181(e.port, 'Device.DHCPv4.Client.1.IPAddress')).toEqual({ 'Device.DHCPv4.Client.1.IPAddress': '192.0.2.10' });
    expect((await mqttStatus(e.port)).outboxDepth).toBe(1);
    await stop(d);

    // The right password: the held event goes out.
    writeFileSync(creds, 'gateway\nright-secret\n', { mode: 0o600 });
    const d2 = await startDaemon(e, ['--mqtt-url', b.url, '--gateway-id', 'gw-three', '--mqtt-credentials-file', creds]);
    await waitFor('sent', async () => (await mqttStatus(e!.port)).outboxDepth === 0 || undefined, 10_000);
    expect((await mqttStatus(e.port)).published).toBe(1);
    await stop(d2);

    // No broker at all on that port.
    const absent = 'mqtt://127.0.0.1:22531';
    const d3 = await startDaemon(e, ['--mqtt-url', absent, '--gateway-id', 'gw-three']);
    const st3 = await waitFor('absent', async () => {
      const s = await mqttStatus(e!.port);
      return s.lastError ? s : undefined;
    }, 10_000);
    expect(st3.lastError.message).toMatch(/^no broker listening at mqtt:\/\/127\.0\.0\.1:22531 \(connect ECONNREFUSED 127\.0\.0\.1:22531\)$/);
    expect(d3.logs.some((l) => l.component === 'mqtt' && String(l.reason).startsWith('no broker listening'))).toBe(true);
    expect((await acked(e, v4('wan1', 'bound'))).status).toBe('applied');
    expect((await mqttStatus(e.port)).outboxDepth).toBe(1);
  });

  it('connects over TLS with a client certificate, and says why when the broker\'s certificate is not trusted', async () => {
    e = endpoints(22680, 'dhcpmgr-mqtt-');
    const certs = makeCerts(e.dir);
    b = broker({ port: 22550, tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey, requireCertificate: true } });
    await b.start();
    expect(b.url).toBe('mqtts://127.0.0.1:22550');
    const sub = await subscribe(b.url, 'dhcpmgr/gw-tls/#', { tls: { ca: readFileSync(certs.ca), cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) } });
    subs.push(sub);
    const d = await startDaemon(e, ['--mqtt-url', b.url, '--gateway-id', 'gw-tls', '--mqtt-ca', certs.ca, '--mqtt-cert', certs.clientCert, '--mqtt-key', certs.clientKey]);
    await waitFor('connected', async () => (await mqttStatus(e!.port)).connected === true, 10_000);
    expect((await acked(e, v4('wan0', 'bound'))).status).toBe('applied');
    await waitFor('event over TLS', () => sub.msgs.some((m) => m.topic === 'dhcpmgr/gw-tls/events/Device.DHCPv4.Client.1') || undefined, 10_000);
    await stop(d);

    // A CA that did not sign the broker's certificate: refused, said in status, leases still apply.
    const d2 = await startDaemon(e, ['--mqtt-url', b.url, '--gateway-id', 'gw-tls', '--mqtt-ca', certs.otherCa, '--mqtt-cert', certs.clientCert, '--mqtt-key', certs.clientKey]);
    const st = await waitFor('refusal', async () => {
      const s = await mqttStatus(e!.port);
      return s.lastError ? s : undefined;
    }, 10_000);
    expect(st.connected).toBe(false);
    expect(st.lastError.message).toMatch(/^broker's TLS certificate not accepted \(.*certificate.*, [A-Z_]+\); check --mqtt-ca and the host name in --mqtt-url$/);
    expect((await acked(e, v4('wan1', 'bound'))).status).toBe('applied');
    expect(d2.logs.some((l) => l.component === 'mqtt' && /certificate/i.test(String(l.reason)))).toBe(true);
  });

  it('refuses to start with a credentials file that others can read', async () => {
    e = endpoints(22660, 'dhcpmgr-mqtt-');
    const creds = join(e.dir, 'mqtt-credentials');
    writeFileSync(creds, 'gateway\nsecret\n');
    chmodSync(creds, 0o644);
    await expect(startDaemon(e, ['--mqtt-url', 'mqtt://127.0.0.1:22661', '--gateway-id', 'gw', '--mqtt-credentials-file', creds]))
      .rejects.toThrow(/Invalid --mqtt-credentials-file .*has mode 0644; expected 0600 or 0400/);
  });
});
