import { createServer, get, Server } from 'http';
import { mkdtempSync, rmSync } from 'fs';
import type { AddressInfo, Server as NetServer } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { inner, outer } from './bridge';

function fetchText(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    }).on('error', reject);
  });
}

it('forwards host TCP connections through a unix socket to a TCP port behind it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-bridge-'));
  const target: Server = createServer((req, res) => res.end(`seen ${req.url}`));
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const sock = join(dir, 'http.sock');
  const i: NetServer = inner(sock, (target.address() as AddressInfo).port);
  await new Promise((r) => i.once('listening', r));
  const o = await outer('127.0.0.1', 0, sock);
  try {
    const port = (o.address() as AddressInfo).port;
    expect(await fetchText(port, '/healthz')).toEqual({ status: 200, body: 'seen /healthz' });
    expect(await fetchText(port, '/again')).toEqual({ status: 200, body: 'seen /again' });
  } finally {
    await new Promise((r) => o.close(r));
    await new Promise((r) => i.close(r));
    await new Promise((r) => target.close(r));
    rmSync(dir, { recursive: true, force: true });
  }
});
