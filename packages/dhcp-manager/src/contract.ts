/**
 * The seams inside the manager. Data walks one way:
 *   monitor/ (sockets, spool; bytes only) -> engine.ingestBatch() [validate -> router ->
 *   handlers -> model/state change -> one store transaction] -> events (EventSink) and appliers (Applier).
 * The engine is synchronous (better-sqlite3 is) and owns no socket; the daemon owns sockets,
 * the expiry timer, HTTP and the durable store (store/durable.ts) the engine is given.
 */
import type { Abi, EnvelopeMeta } from '@dhcpmgr/plugin-msg';

export type Channel = 'legacy' | 'acked' | 'spool';

/** One received frame, as the monitor hands it on. */
export interface Ingest {
  /** The PLUGIN_MSG bytes (for acked/spool: the envelope's payload). */
  frame: Buffer;
  channel: Channel;
  /** ms since epoch when the monitor received it. */
  receivedAt: number;
  /** Envelope ordering data (acked and spool only); used to refuse stale or replayed events. */
  order?: EnvelopeMeta;
  authenticated?: boolean;
}

/** Stable reject reasons; each has a counter `dhcpmgr_rejected_total{reason}`. */
export type RejectReason =
  | 'BAD_SIZE' | 'SHORT_BUFFER' | 'BAD_VERSION' | 'UNTERMINATED_STRING' | 'BAD_BOOL' | 'NONZERO_PADDING'
  | 'BAD_IFNAME' | 'IFNAME_MISMATCH' | 'IFNAME_NOT_ALLOWED' | 'BAD_ADDRESS' | 'BAD_NETMASK' | 'BAD_PREFIX'
  | 'BAD_PREFIX_LENGTH' | 'BAD_LIFETIME' | 'BAD_STATE'
  | 'BAD_ENVELOPE' | 'BAD_HMAC' | 'NO_HMAC' | 'OVERLOAD'
  /** Sender authentication (auth.ts): an authenticated acked message seen before, or stamped outside --replay-window. */
  | 'REPLAYED' | 'OUTSIDE_WINDOW'
  /** No enabled client runs on this interface (and it is not in --interfaces); see --accept-unconfigured. */
  | 'UNCONFIGURED_INTERFACE'
  /** --accept-unconfigured: a new interface beyond --max-interfaces. */
  | 'TOO_MANY_INTERFACES'
  /** A bug in the engine met this input (it is logged with the stack); the engine keeps going. */
  | 'INTERNAL_ERROR';

export type MsgTypeName = 'CLIENT_STARTED' | 'CLIENT_STOPPED' | 'CLIENT_FAILED' | 'LEASE_UPDATE' | 'LEASE_DEL' | 'LEASE_RENEW';
/** The C manager's MsgType codes. */
export const MSG_TYPE: Readonly<Record<MsgTypeName, number>> = {
  CLIENT_STARTED: 0, CLIENT_STOPPED: 1, CLIENT_FAILED: 2, LEASE_UPDATE: 3, LEASE_DEL: 4, LEASE_RENEW: 5,
};

export type IngestResult =
  | { status: 'applied'; event: LeaseEvent }
  | { status: 'duplicate' | 'stale'; ifname: string }
  | { status: 'rejected'; reason: RejectReason; detail: string; ifname?: string }
  /** The store could not commit (disk full, read-only): nothing is acknowledged. */
  | { status: 'unavailable'; detail: string };

/** What subscribers receive (PUB topic = `tr181Event`), and what history stores. */
export interface LeaseEvent {
  /** `Device.DHCPv4.Client.1.Events` / `Device.DHCPv6.Client.1.Events`. */
  tr181Event: string;
  ifname: string;
  version: 4 | 6;
  msgType: number;
  msgTypeName: MsgTypeName;
  /** ms since epoch. */
  time: number;
  /** The lease after the change (a LEASE_DEL carries what was removed). */
  lease: Record<string, unknown>;
  /** Why: 'bound', 'renew', 'deconfig', 'expired-by-manager', ... */
  cause: string;
}

