/**
 * Starting while a port is taken, provoked for real inside a namespace this test creates:
 * - a TIME_WAIT: a client socket bound to the manager's acked port (without SO_REUSEADDR, like
 *   any program's outgoing connection that the kernel gave that ephemeral port) connects to a
 *   listener and closes first, so its end stays in TIME_WAIT for 60 s and refuses the bind;
 * - a real listener holding the HTTP port, stopped while the manager retries;
 * - a holder that never goes away: the manager gives up after --bind-retry-s and exits.
 * The helpers are small python3 scripts (python's sockets set no SO_REUSEADDR unless asked; Node's
 * always do, and SO_REUSEADDR on the client would hide the very conflict we provoke).
 */
import * as path from 'path';
import { asserted } from './src/check';
import { loadCapture } from './src/fixtures';
import { CLEAN_PATH, createLab, Lab, NET } from './src/lab';
import { MANAGER_BIN, requireBuilt, toParams, UDHCPC_PLUGIN_BIN } from './src/manager';
import { run, start, stop, Tracked, waitFor } from './src/proc';

jest.setTimeout(150000);

const PORTS = { legacy: 22410, acked: 22411, events: 22412, http: 22413, peer: 22419 };
const ACK = `tcp://127.0.0.1:${PORTS.acked}`;
const URL = `http://127.0.0.1:${PORTS.http}`;

const TIME_WAIT_PY = `
import socket, sys, time
port, peer = int(sys.argv[1]), int(sys.argv[2])
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', peer)); srv.listen(1)
c = socket.socket(); c.bind(('127.0.0.1', port)); c.connect(('127.0.0.1', peer))
a, _ = srv.accept()
c.close()  # active close: 127.0.0.1:port goes to TIME_WAIT
time.sleep(0.2); a.close(); srv.close()
`;
const LISTEN_PY = `
import socket, sys, time
s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(1)
print('listening', flush=True)
time.sleep(600)
`;

let lab: Lab;

beforeAll(async () => {
  requireBuilt(MANAGER_BIN, UDHCPC_PLUGIN_BIN);
  run(['python3', '-c', 'import socket']); // fails loudly without python3
  lab = await createLab('prt');
}, 30000);

afterAll(async () => {
  await lab?.teardown();
});

function startDaemon(name: string, retryS: number): Tracked {
  const dir = path.join(lab.dir, name);
  return start(`dhcp-manager ${name}`, lab.inNs(lab.cli, [process.execPath, MANAGER_BIN, 'start',
    '--state-dir', path.join(dir, 'state'), '--spool-dir', path.join(dir, 'spool'), '--durability', 'normal',
    '--listen', `tcp://127.0.0.1:${PORTS.legacy}`, '--ack-listen', ACK, '--events', `tcp://127.0.0.1:${PORTS.events}`,
    '--http', `127.0.0.1:${PORTS.http}`, '--bind-retry-s', String(retryS),
    // The test runs the plugin itself; no client table.
    '--accept-unconfigured']), { logFile: path.join(lab.dir, `${name}.log`) });
}

