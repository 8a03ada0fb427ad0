/**
 * dibbler-client for one DHCPv6 client. dibbler-client 1.0.1 reads its configuration only from
 * /etc/dibbler/client.conf and writes /etc/resolv.conf, /etc/ntp.conf and /etc/localtime itself,
 * so each DHCPv6 client runs one dibbler-client in its own private mount namespace, held open by
 * a small holder process (`sleep infinity`) for as long as the client is enabled:
 *
 *   unshare --mount --propagation private sleep infinity  the holder: a new mount namespace NS
 *                                                          (its pid in clients/<key>.ns.pid)
 *   nsenter --mount=/proc/HOLDER/ns/mnt mount -t overlay ... /etc   /etc writes land in the client's dir
 *   nsenter ... cp client.conf /etc/dibbler/               the generated configuration
 *   nsenter ... mount --bind DIR /var/lib/dibbler (and /var/log/dibbler)
 *   nsenter --mount=/proc/HOLDER/ns/mnt dibbler-client run nsenter execs: the pid is dibbler's
 *
 * A holder process rather than a namespace pinned on a file (`unshare --mount=FILE`): inside
 * `ip netns exec`, where a gateway's manager may well run, that bind of the namespace fails with
 * EINVAL, every time once the manager has been restarted.
 * Every step is an argument array (never a shell); the paths are the manager's own state dir.
 * One process per client (not one for all) so that Enable, Renew and a crash touch only that
 * client, and each has its own DUID/state dir.
 */
import { spawn, spawnSync } from 'child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'fs';
import { basename, dirname, join } from 'path';
import { Launch, procCmdline, procStartTime } from './supervisor';
import type { V6Client } from './table';

/** DHCPv6 option codes dibbler-client requests by name; others go as `option N hex`. */
const NAMED_OPTIONS: Record<number, string> = {
  17: 'vendor-spec', 21: 'sip-domain', 22: 'sip-server', 23: 'dns-server', 24: 'domain', 27: 'nis-server',
  28: 'nis+-server', 29: 'nis-domain', 30: 'nis+-domain', 31: 'ntp-server', 41: 'time-zone', 64: 'aftr',
};

export interface DibblerPaths {
  dir: string;
  /** The holder's pid file ({pid, startTime}, beside the client's own pid file). */
  holderFile: string;
  upper: string;
  work: string;
  varDir: string;
  logDir: string;
  conf: string;
}

export function dibblerPaths(clientDir: string): DibblerPaths {
  return {
    dir: clientDir, holderFile: join(dirname(clientDir), `${basename(clientDir)}.ns.pid`), upper: join(clientDir, 'etc'), work: join(clientDir, 'etc-work'),
    varDir: join(clientDir, 'var'), logDir: join(clientDir, 'log'), conf: join(clientDir, 'client.conf'),
  };
}

/** The generated /etc/dibbler/client.conf. Values come from the checked client table only. */
export function dibblerConf(c: V6Client, plugin: string): string {
  const times = [c.suggestedT1 >= 0 ? `    t1 ${c.suggestedT1}` : '', c.suggestedT2 >= 0 ? `    t2 ${c.suggestedT2}` : ''].filter(Boolean);
  const block = (kind: string, extra: string[] = []): string => {
    const body = [...times, ...extra];
    return body.length ? `  ${kind} {\n${body.join('\n')}\n  }` : `  ${kind}`;
  };
  const lines = ['log-level 7', 'log-mode short', `script "${plugin}"`, `iface "${c.interface}" {`];
  if (c.requestAddresses) lines.push(block('ia'));
  if (c.requestPrefixes) lines.push(block('pd', c.prefixLengthHint > 0 ? [`    prefix ::/${c.prefixLengthHint}`] : []));
  if (c.rapidCommit) lines.push('  rapid-commit yes');
  const codes = c.requestedOptions ? c.requestedOptions.split(',').map(Number) : [23, 24];
  for (const code of codes) lines.push(NAMED_OPTIONS[code] ? `  option ${NAMED_OPTIONS[code]}` : `  option ${code} hex`);
  lines.push('}', '');
  return lines.join('\n');
}

function run(argv: string[]): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.error?.message ?? r.stderr.trim() ?? `exit ${r.status}`}`);
}

/** The overlay on /etc of this process is ours: identifies an adopted dibbler-client. */
export function ownsOverlay(pid: number, upper: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/mountinfo`, 'utf8').includes(`upperdir=${upper},`);
  } catch {
    return false;
  }
}