/** What an applier is asked to make true on the system; it never changes the model. */
export type LeaseChange =
  | { version: 4; ifname: string; action: 'set'; address: string; prefixLength: number; broadcast: string; routers: string[]; mtu?: number;
    /** The lease's resolvers, and its staticRoutes text (option 121/249 `dst/len gw ...` or option 33 `dst/gw ...`). */
    dnsServers?: string[]; staticRoutes?: string }
  | { version: 4; ifname: string; action: 'clear'; address?: string; prefixLength?: number }
  | { version: 6; ifname: string; action: 'set'; address?: { address: string; preferred: number; valid: number }; prefix?: { prefix: string; length: number; preferred: number; valid: number };
    /** Options 23 and 24 as the lease holds them after this message. */
    dnsServers?: string[]; domains?: string[] }
  | { version: 6; ifname: string; action: 'clear'; address?: string; prefix?: { prefix: string; length: number } };

export interface Applier {
  /** Queue the change; per interface applied in order; failures are logged and counted, never thrown. */
  apply(change: LeaseChange): void;
  /** Resolves when every queued change finished (used at shutdown and in tests). */
  idle(): Promise<void>;
  readonly name: string;
  /** At start, after the model is restored: make the system match it (appliers/reconcile.ts). */
  reconcile?(model: ModelView): void;
  /** Extra fields for `status` (what the applier manages, its last problems). */
  status?(): Record<string, unknown>;
  /** At stop, after idle(): drop timers (state that must survive is in the applier's ledger). */
  close?(): void;
}

/** What an applier may read of the restored model at start. */
export interface ModelView {
  leases(): LeaseView[];
  get(paths: string[]): { ok: true; values: ParamValue[] } | { ok: false; error: string };
}

export interface EventSink {
  publish(event: LeaseEvent): void;
  /** Validation rejects go out on their own topic (`dhcpmgr.reject`). */
  publishReject(reject: { reason: RejectReason; detail: string; ifname?: string; channel: Channel; time: number }): void;
}

export interface ParamValue {
  path: string;
  value: string | number | boolean;
  type: 'string' | 'unsignedInt' | 'int' | 'boolean' | 'dateTime';
}

/** The engine's own options; the store it works on is opened by the caller (store/durable.ts, or a test). */
export interface EngineOptions {
  abi: Abi | 'auto';
  /** Allow-list; instances for these are created at start. Empty/undefined: any valid name. */
  interfaces?: string[];
  /** Wall clock (ms since the epoch) for display; alone (tests), it also drives the monotonic clock. */
  clock?: () => number;
  /** Most interface instances; a message that would add one more is refused (TOO_MANY_INTERFACES). Undefined: no cap. */
  maxInterfaces?: number;
  /** Wall + CLOCK_MONOTONIC + boot id (model/clock.ts); default: the system's. */
  leaseClock?: import('./model/clock').LeaseClock;
}

/** One row per (ifname, version) for `leases()` / `dhcp-manager leases`. */
export interface LeaseView {
  ifname: string;
  version: 4 | 6;
  /** The interface's instance number (the `{i}` in Device.DHCPv4.Client.{i}., Device.IP.Interface.{i}.). */
  instance: number;
  /** 'bound' while the lease holds an address or prefix, 'none' otherwise. */
  status: 'bound' | 'none';
  /** v4: the last dhcpState (bound, renew, deconfig...); v6: the last cause (add, update, expired-by-manager...). */
  state: string;
  addresses: Array<{
    kind: 'ipv4' | 'ia_na' | 'ia_pd';
    /** 'a.b.c.d/len', 'addr/128' for IA_NA, 'prefix/len' for IA_PD. */
    value: string;
    /** Seconds left; -1 = infinite. */
    preferredRemaining: number;
    validRemaining: number;
  }>;
  dnsServers: string[];
  /** ms since epoch of the last change to this row. */
  updatedAt: number;
}

/** `engine.stats()`: counters since open plus store health. */
export interface EngineStats {
  applied: number;
  duplicates: number;
  stale: number;
  unavailable: number;
  rejected: Partial<Record<RejectReason, number>>;
  /** Leases, addresses and prefixes removed by expireDue(). */
  expired: number;
  activeLeases: { v4: number; v6: number };
  interfaces: number;
  storePath: string;
  /** Last failed commit, if any (cleared by the next good commit: see storeHealthy). */
  lastCommitError?: { time: number; message: string };
  storeHealthy: boolean;
  /** Set when the store's files were unusable at start and moved aside (store/recover.ts). */
  storeRecovery?: { reason: 'corrupt' | 'newer-schema' | 'foreign-wal'; detail: string; movedAside: string[]; time: string };
}
