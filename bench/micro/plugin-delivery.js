#!/usr/bin/env node
'use strict';
/**
 * Which deliveries of the plugin bench reach the manager: N sends per sender (udhcpc plugin
 * acked, udhcpc plugin legacy, `nanocat --push`), one sender at a time so each count is its own,
 * over ipc:// (as bench/suites/plugin.js) and over loopback TCP. Prints, per sender, how many
 * exited 0, how many the manager counted (by ingest status) and how many were spooled.
 *
 *   node bench/micro/plugin-delivery.js [--runs 30] [--only ipc|tcp] [--senders acked,legacy,nanocat]
 *                                       [--plugin path/to/dhcpmgr-udhcpc-plugin.js]
 */
const fs = require('fs');
const path = require('path');
const { ROOT, timeRun, tmpDir, freePort, sleep, readCapture, BOUND_ENV_FILE } = require('../lib/util');
const { startManager } = require('../lib/manager');
const { v4Frame } = require('../lib/messages');

const argv = process.argv.slice(2);
const opt = (f, d) => { const i = argv.indexOf(f); return i >= 0 ? argv[i + 1] : d; };
const runs = Number(opt('--runs', '30'));
const only = opt('--only');
const senders = opt('--senders', 'acked,legacy,nanocat').split(',');
const PLUGIN = path.resolve(opt('--plugin', path.join(ROOT, 'packages', 'udhcpc-plugin', 'dist', 'dhcpmgr-udhcpc-plugin.js')));


async function results(mgr) {
  const out = {};
  for (const x of await mgr.metrics()) {
    if ((x.name === 'dhcpmgr_ingest_results_total' || x.name === 'dhcpmgr_overload_dropped_total') && x.value) {
      const k = x.labels.status ?? x.name;
      out[k] = (out[k] ?? 0) + x.value;
    }
  }
  return out;
}

/** Wait until the manager's counts stop moving for `idleMs`. */
async function settle(mgr, idleMs = 600) {
  let last = JSON.stringify(await results(mgr));
  let since = Date.now();
  while (Date.now() - since < idleMs) {
    await sleep(50);
    const now = JSON.stringify(await results(mgr));
    if (now !== last) { last = now; since = Date.now(); }
  }
  return JSON.parse(last);
}

async function one(kind) {
  const dir = tmpDir('plugin-delivery');
  let extra = [];
  if (kind === 'tcp') extra = ['--listen', `tcp://127.0.0.1:${await freePort()}`, '--ack-listen', `tcp://127.0.0.1:${await freePort()}`];
  const mgr = await startManager(extra, { tag: 'plugin-delivery' });
  const listen = extra.length ? extra[1] : mgr.endpoints.listen;
  const ack = extra.length ? extra[3] : mgr.endpoints.ack;
  try {
    const frameFile = path.join(dir, 'bound.bin');
    fs.writeFileSync(frameFile, v4Frame(0, 0));
    const spool = path.join(dir, 'spool');
    const base = { ...readCapture(BOUND_ENV_FILE).env, PATH: process.env.PATH, DHCPMGR_SPOOL_DIR: spool, DHCPMGR_ACK_ADDR: ack, DHCPMGR_ADDR: listen, DHCPMGR_TIMEOUT_MS: '2000' };
    const variants = {
      acked: { cmd: process.execPath, args: [PLUGIN, 'bound'], env: { ...base, DHCPMGR_MODE: 'acked' } },
      legacy: { cmd: process.execPath, args: [PLUGIN, 'bound'], env: { ...base, DHCPMGR_MODE: 'legacy' } },
      nanocat: { cmd: 'nanocat', args: ['--push', '--connect', listen, '-F', frameFile], env: base },
    };
    for (const name of senders) {
      const v = variants[name];
      const before = await settle(mgr);
      const spooledBefore = fs.existsSync(spool) ? fs.readdirSync(spool).length : 0;
      let ok = 0;
      for (let i = 0; i < runs; i++) if ((await timeRun(v.cmd, v.args, { env: v.env })).code === 0) ok++;
      const after = await settle(mgr);
      const diff = {};
      for (const k of Object.keys(after)) if (after[k] - (before[k] ?? 0)) diff[k] = after[k] - (before[k] ?? 0);
      const spooled = (fs.existsSync(spool) ? fs.readdirSync(spool).length : 0) - spooledBefore;
      console.log(`${kind.padEnd(4)} ${name.padEnd(8)} exit0 ${ok}/${runs}  manager ${JSON.stringify(diff)}  spooled ${spooled}`);
    }
  } finally {
    await mgr.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

(async () => {
  for (const kind of ['ipc', 'tcp']) if (!only || only === kind) await one(kind);
})().catch((err) => { console.error(err); process.exit(1); });
