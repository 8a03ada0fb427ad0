/**
 * A throw-away CA, a server certificate for 127.0.0.1 and a client certificate, made with the
 * openssl command (argument arrays, no shell) in a directory the test owns. Keys are mode 0600.
 */
import { execFileSync } from 'child_process';
import { chmodSync, writeFileSync } from 'fs';
import { join } from 'path';

export interface Certs { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string; otherCa: string }

function ssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function ca(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', key, '-out', cert]);
  return { cert, key };
}

function signed(dir: string, name: string, by: { cert: string; key: string }, ext: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.pem`);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext);
  ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', key, '-out', csr]);
  ssl(['x509', '-req', '-in', csr, '-CA', by.cert, '-CAkey', by.key, '-CAcreateserial', '-days', '2', '-extfile', extFile, '-out', cert]);
  chmodSync(key, 0o600);
  return { cert, key };
}

export function makeCerts(dir: string): Certs {
  const root = ca(dir, 'test-ca');
  const other = ca(dir, 'other-ca');
  const server = signed(dir, 'broker', root, 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  const client = signed(dir, 'gateway', root, 'extendedKeyUsage=clientAuth\n');
  return { ca: root.cert, serverCert: server.cert, serverKey: server.key, clientCert: client.cert, clientKey: client.key, otherCa: other.cert };
}
