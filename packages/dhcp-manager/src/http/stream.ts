/**
 * Server-sent events (text/event-stream) for the status page and for any `curl -N`: every lease
 * event goes out as `event: lease`, every validation reject as `event: reject`, anything else the
 * daemon publishes (client supervisor events) as `event: client`. Each message's data is one
 * line of JSON `{topic, event}`. A comment line every `heartbeatMs` keeps idle connections open;
 * `retry:` tells the browser's EventSource how soon to reconnect after the manager restarts.
 */
import type { IncomingMessage, ServerResponse } from 'http';

/** One published item: its topic and its body as JSON text (built once by the publisher). */
export interface StreamItem { topic: string; body: string }

import { REJECT_TOPIC } from '../publisher';
export const RETRY_MS = 1000;

export function eventName(topic: string): 'lease' | 'reject' | 'client' {
  if (topic === REJECT_TOPIC) return 'reject';
  return /^Device\.DHCPv[46]\.Client\.\d+\.Events$/.test(topic) ? 'lease' : 'client';
}

/** The wire text of one message; `body` is JSON.stringify output, which holds no raw newline. */
export function formatItem(item: StreamItem, id: number): string {
  return `id: ${id}\nevent: ${eventName(item.topic)}\ndata: {"topic":${JSON.stringify(item.topic)},"event":${item.body}}\n\n`;
}

export function openStream(
  req: IncomingMessage, res: ServerResponse, subscribe: (listener: (item: StreamItem) => void) => () => void, heartbeatMs: number,
): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write(`retry: ${RETRY_MS}\n: connected\n\n`);
  let id = 0;
  const unsubscribe = subscribe((item) => {
    res.write(formatItem(item, ++id));
  });
  const beat = setInterval(() => res.write(`: heartbeat ${Date.now()}\n\n`), heartbeatMs);
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(beat);
    unsubscribe();
  };
  req.socket.setTimeout(0);
  req.on('close', close);
  res.on('close', close);
  res.on('error', close);
}
