#!/usr/bin/env node
'use strict';
/**
 * Benchmarks of the DHCP manager and its plugins (issue 6). Every figure sits beside a baseline
 * measured in the same run, because these machines are noisy; load comes from separate processes.
 *
 *   node bench/run.js            full run: prints the table, writes bench/results/<date>.json and
 *                                markdown rows for docs/performance.md
 *   node bench/run.js --quick    smoke run for CI: every benchmark briefly, times NOT judged;
 *                                exit 0 when every benchmark ran, 1 when one could not run
 *   --only NAME[,NAME]           run only these suites (plugin, throughput, acked, latency,
 *                                scaling, priority, memory, reads, mqtt)
 *   BENCH_MANAGER_BIN=PATH       run another build's manager (dist/bin.js), e.g. the main branch's
 *                                built in a copy, for an A/B in the same run
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { killAll } = require('./lib/util');
const { table, markdown } = require('./lib/report');

const SUITES = ['plugin', 'throughput', 'acked', 'latency', 'scaling', 'priority', 'memory', 'reads', 'mqtt'];

function parseArgs(argv) {
  const opts = { quick: false, only: SUITES };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--only') opts.only = String(argv[++i] ?? '').split(',').filter(Boolean);
    else if (a === '--help' || a === '-h') { opts.help = true; }
    else throw new Error(`Unknown argument ${JSON.stringify(a)}: expected --quick, --only NAME[,NAME] or --help`);
  }
  for (const n of opts.only) {
    if (!SUITES.includes(n)) throw new Error(`Unknown suite ${JSON.stringify(n)}: expected one of ${SUITES.join(', ')}`);
  }
  return opts;
}

function machine() {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  let commit = 'unknown';
  try { commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: __dirname, encoding: 'utf8' }).trim(); } catch { /* not a checkout */ }
  return {
    nproc: os.cpus().length, cpu, memTotalMiB: Math.round(os.totalmem() / 1048576),
    node: process.version, kernel: os.release(), commit,
  };
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(err.message);
    return 2;
  }
  if (opts.help) {
    console.log(fs.readFileSync(__filename, 'utf8').split('*/')[0].replace(/^[\s\S]*?\/\*\*\n/, '').replace(/^ \* ?/gm, ''));
    return 0;
  }
  const started = new Date();
  const ctx = { quick: opts.quick, shared: {}, log: (...a) => console.error('  ', ...a) };
  const rows = [];
  const failures = [];
  for (const name of opts.only) {
    const suite = require(`./suites/${name}`);
    console.error(`== ${name}: ${suite.title}`);
    const t0 = Date.now();
    try {
      const got = await suite.run(ctx);
      for (const r of got) rows.push({ suite: name, ...r });
      console.error(`   done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (err) {
      failures.push({ suite: name, error: err.message });
      rows.push({ suite: name, group: suite.title, what: '(could not run)', result: err.message });
      console.error(`   FAILED: ${err.stack ?? err.message}`);
    }
    killAll();
  }

  for (const r of rows) {
    if (opts.quick || r.target === undefined || r.pass === undefined) r.verdict = opts.quick ? 'not judged (quick)' : r.verdict ?? '';
    else r.verdict = r.pass ? 'met' : 'NOT met';
  }
  console.log(table(rows));
  const info = machine();
  if (!opts.quick) {
    const dir = path.join(__dirname, 'results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${started.toISOString().replace(/[:]/g, '-').replace(/\..*/, '')}.json`);
    const manager = process.env.BENCH_MANAGER_BIN ? path.resolve(process.env.BENCH_MANAGER_BIN) : undefined;
    fs.writeFileSync(file, JSON.stringify({ date: started.toISOString(), machine: info, command: 'npm run bench', manager, rows, failures }, null, 2));
    console.log(`\nResults: ${path.relative(process.cwd(), file)}\n`);
    if (manager) console.log(`Manager under test: ${manager} (BENCH_MANAGER_BIN)\n`);
    console.log(`Machine: ${info.nproc} CPUs (${info.cpu}), ${info.memTotalMiB} MiB, Node ${info.node}, Linux ${info.kernel}, commit ${info.commit}\n`);
    console.log(markdown(rows));
  }
  if (failures.length) {
    console.log(`\n${failures.length} benchmark(s) could not run: ${failures.map((f) => f.suite).join(', ')}`);
    return 1;
  }
  console.log(`\nall ${opts.only.length} benchmark suites ran${opts.quick ? ' (quick: times not judged)' : ''}`);
  return 0;
}

main().then((code) => { killAll(); process.exitCode = code; }, (err) => { console.error(err); killAll(); process.exitCode = 1; });
