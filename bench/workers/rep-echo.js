'use strict';
/**
 * The acked-channel baseline (its own process): a bare nanomsg-package REP socket that answers
 * every request with an `applied` ack and does nothing else.
 *   node rep-echo.js ADDR
 * -> {ready}; <- {stop} -> {done, count}.
 */
const nano = require('nanomsg');
const { msgLib } = require('../lib/messages');

const [addr] = process.argv.slice(2);
const reply = msgLib.encodeAck({ status: 'applied', reason: '' });
const sock = nano.socket('rep');
sock.rcvmaxsize(16 * 1024 * 1024);
sock.on('error', (err) => process.send({ error: String(err) }));
sock.bind(addr);
let count = 0;
sock.on('data', () => { count++; sock.send(reply); });
process.on('message', (m) => {
  if (m.stop) process.send({ done: true, count }, () => { sock.close(); process.disconnect(); });
});
process.send({ ready: true });
