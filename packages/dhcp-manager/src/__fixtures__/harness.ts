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
import { IN_MEMORY } from '../store/files';
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
  clock: { now: number };
  /** Close and open again on the same state dir (fresh metrics, sink and log). */
  reopen(extra?: HarnessOptions): Harness;
  cleanup(): void;
}

export type HarnessOptions = Partial<EngineOptions> & { historyPerInterface?: number };

export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

/** On a state dir (`dir`, or a new temp dir removed by cleanup()); reopen() sees what was committed. */
export function harness(extra: HarnessOptions = {}, dir?: string, clock = { now: T0 }): Harness {
  const stateDir = dir ?? mkdtempSync(join(tmpdir(), 'dhcpmgr-engine-'));
  try {
    return build(extra, stateDir, clock);
  } catch (err) {
    if (dir === undefined) rmSync(stateDir, { recursive: true, force: true });
    throw err;
  }
}

/** On SQLite in memory: no files; reopen() is not possible. */
export function memoryHarness(extra: HarnessOptions = {}, clock = { now: T0 }): Harness {
  return build(extra, IN_MEMORY, clock);
}

function build(extra: HarnessOptions, stateDir: string, clock: { now: number }): Harness {
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
  const store = new Store({ stateDir, durability: 'normal', historyPerInterface: historyPerInterface ?? 100 });
  let engine: Engine;
  try {
    engine = new Engine(store, { abi: 'auto', clock: () => clock.now, ...opts }, { logger, metrics, sink, applier });
  } catch (err) {
    store.close();
    throw err;
  }
  const memory = stateDir === IN_MEMORY;
  return {
    engine, store, metrics, events, rejects, changes, logLines, stateDir, clock,
    reopen: (more = {}) => {
      if (memory) throw new Error('an in-memory harness cannot be reopened');
      store.close();
      return harness({ ...extra, ...more }, stateDir, clock);
    },
    cleanup: () => { store.close(); if (!memory) rmSync(stateDir, { recursive: true, force: true }); },
  };
}

/** The value of one TR-181 parameter (throws when missing, so a test fails loudly). */
export function param(engine: Engine, path: string): string | number | boolean {
  const r = engine.get([path]);
  if (!r.ok) throw new Error(r.error);
  return r.values[0]!.value;
}
