'use strict';
/**
 * MQTT export: the same legacy-channel load (4 C pushers, 64 interfaces, mixed v4/v6, durability
 * normal so that the lease path is at its fastest and the exporter's share the largest) into
 * (a) the manager without an exporter (baseline), (b) with --mqtt-url to a local mosquitto, and
 * (c) with --mqtt-url to a port where no broker listens (events pile up in the outbox).
 * Leases/s as in the throughput suite. With a broker, events/s through the exporter is events
 * acknowledged by the broker (dhcpmgr_mqtt_published_total) per second from the first send until
 * the outbox is empty. Each configuration runs `rounds` times, interleaved; rows give the median.
 *
 * Beside leases/s (wall), each run reads the manager's CPU time (/proc/PID/stat, all threads)
 * and gives leases per CPU-second: on a machine shared with other work the wall rate of two runs a
 * minute apart can differ by 2x, the CPU cost per lease much less. The broker-down target (within
 * 10% of no exporter) is judged on leases per CPU-second, the rate of a CPU-bound lease path.
 *
 * BENCH_MQTT_COMPARE=DIR (a checkout of another version, built): its manager runs the no-exporter
 * and broker-down legs too, in the same rounds, and a row gives its broker-down ratio, so that a
 * change to the exporter is measured against the version before it under the same load.
 */
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');
const { managerLegacy } = require('../lib/load');
const { startManager, sumMetric } = require('../lib/manager');
const { rateRow } = require('../lib/rows');
const { median, sleep, tmpDir, track, waitExit } = require('../lib/util');

const MOSQUITTO = '/usr/sbin/mosquitto';
const TICKS_PER_S = 100; // USER_HZ

/** utime + stime of a process, all threads, in seconds. */
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS_PER_S;
}
const BROKER_PORT = 22700;
const ABSENT_PORT = 22701;

function portOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