/** The client's holder, when it still runs and its namespace holds this client's /etc overlay. */
export function liveHolder(p: DibblerPaths): number | undefined {
  try {
    const h = JSON.parse(readFileSync(p.holderFile, 'utf8')) as { pid: number; startTime: string };
    return Number.isInteger(h.pid) && procStartTime(h.pid) === h.startTime && ownsOverlay(h.pid, p.upper) ? h.pid : undefined;
  } catch {
    return undefined;
  }
}

/** Stop the client's holder (the namespace goes once dibbler-client has exited too). */
export function stopHolder(p: DibblerPaths): void {
  const pid = liveHolder(p);
  if (pid !== undefined) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  rmSync(p.holderFile, { force: true });
}

/** A new holder; returns once it runs `sleep infinity` in its own mount namespace. */
function startHolder(): number {
  const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sleep', 'infinity'], { detached: true, stdio: 'ignore' });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error('unshare --mount: could not be started');
  const ours = readlinkNs('self');
  const wait = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 200; i++) {
    if (procCmdline(pid)?.join(' ') === 'sleep infinity' && readlinkNs(String(pid)) !== ours) return pid;
    Atomics.wait(wait, 0, 0, 10);
  }
  try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  throw new Error('unshare --mount --propagation private sleep infinity: no new mount namespace within 2 s');
}

function readlinkNs(pid: string): string {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return '';
  }
}

/**
 * Create (once) the client's mount namespace and write its configuration into it. Overlay
 * options are comma-separated, so a state dir with a comma or colon cannot be used.
 */
export function prepareNamespace(p: DibblerPaths, conf: string): void {
  if (/[,:\s]/.test(p.dir)) throw new Error(`state dir path ${JSON.stringify(p.dir)} has a comma, colon or space; overlayfs cannot use it`);
  for (const d of [p.upper, p.work, p.varDir, p.logDir]) mkdirSync(d, { recursive: true, mode: 0o750 });
  writeFileSync(p.conf, conf, { mode: 0o644 });
  let pid = liveHolder(p);
  if (pid === undefined) {
    pid = startHolder();
    const ns = ['nsenter', `--mount=/proc/${pid}/ns/mnt`];
    try {
      run([...ns, 'mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=/etc,upperdir=${p.upper},workdir=${p.work}`, '/etc']);
      // Plain files instead of the host's symlinks: a write through resolvconf's resolv.conf or
      // localtime -> zoneinfo would land on the host.
      run([...ns, 'rm', '-f', '/etc/resolv.conf', '/etc/localtime', '/etc/ntp.conf']);
      run([...ns, 'touch', '/etc/resolv.conf', '/etc/ntp.conf']);
      if (existsSync('/usr/share/zoneinfo/Etc/UTC')) run([...ns, 'cp', '/usr/share/zoneinfo/Etc/UTC', '/etc/localtime']);
      run([...ns, 'mkdir', '-p', '/etc/dibbler', '/var/lib/dibbler', '/var/log/dibbler']);
      run([...ns, 'mount', '--bind', p.varDir, '/var/lib/dibbler']);
      run([...ns, 'mount', '--bind', p.logDir, '/var/log/dibbler']);
    } catch (err) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      throw err;
    }
    writeFileSync(p.holderFile, JSON.stringify({ pid, startTime: procStartTime(pid) }), { mode: 0o640 });
  }
  run(['nsenter', `--mount=/proc/${pid}/ns/mnt`, 'cp', p.conf, '/etc/dibbler/client.conf']);
}

export function dibblerLaunch(p: DibblerPaths, conf: string, env: Record<string, string>): Launch {
  return {
    fingerprint: conf,
    // prepareNamespace() runs just before a spawn. Without a holder (a check of a running client)
    // the argv is not used; were it ever spawned, /proc/0 makes nsenter fail instead of running
    // dibbler-client in the manager's own mount namespace.
    argv: ['nsenter', `--mount=/proc/${liveHolder(p) ?? 0}/ns/mnt`, 'dibbler-client', 'run'],
    env,
    expect: ['dibbler-client', 'run'],
    verify: (pid) => ownsOverlay(pid, p.upper),
  };
}
