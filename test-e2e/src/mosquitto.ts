/**
 * A real mosquitto broker for the MQTT export tests: its own config, persistence and password
 * file in a temp dir, listening on one loopback port, started and stopped by PID. A missing
 * mosquitto fails loudly (test-e2e/install-deps.sh installs it).
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { connect } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';

export const MOSQUITTO = '/usr/sbin/mosquitto';

export interface BrokerOptions {
  port: number;
  users?: Record<string, string>;
  /** A TLS listener; `requireCertificate`: clients must present a certificate signed by `ca`. */
  tls?: { ca: string; cert: string; key: string; requireCertificate?: boolean };
}

export interface Broker {
  port: number;
  url: string;
  dir: string;
  /** Start (again, with the same config and persistence); resolves when the port accepts connections. */
  start(): Promise<void>;
  /** SIGTERM by PID (mosquitto saves its persistence file), resolves on exit. */
  stop(): Promise<void>;
  running(): boolean;
  log(): string;
  remove(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

export function broker(opts: BrokerOptions): Broker {
  if (!existsSync(MOSQUITTO)) throw new Error(`${MOSQUITTO} is missing: run test-e2e/install-deps.sh (Debian package mosquitto)`);
  const dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-mosq-'));
  const lines = [
    `listener ${opts.port} 127.0.0.1`,
    // Started as root by the suite: stay root so that the temp dir stays writable.
    'user root',
    'persistence true',
    `persistence_location ${dir}/`,
    'max_queued_messages 100000',
    `log_dest file ${dir}/mosquitto.log`,
    'log_type all',
  ];
  if (opts.tls) {
    lines.push(`cafile ${opts.tls.ca}`, `certfile ${opts.tls.cert}`, `keyfile ${opts.tls.key}`);
    if (opts.tls.requireCertificate) lines.push('require_certificate true');
  }
  if (opts.users) {
    const pw = join(dir, 'passwd');
    writeFileSync(pw, '', { mode: 0o600 });
    for (const [user, pass] of Object.entries(opts.users)) execFileSync('mosquitto_passwd', ['-b', pw, user, pass]);
    lines.push('allow_anonymous false', `password_file ${pw}`);
  } else {
    lines.push('allow_anonymous true');
  }
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, lines.join('\n') + '\n');
  let proc: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stderr = '';
  const b: Broker = {
    port: opts.port,
    url: `${opts.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${opts.port}`,
    dir,
    async start() {
      if (await portOpen(opts.port)) throw new Error(`port ${opts.port} is already taken: cannot start the test broker there`);
      const p = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
      proc = p;
      p.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
      exited = new Promise((resolve) => p.on('exit', () => resolve()));
      const deadline = Date.now() + 5000;
      while (!(await portOpen(opts.port))) {
        if (p.exitCode !== null || Date.now() > deadline) throw new Error(`mosquitto did not start on ${opts.port}: ${stderr} ${b.log()}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop() {
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await exited;
      }
      proc = undefined;
    },
    running: () => proc !== undefined && proc.exitCode === null && proc.signalCode === null,
    log: () => {
      try { return execFileSync('tail', ['-n', '30', join(dir, 'mosquitto.log')], { encoding: 'utf8' }); } catch { return ''; }
    },
    async remove() {
      await b.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return b;
}
