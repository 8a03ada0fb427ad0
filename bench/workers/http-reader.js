'use strict';
/**
 * HTTP read load/probe (its own process): GET each URL in turn over one keep-alive connection
 * for DURATION_MS, recording each request's latency.
 *   node http-reader.js DURATION_MS URL...
 * -> {ready}; <- {go}; -> {done, latUs: [...], errors, statuses}.
 */
const http = require('http');

const [durS, ...urls] = process.argv.slice(2);
const duration = Number(durS);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(5000, () => req.destroy());
  });
}

process.on('message', async (m) => {
  if (!m.go) return;
  const latUs = [];
  const statuses = {};
  const end = Date.now() + duration;
  let n = 0;
  while (Date.now() < end) {
    const t0 = process.hrtime.bigint();
    const code = await get(urls[n++ % urls.length]);
    latUs.push(Number(process.hrtime.bigint() - t0) / 1e3);
    statuses[code] = (statuses[code] ?? 0) + 1;
  }
  agent.destroy();
  process.send({ done: true, latUs, statuses }, () => process.disconnect());
});
process.send({ ready: true });
