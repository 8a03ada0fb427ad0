'use strict';
/**
 * The throughput baseline (its own process): a bare nanomsg-package PULL socket that only counts
 * frames, as fast as the same package can receive them.
 *   node pull-count.js ADDR EXPECTED
 * -> {ready}; then {done, count, firstNs, lastNs} when EXPECTED frames arrived (or on {stop}).
 */
const nano = require('nanomsg');

const [addr, expectedS] = process.argv.slice(2);
const expected = Number(expectedS);
const sock = nano.socket('pull');
sock.rcvmaxsize(16 * 1024 * 1024);
sock.on('error', (err) => process.send({ error: String(err) }));
sock.bind(addr);

let count = 0;
let bytes = 0;
let first = 0n;
let last = 0n;
let finished = false;

function finish() {
  if (finished) return;
  finished = true;
  process.send({ done: true, count, bytes, firstNs: String(first), lastNs: String(last) }, () => {
    sock.close();
    process.disconnect();
  });
}

sock.on('data', (frame) => {
  if (count === 0) first = process.hrtime.bigint();
  count++;
  bytes += frame.length;
  if (count >= expected) {
    last = process.hrtime.bigint();
    finish();
  }
});
process.on('message', (m) => { if (m.stop) { last = process.hrtime.bigint(); finish(); } });
process.send({ ready: true });
