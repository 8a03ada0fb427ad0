#!/usr/bin/env node
'use strict';
/**
 * The release package beside the clone, interleaved in one run (the machine is noisy: only
 * same-run ratios mean anything):
 *
 *   node bench/micro/package-start.js [--runs 21] [--package]
 *
 * --package runs `npm run package` first; without it the .deb already in dist-release/ is used.
 * The .deb is unpacked (dpkg-deb -x) into a temp dir outside the clone. For the manager from the
 * package (usr/bin/dhcp-manager) and from the clone (node packages/dhcp-manager/dist/bin.js),
 * and `node bench/fixtures/empty.js` as the baseline:
 *
 *   --version    wall from spawn to exit (the CLI's start)
 *   start        wall from spawn to the `dhcp-manager started` log line (fresh state dir each
 *                time: store created, sockets and HTTP bound), RSS at that moment and the number
 *                of JavaScript modules node had loaded (require.cache, via a preload)
 *
 * and the sizes: .deb, tarball, installed bytes and files. Loopback TCP ports 23520-23523.
 */
const fs = require('fs');
const path = require('path');
const { spawn, spawnSync, execFileSync } = require('child_process');
const { ROOT, timeRun, median, tmpDir, rssKiB, track, waitExit } = require('../lib/util');

const argv = process.argv.slice(2);
const runs = Number(argv.includes('--runs') ? argv[argv.indexOf('--runs') + 1] : '21');
const PORTS = [23520, 23521, 23522, 23523];

function sizes(dir) {
  let bytes = 0;
  let files = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { const s = sizes(p); bytes += s.bytes; files += s.files; } else if (e.isFile()) { bytes += fs.statSync(p).size; files++; }
  }
  return { bytes, files };
}

/** Spawn `start`, resolve at the `started` line with the wall time, RSS and modules loaded. */
async function startOnce(cmd, args, preload, tmp) {
  const state = fs.mkdtempSync(path.join(tmp, 'state-'));
  const countFile = path.join(state, 'modules');
  const t0 = process.hrtime.bigint();
  const child = track(spawn(cmd, [...args, 'start', '--state-dir', state, '--spool-dir', path.join(state, 'spool'),
    '--listen', `tcp://127.0.0.1:${PORTS[0]}`, '--ack-listen', `tcp://127.0.0.1:${PORTS[1]}`,
    '--events', `tcp://127.0.0.1:${PORTS[2]}`, '--http', `127.0.0.1:${PORTS[3]}`, '--apply', 'none'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, NODE_OPTIONS: `--require ${preload}`, BENCH_MODULES_FILE: countFile },
  }));
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const ms = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('"msg":"dhcp-manager started"')) resolve(Number(process.hrtime.bigint() - t0) / 1e6);
    });
    child.once('exit', (code) => reject(new Error(`manager exited ${code} before starting: ${err}${out.slice(-1000)}`)));
  });
  const rss = rssKiB(child.pid);
  // The signal handlers are installed just after the `started` line: give them a moment.
  await new Promise((resolve) => setTimeout(resolve, 300));
  process.kill(child.pid, 'SIGTERM');
  const r = await waitExit(child, 10000);
  if (r.code !== 0) throw new Error(`manager stopped with ${r.code ?? r.signal}: ${err}`);
  const modules = Number(fs.readFileSync(countFile, 'utf8'));
  fs.rmSync(state, { recursive: true, force: true });
  return { ms, rss, modules };
}

async function main() {
  if (argv.includes('--package')) execFileSync('npm', ['run', 'package'], { cwd: ROOT, stdio: 'inherit' });
  const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'packages', 'dhcp-manager', 'package.json'), 'utf8')).version;
  const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
  const deb = path.join(ROOT, 'dist-release', `dhcpmgr_${version}_${arch}.deb`);
  const tarball = path.join(ROOT, 'dist-release', `dhcpmgr-${version}-${arch}.tar.gz`);
  if (!fs.existsSync(deb)) throw new Error(`${deb} missing: run \`npm run package\` (or pass --package)`);
  const tmp = tmpDir('package');
  try {
    const root = path.join(tmp, 'root');
    const r = spawnSync('dpkg-deb', ['-x', deb, root], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('dpkg-deb -x failed');
    const preload = path.join(tmp, 'count-modules.js');
    // Written at exit: how many JS modules (files) node loaded through require().
    fs.writeFileSync(preload, `process.on('exit', () => { if (process.env.BENCH_MODULES_FILE) require('fs').writeFileSync(process.env.BENCH_MODULES_FILE, String(Object.keys(require.cache).length - 1)); });\n`);

    const variants = {
      package: [path.join(root, 'usr', 'bin', 'dhcp-manager'), []],
      clone: [process.execPath, [path.join(ROOT, 'packages', 'dhcp-manager', 'dist', 'bin.js')]],
    };
    const res = { empty: [], package: { version: [], start: [] }, clone: { version: [], start: [] } };
    for (let i = 0; i < runs; i++) {
      res.empty.push((await timeRun(process.execPath, [path.join(ROOT, 'bench', 'fixtures', 'empty.js')])).ms);
      for (const [name, [cmd, args]] of Object.entries(variants)) {
        const v = await timeRun(cmd, [...args, '--version'], { stderr: true });
        if (v.code !== 0) throw new Error(`${name} --version exited ${v.code}: ${v.stderr}`);
        res[name].version.push(v.ms);
        res[name].start.push(await startOnce(cmd, args, preload, tmp));
      }
    }
    const inst = sizes(root);
    const row = (name) => {
      const s = res[name].start;
      return `| ${name} | ${median(res[name].version).toFixed(0)} ms | ${median(s.map((x) => x.ms)).toFixed(0)} ms | ${(median(s.map((x) => x.rss)) / 1024).toFixed(1)} MiB | ${median(s.map((x) => x.modules))} |`;
    };
    process.stdout.write([
      `runs: ${runs} interleaved, node ${process.versions.node}, ${new Date().toISOString()}`,
      `sizes: .deb ${fs.statSync(deb).size} bytes, tar.gz ${fs.existsSync(tarball) ? fs.statSync(tarball).size : 'missing'} bytes, installed ${inst.bytes} bytes in ${inst.files} files`,
      `baseline node empty.js: ${median(res.empty).toFixed(0)} ms`,
      '',
      '| manager from | `--version` (median wall) | `start` to `started` (median) | RSS at `started` | JS modules loaded |',
      '|---|---|---|---|---|',
      row('package'),
      row('clone'),
      '',
    ].join('\n'));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`package-start: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
