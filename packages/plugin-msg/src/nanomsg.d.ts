// Minimal types for the parts of the `nanomsg` npm package (4.2.x) this package uses.
// Kept internal: nothing exported from plugin-msg exposes these types. The wrapper's private
// members are declared only in nanomsg-internals.ts.
declare module 'nanomsg' {
  import { Duplex } from 'stream';
  export type SocketType = 'push' | 'pull' | 'req' | 'rep' | 'pub' | 'sub' | 'pair' | 'bus';
  export interface SocketOptions {
    raw?: boolean;
    rcvmaxsize?: number;
    reconn?: number;
    maxreconn?: number;
    sndtimeo?: number;
    rcvtimeo?: number;
    chan?: string[];
    tcpnodelay?: boolean;
    ipv6?: boolean;
  }
  export interface Socket extends Duplex {
    bind(addr: string): number | null;
    connect(addr: string): number | null;
    shutdown(addr: string): number | null;
    send(buf: Buffer | string, flags?: number): number;
    close(): number;
    rcvmaxsize(size?: number): number | boolean;
    reconn(ms?: number): number | boolean;
    maxreconn(ms?: number): number | boolean;
    sndbuf(n?: number): number | boolean;
    rcvbuf(n?: number): number | boolean;
    tcpnodelay(on?: boolean): boolean;
    chan(topics: string[]): void;
  }
  export function socket(type: SocketType, opts?: SocketOptions): Socket;
  /** nn_device(s1, s2) in a libuv pool thread; 'error' when it returns (a socket was closed). */
  export interface Device { on(event: 'error', cb: (err: Error) => void): this }
  export function device(s1: Socket, s2: Socket): Device;
}