function logs(t: Tracked): Array<Record<string, unknown>> {
  return t.out().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

function retries(t: Tracked, endpoint: string): Array<Record<string, unknown>> {
  return logs(t).filter((l) => l.msg === 'address in use: retrying the bind' && l.endpoint === endpoint);
}

async function started(t: Tracked, timeoutMs: number): Promise<void> {
  await waitFor('dhcp-manager started', () => {
    if (t.child.exitCode !== null) throw new Error(`manager exited ${t.child.exitCode}: ${t.out().slice(-2000)}`);
    return logs(t).some((l) => l.msg === 'dhcp-manager started') ? true : undefined;
  }, timeoutMs, 250);
}

/** A lease through the real plugin on the acked port, read back over the HTTP API. */
function leaseRoundTrip(address: string): void {
  const cap = loadCapture('udhcpc-bound.env');
  run(lab.inNs(lab.cli, [process.execPath, UDHCPC_PLUGIN_BIN, 'bound']), {
    env: { ...cap.env, PATH: CLEAN_PATH, interface: NET.clientIf, ip: address, DHCPMGR_ACK_ADDR: ACK, DHCPMGR_SPOOL_DIR: path.join(lab.dir, 'no-spool') },
  });
  const got = toParams(JSON.parse(run(lab.inNs(lab.cli, [process.execPath, MANAGER_BIN, 'get', 'Device.DHCPv4.Client.1.IPAddress', '--url', URL, '--json'])).stdout));
  expect(got['Device.DHCPv4.Client.1.IPAddress']).toBe(address);
}

it('retries the bind while a TIME_WAIT holds the acked port, and is up once it is gone', async () => {
  run(lab.inNs(lab.cli, ['python3', '-c', TIME_WAIT_PY, String(PORTS.acked), String(PORTS.peer)]));
  const ss = run(lab.inNs(lab.cli, ['ss', '-Htan', 'state', 'time-wait', `sport = :${PORTS.acked}`])).stdout;
  expect(ss).toContain(`127.0.0.1:${PORTS.acked}`);
  const t0 = Date.now();
  const mgr = startDaemon('timewait', 120);
  try {
    const first = await waitFor('a retry log line for the acked port', () => retries(mgr, ACK)[0], 10000);
    expect(String(first.reason)).toMatch(/address already in use/i);
    expect(first.hint).toMatch(/ip_local_reserved_ports/);
    await started(mgr, 90000);
    const waited = (Date.now() - t0) / 1000;
    const n = retries(mgr, ACK).length;
    expect(n).toBeGreaterThanOrEqual(2);
    expect(logs(mgr).some((l) => l.msg === 'bound after the address was in use' && l.endpoint === ACK)).toBe(true);
    leaseRoundTrip('192.168.77.131');
    asserted(`TIME_WAIT on ${PORTS.acked}: ${n} logged retries, up after ${waited.toFixed(1)} s, lease applied and read back`);
  } finally {
    await stop(mgr);
  }
});

it('retries the bind while another listener holds the HTTP port, and is up once it is released', async () => {
  const holder = start('port holder', lab.inNs(lab.cli, ['python3', '-u', '-c', LISTEN_PY, String(PORTS.http)]));
  await waitFor('the holder to listen', () => (holder.out().includes('listening') ? true : undefined), 5000);
  const mgr = startDaemon('listener', 120);
  try {
    await waitFor('two retry log lines for the HTTP port', () => (retries(mgr, `127.0.0.1:${PORTS.http}`).length >= 2 ? true : undefined), 10000);
    expect(logs(mgr).some((l) => l.msg === 'dhcp-manager started')).toBe(false);
    const released = Date.now();
    await stop(holder);
    await started(mgr, 15000);
    leaseRoundTrip('192.168.77.132');
    asserted(`listener on ${PORTS.http}: up ${((Date.now() - released) / 1000).toFixed(1)} s after the holder stopped`);
  } finally {
    await stop(holder);
    await stop(mgr);
  }
});

it('gives up after --bind-retry-s when the port stays taken, exiting with the reason', async () => {
  const holder = start('port holder', lab.inNs(lab.cli, ['python3', '-u', '-c', LISTEN_PY, String(PORTS.legacy)]));
  try {
    await waitFor('the holder to listen', () => (holder.out().includes('listening') ? true : undefined), 5000);
    const t0 = Date.now();
    const mgr = startDaemon('giveup', 2);
    const code = await mgr.exited;
    const s = (Date.now() - t0) / 1000;
    expect(code).not.toBe(0);
    expect(s).toBeGreaterThanOrEqual(2);
    expect(s).toBeLessThan(15);
    expect(retries(mgr, `tcp://127.0.0.1:${PORTS.legacy}`).length).toBeGreaterThanOrEqual(2);
    expect(mgr.out() + mgr.err()).toMatch(/cannot bind tcp:\/\/127\.0\.0\.1:22410: Address already in use/);
    asserted(`port held for good: exit ${code} after ${s.toFixed(1)} s`);
  } finally {
    await stop(holder);
  }
});
