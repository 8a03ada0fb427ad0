/**
 * dibbler-client for one DHCPv6 client. dibbler-client 1.0.1 reads its configuration only from
 * /etc/dibbler/client.conf and writes /etc/resolv.conf, /etc/ntp.conf and /etc/localtime itself,
 * so each DHCPv6 client runs one dibbler-client in its own private mount namespace:
 *
 *   unshare --mount=NSFILE --propagation private true    a persistent namespace, pinned by a bind
 *                                                        mount of it on NSFILE (state dir)
 *   nsenter --mount=NSFILE mount -t overlay ... /etc     /etc writes land in the client's dir
 *   nsenter --mount=NSFILE cp client.conf /etc/dibbler/  the generated configuration
 *   nsenter --mount=NSFILE mount --bind DIR /var/lib/dibbler (and /var/log/dibbler)
 *   nsenter --mount=NSFILE dibbler-client run            nsenter execs: the pid is dibbler's
 *
 * Every step is an argument array (never a shell); the paths are the manager's own state dir.
 * One process per client (not one for all) so that Enable, Renew and a crash touch only that
 * client, and each has its own DUID/state dir.
 */
import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import type { Launch } from './supervisor';
import type { V6Client } from './table';

/** DHCPv6 option codes dibbler-client requests by name; others go as `option N hex`. */
const NAMED_OPTIONS: Record<number, string> = {
  17: 'vendor-spec', 21: 'sip-domain', 22: 'sip-server', 23: 'dns-server', 24: 'domain', 27: 'nis-server',
  28: 'nis+-server', 29: 'nis-domain', 30: 'nis+-domain', 31: 'ntp-server', 41: 'time-zone', 64: 'aftr',
};

export interface DibblerPaths {
  dir: string;
  nsFile: string;
  upper: string;
  work: string;
  varDir: string;
  logDir: string;
  conf: string;
}

export function dibblerPaths(clientDir: string): DibblerPaths {
  return {
    dir: clientDir, nsFile: join(clientDir, 'mnt.ns'), upper: join(clientDir, 'etc'), work: join(clientDir, 'etc-work'),
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

/**
 * `unshare --mount=FILE`: a new mount namespace pinned by a bind mount on FILE. Inside
 * `ip netns exec` (which gives its command a slave mount tree, as on a gateway where the manager
 * runs in a network namespace) util-linux's bind of the new namespace fails now and then with
 * EINVAL (2 of 4 tries on this kind of machine); a failed try mounts nothing, so it is tried again.
 */
function pinNamespace(nsFile: string, tries = 8): void {
  for (let i = 1; ; i++) {
    try {
      run(['unshare', `--mount=${nsFile}`, '--propagation', 'private', 'true']);
      return;
    } catch (err) {
      if (i >= tries || !/Invalid argument/.test((err as Error).message)) throw err;
    }
  }
}

/** Is `file` a mount point (the pinned namespace) in our mount namespace? */
function mounted(file: string): boolean {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === file);
  } catch {
    return false;
  }
}

/** The overlay on /etc of this process is ours: identifies an adopted dibbler-client. */
export function ownsOverlay(pid: number, upper: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/mountinfo`, 'utf8').includes(`upperdir=${upper},`);
  } catch {
    return false;
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
  const ns = ['nsenter', `--mount=${p.nsFile}`];
  if (!mounted(p.nsFile)) {
    writeFileSync(p.nsFile, '');
    pinNamespace(p.nsFile);
    run([...ns, 'mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=/etc,upperdir=${p.upper},workdir=${p.work}`, '/etc']);
    // Plain files instead of the host's symlinks: a write through resolvconf's resolv.conf or
    // localtime -> zoneinfo would land on the host.
    run([...ns, 'rm', '-f', '/etc/resolv.conf', '/etc/localtime', '/etc/ntp.conf']);
    run([...ns, 'touch', '/etc/resolv.conf', '/etc/ntp.conf']);
    if (existsSync('/usr/share/zoneinfo/Etc/UTC')) run([...ns, 'cp', '/usr/share/zoneinfo/Etc/UTC', '/etc/localtime']);
    run([...ns, 'mkdir', '-p', '/etc/dibbler', '/var/lib/dibbler', '/var/log/dibbler']);
    run([...ns, 'mount', '--bind', p.varDir, '/var/lib/dibbler']);
    run([...ns, 'mount', '--bind', p.logDir, '/var/log/dibbler']);
  }
  run([...ns, 'cp', p.conf, '/etc/dibbler/client.conf']);
}

export function dibblerLaunch(p: DibblerPaths, conf: string, env: Record<string, string>): Launch {
  return {
    fingerprint: conf,
    argv: ['nsenter', `--mount=${p.nsFile}`, 'dibbler-client', 'run'],
    env,
    expect: ['dibbler-client', 'run'],
    verify: (pid) => ownsOverlay(pid, p.upper),
  };
}
