/**
 * Reaching the page from the host: the manager's HTTP server listens on loopback INSIDE the
 * gateway namespace, which the host's loopback cannot reach. A unix socket file is not bound to
 * a network namespace, so the lab joins the two with one: `inner` (run inside the namespace as
 * `node bridge.js SOCKET PORT`) forwards the socket to 127.0.0.1:PORT there; `outer` (in the lab
 * process) listens on the host's 127.0.0.1 and forwards each connection to the socket.
 */
import { connect, createServer, Server, Socket } from 'net';

function pipeBoth(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  const end = () => { a.destroy(); b.destroy(); };
  a.on('error', end).on('close', end);
  b.on('error', end).on('close', end);
}

export function inner(socketPath: string, port: number): Server {
  return createServer((c) => pipeBoth(c, connect(port, '127.0.0.1'))).listen(socketPath);
}

export function outer(host: string, port: number, socketPath: string): Promise<Server> {
  const server = createServer((c) => pipeBoth(c, connect(socketPath)));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      resolve(server);
    });
  });
}

if (require.main === module) {
  const [socketPath, port] = process.argv.slice(2);
  const s = inner(socketPath!, Number(port));
  const stop = () => s.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
