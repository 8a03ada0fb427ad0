#!/usr/bin/env node
/*
 * ingestBatch throughput of the engine alone (no sockets): mixed v4/v6 C-layout messages over N
 * interfaces, in batches, against a real SQLite store in a temp dir. Not a test; prints figures.
 * Usage: node packages/dhcp-manager/bench/engine-throughput.js [--messages 200000] [--batch 256]
 *        [--interfaces 64] [--durability full|normal] [--dir /path]   (needs `npx tsc -b packages/dhcp-manager`)
 */
'use strict';
const { mkdtempSync, rmSync } = require('fs');
const { tmpdir } = require('os');
const { join } = require('path');
const pino = require('pino');
const { encode, emptyV4Lease, emptyV6Lease } = require('@dhcpmgr/plugin-msg');
const { Engine } = require('../dist/engine');
const { ManagerMetrics } = require('../dist/metrics');
const { Store } = require('../dist/store/store');

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, k, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[k + 1]]] : acc), []));
const N = Number(args.messages ?? 200000);
const BATCH = Number(args.batch ?? 256);
const IFS = Number(args.interfaces ?? 64);
const durability = args.durability ?? 'full';
const dir = mkdtempSync(join(args.dir ?? tmpdir(), 'dhcpmgr-bench-'));

function frames() {
  const out = [];
  for (let i = 0; i < IFS; i++) {
    const ifname = `wan${i}`;
    const l4 = { ...emptyV4Lease(), ifname, addressAssigned: true, dhcpState: 'renew', address: `10.${i >> 8}.${i & 255}.2`, netmask: '255.255.255.0', gateway: `10.${i >> 8}.${i & 255}.1`, dnsServer: '10.0.0.53', dhcpServerId: '10.0.0.1', leaseTime: 3600, renewalTime: 1800, rebindingTime: 3150 };
    out.push(encode({ version: 4, ifname, dhcpv4: l4 }));
    const l6 = emptyV6Lease();
    l6.ifname = ifname;
    l6.iaNa = { ...l6.iaNa, assigned: true, address: `2001:db8:${i.toString(16)}::2`, preferredLifetime: 1800, validLifetime: 3600 };
    l6.iaPd = { ...l6.iaPd, assigned: true, prefix: `2001:db8:${(0x1000 + i).toString(16)}::`, prefixLength: 56, preferredLifetime: 1800, validLifetime: 3600 };
    l6.dns = { assigned: true, nameserver: '2001:db8::53', nameserver1: '' };
    out.push(encode({ version: 6, ifname, dhcpv6: l6 }));
  }
  return out;
}

const metrics = new ManagerMetrics();
let published = 0;
const store = new Store({ stateDir: dir, durability, historyPerInterface: 100 });
const engine = new Engine(store, { abi: 'auto' }, {
  logger: pino({ level: 'warn' }), metrics,
  sink: { publish: () => { published++; }, publishReject: () => {} },
  applier: { name: 'none', apply: () => {}, idle: async () => {} },
});
const fs = frames();
let k = 0;
const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
for (let sent = 0; sent < N; sent += BATCH) {
  const items = [];
  for (let j = 0; j < BATCH && sent + j < N; j++) items.push({ frame: fs[k++ % fs.length], channel: 'legacy', receivedAt: Date.now() });
  const rs = engine.ingestBatch(items);
  if (rs.some((r) => r.status !== 'applied')) throw new Error(`not applied: ${JSON.stringify(rs.find((r) => r.status !== 'applied'))}`);
}
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(c0);
const cpuSecs = (cpu.user + cpu.system) / 1e6;
const t1 = process.hrtime.bigint();
const got = engine.get(['Device.']);
const readMs = Number(process.hrtime.bigint() - t1) / 1e6;
store.close();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({
  messages: N, batch: BATCH, interfaces: IFS, durability, seconds: +secs.toFixed(3), perSecond: Math.round(N / secs),
  usPerMessage: +((secs * 1e6) / N).toFixed(2), cpuUsPerMessage: +((cpuSecs * 1e6) / N).toFixed(2), perCpuSecond: Math.round(N / cpuSecs), published, fullTreeParams: got.ok ? got.values.length : -1, fullTreeReadMs: +readMs.toFixed(1),
  rssMiB: Math.round(process.memoryUsage().rss / 1048576), node: process.version,
}));
