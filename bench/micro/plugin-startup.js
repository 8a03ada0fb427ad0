#!/usr/bin/env node
'use strict';
/**
 * Plugin start-up, interleaved: median wall (spawn to exit) of the udhcpc and dibbler plugin
 * bundles delivering an acked event to a running manager, beside `node bench/fixtures/empty.js`
 * in the same run (the machine is noisy: only same-run ratios mean anything).
 *
 *   node bench/micro/plugin-startup.js [--runs 41] [--legacy] [--base] [--rss 0] [--tcp] [NAME=BUNDLE ...]
 *
 * NAME=BUNDLE adds another bundle file (the udhcpc fixture when its path names udhcpc, else
 * dibbler's), e.g. a build kept in packages/udhcpc-plugin/dist/try/.
 *
 * --base   also runs copies of earlier bundles kept in packages/<plugin>/dist/base/ (copy the
 *          dist/dhcpmgr-*-plugin.* files there before rebuilding), so a change is compared with
 *          what it replaces in the same run.
 * --legacy also runs the udhcpc bundle in legacy (PUSH) mode.
 * --rss N  N interleaved peak-RSS rounds (GNU time %M) after the wall rounds.
 * --tcp    the manager listens on loopback TCP instead of ipc:// (the bench suite uses ipc).
 * --cpu    runs each process under GNU time and also reports its CPU time (user + sys), which
 *          load on the machine disturbs less than wall time.
 * Prints the manager's ingest results by status, so lost deliveries show.
 */
const fs = require('fs');
const path = require('path');
const { ROOT, timeRun, peakRssRun, median, percentile, tmpDir, freePort, readCapture, BOUND_ENV_FILE } = require('../lib/util');
const { startManager, sumMetric } = require('../lib/manager');

const argv = process.argv.slice(2);
const opt = (f, d) => { const i = argv.indexOf(f); return i >= 0 ? argv[i + 1] : d; };
const runs = Number(opt('--runs', '41'));
const rssRounds = Number(opt('--rss', '0'));
const cpu = argv.includes('--cpu');


const pkg = (p) => path.join(ROOT, 'packages', p);
const EMPTY = path.join(ROOT, 'bench', 'fixtures', 'empty.js');

async function statuses(mgr) {
  const s = await mgr.metrics();
  const out = {};
  for (const x of s) if (x.name === 'dhcpmgr_ingest_results_total' && x.value) out[x.labels.status] = (out[x.labels.status] ?? 0) + x.value;
  out.overloadDropped = sumMetric(s, 'dhcpmgr_overload_dropped_total');
  return out;
}

