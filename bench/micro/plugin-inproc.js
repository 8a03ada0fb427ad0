#!/usr/bin/env node
'use strict';
/**
 * The plugin's own share of its start-up: time from a --require hook (node's bootstrap is done)
 * to process exit, CPU time of the whole process at exit (all threads; load disturbs it less
 * than wall time), and total wall, interleaved over bundles given as NAME=PATH, each delivering
 * the udhcpc bound fixture to a REP responder in this process's child that answers `applied` at
 * once (no manager, no commit: only the plugin's cost is measured). Less noisy than wall time.
 *
 *   node bench/micro/plugin-inproc.js [--runs 41] NAME=path/to/dhcpmgr-udhcpc-plugin.js ...
 */
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const { ROOT, timeRun, median, tmpDir, sleep, track, readCapture, BOUND_ENV_FILE } = require('../lib/util');

const argv = process.argv.slice(2);
const ri = argv.indexOf('--runs');
const runs = ri >= 0 ? Number(argv.splice(ri, 2)[1]) : 41;
const bundles = argv.map((a) => { const i = a.indexOf('='); return [a.slice(0, i), path.resolve(a.slice(i + 1))]; });

const HOOK = `const t0 = process.hrtime.bigint();
process.on('exit', () => {
  const u = process.resourceUsage();
  require('fs').appendFileSync(process.env.INPROC_OUT, (Number(process.hrtime.bigint() - t0) / 1e6) + ' ' + (u.userCPUTime + u.systemCPUTime) / 1000 + '\\n');
});`;
const RESPONDER = `const t = require(${JSON.stringify(path.join(ROOT, 'packages/plugin-msg/dist/transport.js'))});
const { encodeAck } = require(${JSON.stringify(path.join(ROOT, 'packages/plugin-msg/dist/index.js'))});
t.bindRep(process.argv[1], () => encodeAck({ status: 'applied', reason: '' }), () => encodeAck({ status: 'unavailable', reason: '' }));
process.stdout.write('ready\\n');`;

(async () => {
  const dir = tmpDir('plugin-inproc');
  const addr = `ipc://${dir}/ack.ipc`;
  const rep = track(spawn(process.execPath, ['-e', RESPONDER, addr], { stdio: ['ignore', 'pipe', 'inherit'] }));
  await new Promise((r) => rep.stdout.once('data', r));
  try {
    fs.writeFileSync(path.join(dir, 'hook.js'), HOOK);
    fs.writeFileSync(path.join(dir, 'plugin.json'), '{}');
    const env = { PATH: process.env.PATH, DHCPMGR_CONFIG: path.join(dir, 'plugin.json'), DHCPMGR_ACK_ADDR: addr, DHCPMGR_SPOOL_DIR: path.join(dir, 'spool') };
    Object.assign(env, readCapture(BOUND_ENV_FILE).env);
    const variants = [['empty', path.join(ROOT, 'bench/fixtures/empty.js')], ...bundles];
    const res = Object.fromEntries(variants.map(([k]) => [k, { wall: [], inproc: [], cpu: [] }]));
    for (let i = 0; i <= runs; i++) {
      for (const [k, file] of i % 2 ? [...variants].reverse() : variants) {
        const out = path.join(dir, `${k}.out`);
        fs.rmSync(out, { force: true });
        const r = await timeRun(process.execPath, ['--require', path.join(dir, 'hook.js'), file, 'bound'], { env: { ...env, INPROC_OUT: out }, stderr: true });
        if (r.code !== 0) throw new Error(`${k} exited ${r.code}: ${r.stderr}`);
        if (i > 0) {
          const [inproc, cpu] = fs.readFileSync(out, 'utf8').trim().split(' ').map(Number);
          res[k].wall.push(r.ms);
          res[k].inproc.push(inproc);
          res[k].cpu.push(cpu);
        }
      }
    }
    console.log(`${runs} interleaved runs, load ${require('os').loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    for (const [k] of variants) {
      console.log(`${k.padEnd(16)} in-process ${median(res[k].inproc).toFixed(2).padStart(6)} ms   cpu ${median(res[k].cpu).toFixed(1).padStart(5)} ms   wall ${median(res[k].wall).toFixed(1).padStart(6)} ms  (${(median(res[k].wall) / median(res.empty.wall)).toFixed(3)}x)`);
    }
    if (fs.existsSync(env.DHCPMGR_SPOOL_DIR)) console.log(`spooled: ${fs.readdirSync(env.DHCPMGR_SPOOL_DIR).length}`);
  } finally {
    rep.kill('SIGKILL');
    await sleep(50);
    fs.rmSync(dir, { recursive: true, force: true });
  }
})().catch((err) => { console.error(err); process.exit(1); });
