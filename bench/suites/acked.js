'use strict';
/**
 * 2b. Acked channel: 32 concurrent senders (C REQ sockets, one thread each, own interface each),
 * closed loop, against the manager (durable store) and against a bare nanomsg-package REP that
 * acknowledges at once (baseline). Only `applied` replies count. The manager runs twice: with the
 * default --durability full (an fsync per acknowledged lease, since the REP socket serves one
 * request at a time) and with --durability normal (WAL, no fsync per commit; not power-loss safe).
 */
const { bareRepC, cAcked } = require('../lib/load');
const { startManager } = require('../lib/manager');
const { rateRow } = require('../lib/rows');

module.exports = {
  title: 'acknowledged channel, 32 concurrent senders',
  async run(ctx) {
    const threads = 32;
    const base = await bareRepC({ threads, count: ctx.quick ? 3200 : 32000 });
    ctx.log(`bare REP: ${Math.round(base.rate)}/s, p99 ${base.p99us} us`);
    const mgr = await startManager([], { tag: 'acked' });
    try {
      const r = await cAcked(mgr.endpoints.ack, { threads, count: ctx.quick ? 640 : 3200 });
      ctx.log(`manager acked: ${Math.round(r.rate)}/s (${r.ok} applied of ${r.sent}), p99 ${r.p99us} us`);
      ctx.shared.ackedBase = base;
      await mgr.stop();
      const mgrN = await startManager(['--durability', 'normal'], { tag: 'acked-normal' });
      let n;
      try {
        n = await cAcked(mgrN.endpoints.ack, { threads, count: ctx.quick ? 640 : 3200 });
        ctx.log(`manager acked, durability normal: ${Math.round(n.rate)}/s (${n.ok} applied of ${n.sent}), p99 ${n.p99us} us`);
      } finally {
        await mgrN.stop();
      }
      return [
        rateRow('acked', 'baseline: bare nanomsg REP, acks at once', base.rate, undefined, { note: `RTT p50 ${base.p50us} us, p99 ${base.p99us} us` }),
        rateRow('acked', 'manager, durable: acknowledged leases/s', r.rate, { label: 'bare REP', value: base.rate }, {
          min: 10000, note: `${r.ok} applied of ${r.sent} in ${r.secs.toFixed(1)} s; RTT p50 ${(r.p50us / 1000).toFixed(1)} ms, p99 ${(r.p99us / 1000).toFixed(1)} ms` }),
        rateRow('acked', 'manager, durability normal: acknowledged leases/s', n.rate, { label: 'bare REP', value: base.rate }, {
          min: 10000, note: `${n.ok} applied of ${n.sent} in ${n.secs.toFixed(1)} s; RTT p50 ${(n.p50us / 1000).toFixed(1)} ms, p99 ${(n.p99us / 1000).toFixed(1)} ms` }),
      ];
    } finally {
      await mgr.stop();
    }
  },
};
