/**
 * A real engine on a real store (a temp state dir, or SQLite in memory), with recording
 * sink/applier and a captured pino log.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import pino from 'pino';
import { Writable } from 'stream';
import type { Applier, EngineOptions, EventSink, LeaseChange, LeaseEvent } from '../contract';
import { Engine } from '../engine';
import { ManagerMetrics } from '../metrics';
import { LeaseClock, SYSTEM_CLOCK } from '../model/clock';
import { IN_MEMORY } from '../store/files';
import { StoreKeeper } from '../store/keeper';
import { Store } from '../store/store';

export interface Harness {
  engine: Engine;
  store: Store;
  metrics: ManagerMetrics;
  events: LeaseEvent[];
  rejects: Array<Parameters<EventSink['publishReject']>[0]>;
  changes: LeaseChange[];
  logLines: string[];
  stateDir: string;
  clock: HarnessClock;
  /** Close and open again on the same state dir (fresh metrics, sink and log). */
  reopen(extra?: HarnessOptions): Harness;
  cleanup(): void;
}

export type HarnessOptions = Partial<EngineOptions> & { historyPerInterface?: number };

export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

/** `now`: wall ms; `mono` (CLOCK_MONOTONIC ms) follows `now` unless set; `boot` defaults to this host's. */
export interface HarnessClock { now: number; mono?: number; boot?: string }

/** On a state dir (`dir`, or a new temp dir removed by cleanup()); reopen() sees what was committed. */
export function harness(extra: HarnessOptions = {}, dir?: string, clock: HarnessClock = { now: T0 }): Harness {
  const stateDir = dir ?? mkdtempSync(join(tmpdir(), 'dhcpmgr-engine-'));
  try {
    return build(extra, stateDir, clock);
  } catch (err) {
    if (dir === undefined) rmSync(stateDir, { recursive: true, force: true });
    throw err;
  }
}

/** On SQLite in memory: no files; reopen() is not possible. */
export function memoryHarness(extra: HarnessOptions = {}, clock: HarnessClock = { now: T0 }): Harness {
  return build(extra, IN_MEMORY, clock);
}

function build(extra: HarnessOptions, stateDir: string, clock: HarnessClock): Harness {
  const metrics = new ManagerMetrics();
  const events: LeaseEvent[] = [];
  const rejects: Harness['rejects'] = [];
  const changes: LeaseChange[] = [];
  const logLines: string[] = [];
  const dest = new Writable({ write(chunk, _enc, cb) { logLines.push(...String(chunk).split('\n').filter(Boolean)); cb(); } });
  const logger = pino({ level: 'info' }, dest);
  const sink: EventSink = { publish: (e) => events.push(e), publishReject: (r) => rejects.push(r) };
  const applier: Applier = { name: 'record', apply: (c) => changes.push(c), idle: async () => undefined };
  const { historyPerInterface, ...opts } = extra;
  const memory = stateDir === IN_MEMORY;
  const leaseClock: LeaseClock = { wall: () => clock.now, mono: () => clock.mono ?? clock.now, get boot() { return clock.boot ?? SYSTEM_CLOCK.boot; } };
  // On files: the store as the daemon has it (recovery at open, the state-dir guard before each commit).
  const storeOpts = { stateDir, durability: 'normal' as const, historyPerInterface: historyPerInterface ?? 100, clock: leaseClock };
  const keeper = memory ? undefined : new StoreKeeper(storeOpts);
  const memStore = memory ? new Store(storeOpts) : undefined;
  const current = (): Store => keeper?.store ?? memStore!;
  let engine: Engine;
  const store = current();
  try {
    engine = new Engine(store, { abi: 'auto', clock: () => clock.now, leaseClock, ...opts }, { logger, metrics, sink, applier, ...(keeper ? { keeper } : {}) });
  } catch (err) {
    current().close();
    throw err;
  }
  return {
    engine, metrics, events, rejects, changes, logLines, stateDir, clock,
    get store() { return current(); },
    reopen: (more = {}) => {
      if (memory) throw new Error('an in-memory harness cannot be reopened');
      current().close();
      return harness({ ...extra, ...more }, stateDir, clock);
    },
    cleanup: () => { current().close(); if (!memory) rmSync(stateDir, { recursive: true, force: true }); },
  };
}

/** The value of one TR-181 parameter (throws when missing, so a test fails loudly). */
export function param(engine: Engine, path: string): string | number | boolean {
  const r = engine.get([path]);
  if (!r.ok) throw new Error(r.error);
  return r.values[0]!.value;
}