async function main() {
  let extra = [];
  const dir = tmpDir('plugin-startup');
  if (argv.includes('--tcp')) {
    const [a, b] = [await freePort(), await freePort()];
    extra = ['--listen', `tcp://127.0.0.1:${a}`, '--ack-listen', `tcp://127.0.0.1:${b}`];
  }
  const mgr = await startManager(extra, { tag: 'plugin-startup' });
  const listen = extra.length ? extra[1] : mgr.endpoints.listen;
  const ack = extra.length ? extra[3] : mgr.endpoints.ack;
  try {
    const common = { PATH: process.env.PATH, DHCPMGR_CONFIG: path.join(dir, 'none.json'), DHCPMGR_SPOOL_DIR: path.join(dir, 'spool'),
      DHCPMGR_ACK_ADDR: ack, DHCPMGR_ADDR: listen, DHCPMGR_TIMEOUT_MS: '2000' };
    fs.writeFileSync(common.DHCPMGR_CONFIG, '{}');
    const u = readCapture(BOUND_ENV_FILE);
    const d = readCapture(path.join(pkg('dibbler-plugin'), 'src', '__fixtures__', 'add.env'));
    const variants = { empty: { cmd: process.execPath, args: [EMPTY], env: common } };
    const add = (name, p, bundle, f, env = {}) => {
      const file = path.join(pkg(p), 'dist', bundle);
      if (fs.existsSync(file)) variants[name] = { cmd: process.execPath, args: [file, f.event], env: { ...f.env, ...common, ...env } };
    };
    add('udhcpc', 'udhcpc-plugin', 'dhcpmgr-udhcpc-plugin.js', u);
    add('dibbler', 'dibbler-plugin', 'dhcpmgr-dibbler-plugin.js', d);
    if (argv.includes('--base')) {
      add('udhcpc-base', 'udhcpc-plugin', 'base/dhcpmgr-udhcpc-plugin.js', u);
      add('dibbler-base', 'dibbler-plugin', 'base/dhcpmgr-dibbler-plugin.js', d);
    }
    for (const a of argv.filter((x) => /^[\w-]+=/.test(x))) {
      const [name, file] = [a.slice(0, a.indexOf('=')), path.resolve(a.slice(a.indexOf('=') + 1))];
      const f = file.includes('udhcpc') ? u : d;
      variants[name] = { cmd: process.execPath, args: [file, f.event], env: { ...f.env, ...common } };
    }
    if (argv.includes('--legacy')) add('udhcpc-legacy', 'udhcpc-plugin', 'dhcpmgr-udhcpc-plugin.js', u, { DHCPMGR_MODE: 'legacy' });
    const before = await statuses(mgr);
    const wall = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
    const rss = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
    const cpus = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
    let delivered = 0;
    for (let i = 0; i <= runs; i++) {
      const order = Object.keys(variants);
      if (i % 2) order.reverse(); // neither side always runs right after the other
      for (const k of order) {
        const v = variants[k];
        const cpuFile = path.join(dir, 'cpu');
        const r = cpu
          ? await timeRun('/usr/bin/time', ['-f', '%U %S', '-o', cpuFile, v.cmd, ...v.args], { env: v.env, stderr: true })
          : await timeRun(v.cmd, v.args, { env: v.env, stderr: true });
        if (cpu && i > 0) cpus[k].push(fs.readFileSync(cpuFile, 'utf8').trim().split('\n').pop().split(' ').reduce((a, b) => a + Number(b) * 1000, 0));
        if (r.code !== 0) throw new Error(`${k} exited ${r.code}: ${r.stderr.trim().slice(-400)}`);
        if (r.stderr.trim()) process.stderr.write(`${k}: ${r.stderr.trim().slice(-300)}\n`);
        if (k !== 'empty') delivered++;
        if (i > 0) wall[k].push(r.ms); // round 0 warms the page cache
      }
    }
    for (let i = 0; i < rssRounds; i++) {
      for (const [k, v] of Object.entries(variants)) {
        rss[k].push((await peakRssRun(v.cmd, v.args, { env: v.env, tmp: dir })).kib);
        if (k !== 'empty') delivered++;
      }
    }
    await new Promise((r) => setTimeout(r, 500));
    const after = await statuses(mgr);
    const base = median(wall.empty);
    const baseRss = rssRounds ? median(rss.empty) : NaN;
    console.log(`${runs} interleaved runs, load ${require('os').loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    for (const k of Object.keys(variants)) {
      const m = median(wall[k]);
      const rs = rssRounds ? `  rss ${(median(rss[k]) / 1024).toFixed(1)} MiB ${(median(rss[k]) / baseRss).toFixed(3)}x` : '';
      const cs = cpu ? `  cpu ${median(cpus[k]).toFixed(0)} ms ${(median(cpus[k]) / median(cpus.empty)).toFixed(3)}x` : '';
      console.log(`${k.padEnd(14)} median ${m.toFixed(2).padStart(7)} ms  p25 ${percentile(wall[k], 25).toFixed(2).padStart(7)}  ratio ${(m / base).toFixed(3)}x${rs}${cs}`);
    }
    const diff = {};
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) diff[k] = (after[k] ?? 0) - (before[k] ?? 0);
    console.log(`manager: ${delivered} plugin deliveries; ingest results ${JSON.stringify(diff)}; spooled ${fs.existsSync(common.DHCPMGR_SPOOL_DIR) ? fs.readdirSync(common.DHCPMGR_SPOOL_DIR).length : 0}`);
  } finally {
    await mgr.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
