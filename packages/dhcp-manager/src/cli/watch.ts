/** `dhcp-manager watch`: subscribe to the daemon's PUB socket and print events as they arrive. */
import type { Io } from './index';
import { parsePublished } from '../publisher';

export function watch(endpoint: string, topics: string[], count: number | undefined, json: boolean, io: Io): Promise<number> {
  const { subscribe } = require('@dhcpmgr/plugin-msg/transport') as typeof import('@dhcpmgr/plugin-msg/transport');
  return new Promise((resolve) => {
    let seen = 0;
    let done = false;
    const finish = (code: number): void => {
      if (done) return;
      done = true;
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      setImmediate(() => { sub?.close(); resolve(code); });
    };
    const onSignal = (): void => finish(0);
    let sub: { close(): void } | undefined;
    try {
      sub = subscribe(endpoint, topics, (msg) => {
        if (done) return;
        const { topic, body } = parsePublished(msg);
        if (json) io.stdout(`${JSON.stringify({ topic, event: body })}\n`);
        else io.stdout(`${line(topic, body as Record<string, any>)}\n`);
        if (count !== undefined && ++seen >= count) finish(0);
      }, (err) => { io.stderr(`dhcp-manager: ${err.message}\n`); finish(1); });
    } catch (err) {
      io.stderr(`dhcp-manager: ${(err as Error).message}\n`);
      resolve(1);
      return;
    }
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function line(topic: string, e: Record<string, any>): string {
  const t = new Date(typeof e?.time === 'number' ? e.time : Date.now()).toISOString();
  if (topic === 'dhcpmgr.reject') return `${t}  REJECT  ${e.ifname ?? '-'}  ${e.reason}  (${e.channel}) ${e.detail}`;
  const l = (e.lease ?? {}) as Record<string, any>;
  const addr = [l.ipAddress, l.iaNa?.address, l.iaPd?.prefix].filter((v) => typeof v === 'string' && v).join(' ');
  return `${t}  ${e.msgTypeName}(${e.msgType})  ${e.ifname}  v${e.version}  ${e.cause}  ${addr}  ${topic}`;
}
