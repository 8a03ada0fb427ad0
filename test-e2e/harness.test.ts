/**
 * The harness itself: what the suite needs is installed (a missing tool fails here, loudly), and a
 * lab is created with unique short names, addresses only inside its namespaces, and cleaned up
 * completely: the processes it started are gone and its namespaces deleted.
 */
import * as fs from 'fs';
import { asserted } from './src/check';
import { createLab, netnsExists, NET, requireRoot } from './src/lab';
import { run, start } from './src/proc';

jest.setTimeout(20000);

it('has every system tool the e2e suite runs', () => {
  requireRoot();
  const tools = ['busybox', 'dnsmasq', 'dibbler-client', 'dibbler-server', 'ip', 'gcc', 'nanocat', 'unshare', 'mount'];
  const missing = tools.filter((t) => run(['sh', '-c', 'command -v "$1"', 'sh', t], { allowFail: true }).status !== 0);
  expect(missing).toEqual([]);
  expect(fs.existsSync('/usr/include/nanomsg/nn.h')).toBe(true);
  expect(run(['busybox', 'udhcpc', '--help'], { allowFail: true }).stderr + run(['busybox', 'udhcpc', '--help'], { allowFail: true }).stdout).toMatch(/udhcpc/);
  asserted(`tools present: ${tools.join(', ')}, nanomsg headers (run test-e2e/install-deps.sh if not)`);
});

it('builds a two-namespace lab and removes every trace of it at teardown', async () => {
  const lab = await createLab('hrn');
  expect(lab.srv.length).toBeLessThanOrEqual(15);
  expect(lab.cli.length).toBeLessThanOrEqual(15);
  expect(netnsExists(lab.srv) && netnsExists(lab.cli)).toBe(true);
  const cliAddrs = run(['ip', '-n', lab.cli, '-6', 'addr', 'show', 'dev', NET.clientIf]).stdout;
  expect(cliAddrs).toMatch(/inet6 fe80::/);
  expect(cliAddrs).not.toMatch(/tentative/);
  expect(run(['ip', '-n', lab.srv, 'addr', 'show', 'dev', NET.serverIf]).stdout).toContain(`${NET.v4Server}/24`);
  expect(run(['ip', 'addr']).stdout).not.toContain(NET.v4Server); // nothing on the host
  const sleeper = start('sleeper', lab.inNs(lab.cli, ['sleep', '300']));
  await lab.teardown();
  expect(() => process.kill(sleeper.pid, 0)).toThrow();
  expect(netnsExists(lab.srv) || netnsExists(lab.cli)).toBe(false);
  expect(fs.existsSync(lab.dir)).toBe(false);
  asserted(`lab ${lab.srv}/${lab.cli} built (non-tentative link-local, 192.168.77.1 only inside) and fully removed (PID ${sleeper.pid} gone, namespaces deleted, temp dir removed)`);
});
