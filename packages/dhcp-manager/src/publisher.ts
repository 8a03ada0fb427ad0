/**
 * EventSink over a nanomsg PUB socket: topic = the TR-181 event name
 * (`Device.DHCPv4.Client.1.Events`), body = the LeaseEvent as JSON; validation rejects go out on
 * `dhcpmgr.reject`. Subscribers filter on the topic prefix (`Device.DHCPv6.` for all v6 events).
 */
import type { Channel, EventSink, LeaseEvent, RejectReason } from './contract';
import { eventJson } from './events';

export const REJECT_TOPIC = 'dhcpmgr.reject';

export interface PublishTarget {
  publish(topic: string, body: string): void;
}

/** An in-process listener (the HTTP event stream): the same topic and JSON body as the PUB socket. */
export type LocalListener = (item: { topic: string; body: string }) => void;

export class PubSink implements EventSink {
  private readonly listeners = new Set<LocalListener>();

  constructor(private readonly target: PublishTarget | null) {}

  publish(event: LeaseEvent): void {
    this.emit(event.tr181Event, eventJson(event));
  }

  publishReject(reject: { reason: RejectReason; detail: string; ifname?: string; channel: Channel; time: number }): void {
    this.emit(REJECT_TOPIC, JSON.stringify(reject));
  }

  /** Also hand every published item to `fn` (in this process); returns the unsubscribe. */
  listen(fn: LocalListener): () => void {
    this.listeners.add(fn);
    return () => { this.listeners.delete(fn); };
  }

  private emit(topic: string, body: string): void {
    this.target?.publish(topic, body);
    for (const fn of this.listeners) {
      try {
        fn({ topic, body });
      } catch {
        // A listener (one HTTP stream) must never break the engine's commit path.
      }
    }
  }
}

/** Split a received `topic body` message. */
export function parsePublished(msg: Buffer | string): { topic: string; body: unknown } {
  const text = msg.toString();
  const space = text.indexOf(' ');
  const topic = space < 0 ? text : text.slice(0, space);
  const raw = space < 0 ? '' : text.slice(space + 1);
  let body: unknown = raw;
  try {
    body = JSON.parse(raw);
  } catch {
    // Not JSON: hand the text on as it is.
  }
  return { topic, body };
}