async function startBroker() {
  if (!fs.existsSync(MOSQUITTO)) throw new Error(`${MOSQUITTO} missing (test-e2e/install-deps.sh installs mosquitto)`);
  if (await portOpen(BROKER_PORT)) throw new Error(`port ${BROKER_PORT} is taken`);
  const dir = tmpDir('mosq');
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(conf, `listener ${BROKER_PORT} 127.0.0.1\nallow_anonymous true\nuser root\npersistence false\nlog_type error\n`);
  const child = track(spawn(MOSQUITTO, ['-c', conf], { stdio: 'ignore' }));
  const deadline = Date.now() + 5000;
  while (!(await portOpen(BROKER_PORT))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('mosquitto did not start');
    await sleep(25);
  }
  return {
    async stop() {
      if (child.exitCode === null) process.kill(child.pid, 'SIGTERM');
      await waitExit(child, 5000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Wait until the broker acknowledged `total` events; returns seconds since t0 at the last increase. */
async function waitPublished(mgr, total, t0, budgetMs) {
  const deadline = Date.now() + budgetMs;
  let last = 0;
  let atNs = process.hrtime.bigint();
  while (Date.now() < deadline) {
    const n = sumMetric(await mgr.metrics(), 'dhcpmgr_mqtt_published_total');
    if (n !== last) { last = n; atNs = process.hrtime.bigint(); }
    if (n >= total) break;
    await sleep(10);
  }
  return { published: last, secs: Number(atNs - t0) / 1e9 };
}

module.exports = {
  title: 'MQTT export: lease path with and without the exporter, events/s to a local mosquitto',
  async run(ctx) {
    const load = { pushers: 4, perPusher: ctx.quick ? 1000 : 15000, interfaces: 64, budgetMs: ctx.quick ? 8000 : 40000 };
    const rounds = ctx.quick ? 1 : 5;
    const common = ['--durability', 'normal', '--gateway-id', 'bench'];
    const broker = await startBroker();
    const compare = process.env.BENCH_MQTT_COMPARE ? path.resolve(process.env.BENCH_MQTT_COMPARE) : undefined;
    const compareBin = compare && path.join(compare, 'packages', 'dhcp-manager', 'dist', 'bin.js');
    const res = { none: [], up: [], down: [], events: [], noneCmp: [], downCmp: [] };
    const perCpu = { none: [], up: [], down: [], noneCmp: [], downCmp: [] };
    const modes = ['none', 'down', 'up', ...(compare ? ['noneCmp', 'downCmp'] : [])];
    let note = '';
    try {
      for (let round = 0; round < rounds; round++) {
        for (const mode of modes) {
          const extra = mode.startsWith('none') ? [] : ['--mqtt-url', `mqtt://127.0.0.1:${mode === 'up' ? BROKER_PORT : ABSENT_PORT}`];
          const mgr = await startManager([...common, ...extra], { tag: `mqtt-${mode}`, ...(mode.endsWith('Cmp') ? { bin: compareBin } : {}) });
          try {
            if (mode === 'up') {
              const deadline = Date.now() + 10000;
              while (!(await mgr.status()).mqtt.connected && Date.now() < deadline) await sleep(20);
            }
            const t0 = process.hrtime.bigint();
            const cpu0 = cpuSeconds(mgr.pid);
            const r = await managerLegacy(mgr, load);
            const cpu = cpuSeconds(mgr.pid) - cpu0;
            res[mode].push(r.rate);
            perCpu[mode].push(r.applied / cpu);
            let line = `${mode}: ${Math.round(r.rate)} leases/s (${r.applied} of ${r.total} in ${r.secs.toFixed(1)} s), ${Math.round(r.applied / cpu)} leases per CPU-second`;
            if (mode === 'up') {
              const p = await waitPublished(mgr, r.applied, t0, load.budgetMs);
              res.events.push(p.published / p.secs);
              line += `; exporter ${Math.round(p.published / p.secs)} events/s (${p.published} acknowledged in ${p.secs.toFixed(1)} s)`;
            }
            if (mode === 'down') {
              const st = (await mgr.status()).mqtt;
              line += `; outbox depth ${st.outboxDepth}, dropped ${st.dropped}`;
              note = `broker absent: ${st.outboxDepth} events held in the outbox at the end`;
            }
            ctx.log(line);
          } finally {
            await mgr.stop();
          }
        }
      }
    } finally {
      await broker.stop();
    }
    const base = { label: 'no exporter', value: median(res.none) };
    const baseCpu = { label: 'no exporter', value: median(perCpu.none) };
    const list = (a) => a.map(Math.round).join(', ');
    const ratios = (a, b) => a.map((x, i) => (x / b[i]).toFixed(2)).join(' / ');
    const cmpRows = compare ? [
      rateRow('mqtt', `lease path, broker down, build at ${compare}: leases per CPU-second`, median(perCpu.downCmp),
        { label: `no exporter, that build`, value: median(perCpu.noneCmp) },
        { note: `the same legs with the other build, same rounds; median of ${rounds}: ${list(perCpu.downCmp)} vs ${list(perCpu.noneCmp)} (per round ${ratios(perCpu.downCmp, perCpu.noneCmp)})` }),
    ] : [];
    return [
      rateRow('mqtt', 'lease path, no exporter: leases per CPU-second (baseline)', baseCpu.value, undefined, { note: `median of ${rounds}: ${list(perCpu.none)}` }),
      rateRow('mqtt', 'lease path, broker down: leases per CPU-second', median(perCpu.down), baseCpu, { minRatio: 0.9, note: `CPU of the manager process while it took the load; median of ${rounds}: ${list(perCpu.down)} (per round ${ratios(perCpu.down, perCpu.none)})` }),
      ...cmpRows,
      rateRow('mqtt', 'lease path + exporter to local mosquitto: leases per CPU-second', median(perCpu.up), baseCpu, { note: `the exporter publishing at the same time; median of ${rounds}: ${list(perCpu.up)}` }),
      rateRow('mqtt', 'lease path, no exporter (baseline): leases/s', base.value, undefined, { note: `median of ${rounds}: ${res.none.map(Math.round).join(', ')}` }),
      rateRow('mqtt', 'lease path, exporter to local mosquitto: leases/s', median(res.up), base, { note: `median of ${rounds}: ${res.up.map(Math.round).join(', ')}` }),
      rateRow('mqtt', 'exporter to local mosquitto: events/s acknowledged (QoS 1)', median(res.events), base, { note: `first send to empty outbox; median of ${rounds}: ${res.events.map(Math.round).join(', ')}` }),
      rateRow('mqtt', 'lease path, broker down (events held in the outbox): leases/s', median(res.down), base, { note: `${note}; wall rate, see the per-CPU-second row; median of ${rounds}: ${res.down.map(Math.round).join(', ')}` }),
    ];
  },
};
