#!/usr/bin/env node
'use strict';
/**
 * A/B of two builds of the manager in the same run: the suites of bench/run.js against another
 * build (`--base`, e.g. a clone of main built with `npm run build`) and against this clone's,
 * alternating base and new in every round (the order swaps each round), on the same machine and
 * with this clone's load generators. Prints each row per round for both builds, their medians and
 * the per-round ratio new/base; writes bench/results/<date>-ab.json.
 *
 *   node bench/ab.js --base DIR [--rounds 5] [--only scaling,latency]
 *
 * DIR is the root of the other clone (its packages/dhcp-manager/dist/bin.js is started).
 * The `reads` suite's CLI timing always runs this clone's CLI.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { killAll } = require('./lib/util');

const SUITES = ['throughput', 'acked', 'latency', 'scaling', 'memory', 'reads', 'mqtt'];

function parseArgs(argv) {
  const opts = { rounds: 5, only: ['scaling', 'latency'] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--base') opts.base = path.resolve(String(argv[++i] ?? ''));
    else if (a === '--rounds') opts.rounds = Number(argv[++i]);
    else if (a === '--only') opts.only = String(argv[++i] ?? '').split(',').filter(Boolean);
    else throw new Error(`Unknown argument ${JSON.stringify(a)}: expected --base DIR, --rounds N or --only NAME[,NAME]`);
  }
  if (!opts.base) throw new Error('--base DIR is required: the root of the other clone, built');
  if (!Number.isInteger(opts.rounds) || opts.rounds < 1) throw new Error(`--rounds ${opts.rounds}: expected a whole number >= 1`);
  for (const n of opts.only) {
    if (!SUITES.includes(n)) throw new Error(`Unknown suite ${JSON.stringify(n)}: expected one of ${SUITES.join(', ')}`);
  }
  const bin = path.join(opts.base, 'packages', 'dhcp-manager', 'dist', 'bin.js');
  if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: build the base clone first (npm run build)`);
  opts.sides = { base: bin, new: path.join(__dirname, '..', 'packages', 'dhcp-manager', 'dist', 'bin.js') };
  return opts;
}

function commitOf(dir) {
  try { return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim(); } catch { return 'unknown'; }
}

const median = (a) => { const s = a.filter((x) => typeof x === 'number').sort((x, y) => x - y); return s.length ? s[Math.floor((s.length - 1) / 2)] : undefined; };
const num = (v) => (v === undefined ? 'n/a' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3));

async function main() {
  let opts;
  try { opts = parseArgs(process.argv.slice(2)); } catch (err) { console.error(err.message); return 2; }
  const started = new Date();
  const ctx = { quick: false, shared: {}, log: (...a) => console.error('    ', ...a) };
  /** rows[key] = { what, suite, base: [value per round], new: [...], baseline: {base: [], new: []} } */
  const rows = new Map();
  for (let r = 0; r < opts.rounds; r++) {
    const order = r % 2 === 0 ? ['base', 'new'] : ['new', 'base'];
    for (const side of order) {
      process.env.BENCH_MANAGER_BIN = opts.sides[side];
      for (const name of opts.only) {
        console.error(`== round ${r + 1}/${opts.rounds} ${side}: ${name} (load ${os.loadavg()[0].toFixed(2)})`);
        const got = await require(`./suites/${name}`).run(ctx);
        killAll();
        for (const row of got) {
          const key = `${name}\0${row.what}`;
          if (!rows.has(key)) rows.set(key, { suite: name, what: row.what, target: row.target, base: [], new: [], baseBase: [], baseNew: [], ratio: { base: [], new: [] } });
          const e = rows.get(key);
          e[side][r] = row.value;
          e[side === 'base' ? 'baseBase' : 'baseNew'][r] = row.baseValue;
          e.ratio[side][r] = row.ratioValue;
        }
      }
    }
  }
  delete process.env.BENCH_MANAGER_BIN;
  const out = [];
  for (const e of rows.values()) {
    const perRound = e.base.map((b, i) => (typeof b === 'number' && typeof e.new[i] === 'number' && b !== 0 ? e.new[i] / b : undefined));
    out.push({ ...e, medianBase: median(e.base), medianNew: median(e.new), newOverBase: perRound });
    console.log(`${e.suite} | ${e.what}${e.target ? ` (target ${e.target})` : ''}`);
    console.log(`  base: ${e.base.map(num).join(' / ')}  (median ${num(median(e.base))})${e.ratio.base.some((x) => x !== undefined) ? `; its ratio per round ${e.ratio.base.map(num).join(' / ')}` : ''}`);
    console.log(`  new:  ${e.new.map(num).join(' / ')}  (median ${num(median(e.new))})${e.ratio.new.some((x) => x !== undefined) ? `; its ratio per round ${e.ratio.new.map(num).join(' / ')}` : ''}`);
    console.log(`  new/base per round: ${perRound.map(num).join(' / ')}`);
  }
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${started.toISOString().replace(/[:]/g, '-').replace(/\..*/, '')}-ab.json`);
  fs.writeFileSync(file, JSON.stringify({
    date: started.toISOString(), command: `node bench/ab.js ${process.argv.slice(2).join(' ')}`,
    machine: { nproc: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, kernel: os.release() },
    base: { dir: opts.base, commit: commitOf(opts.base) }, new: { dir: path.join(__dirname, '..'), commit: commitOf(__dirname) },
    rounds: opts.rounds, rows: out,
  }, null, 2));
  console.log(`\nResults: ${path.relative(process.cwd(), file)}`);
  return 0;
}

main().then((code) => { killAll(); process.exitCode = code; }, (err) => { console.error(err); killAll(); process.exitCode = 1; });
