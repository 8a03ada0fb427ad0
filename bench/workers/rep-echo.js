'use strict';
/**
 * The acked-channel baseline (its own process): REP sockets that answer every request with an
 * `applied` ack and do nothing else.
 *   node rep-echo.js ADDR [WORKERS]
 * WORKERS absent or 0: one bare nanomsg-package REP socket (serves one request at a time).
 * WORKERS >= 1: the manager's own transport (plugin-msg bindRep with that many worker sockets,
 * the raw REP + nn_device layout the manager uses), so the manager can be compared with the same
 * transport doing no work.
 * -> {ready}; <- {stop} -> {done, count}.
 */
const path = require('path');
const nano = require('nanomsg');
const { msgLib } = require('../lib/messages');

const [addr, workersArg] = process.argv.slice(2);
const workers = Number(workersArg ?? 0);
const reply = msgLib.encodeAck({ status: 'applied', reason: '' });
let count = 0;
let close;
if (workers >= 1) {
  const { bindRep } = require(path.join(__dirname, '..', '..', 'packages', 'plugin-msg', 'dist', 'transport.js'));
  const rx = bindRep(addr, () => { count++; return reply; }, () => reply, {
    workers, rcvmaxsize: 16 * 1024 * 1024, onError: (err) => process.send({ error: String(err) }),
  });
  close = () => rx.close();
} else {
  const sock = nano.socket('rep');
  sock.rcvmaxsize(16 * 1024 * 1024);
  sock.on('error', (err) => process.send({ error: String(err) }));
  sock.bind(addr);
  sock.on('data', () => { count++; sock.send(reply); });
  close = () => sock.close();
}
process.on('message', (m) => {
  if (m.stop) process.send({ done: true, count }, () => { close(); process.disconnect(); });
});
process.send({ ready: true });
