/** A real engine on a temp state dir, with recording sink/applier and a captured pino log. */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import pino from 'pino';
import { Writable } from 'stream';
import type { Applier, EngineOptions, EventSink, LeaseChange, LeaseEvent } from '../contract';
import { Engine } from '../engine';
import { ManagerMetrics } from '../metrics';
import { SYSTEM_CLOCK } from '../model/clock';

export interface Harness {
  engine: Engine;
  metrics: ManagerMetrics;
  events: LeaseEvent[];
  rejects: Array<Parameters<EventSink['publishReject']>[0]>;
  changes: LeaseChange[];
  logLines: string[];
  stateDir: string;
  clock: HarnessClock;
  /** Close and open again on the same state dir (fresh metrics, sink and log). */
  reopen(extra?: Partial<EngineOptions>): Harness;
  cleanup(): void;
}

export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

/** `now`: wall ms; `mono` (CLOCK_MONOTONIC ms) follows `now` unless set; `boot` defaults to this host's. */
export interface HarnessClock { now: number; mono?: number; boot?: string }

export function harness(extra: Partial<EngineOptions> = {}, dir?: string, clock: HarnessClock = { now: T0 }): Harness {
  const stateDir = dir ?? mkdtempSync(join(tmpdir(), 'dhcpmgr-engine-'));
  const metrics = new ManagerMetrics();
  const events: LeaseEvent[] = [];
  const rejects: Harness['rejects'] = [];
  const changes: LeaseChange[] = [];
  const logLines: string[] = [];
  const dest = new Writable({ write(chunk, _enc, cb) { logLines.push(...String(chunk).split('\n').filter(Boolean)); cb(); } });
  const logger = pino({ level: 'info' }, dest);
  const sink: EventSink = { publish: (e) => events.push(e), publishReject: (r) => rejects.push(r) };
  const applier: Applier = { name: 'record', apply: (c) => changes.push(c), idle: async () => undefined };
  let engine: Engine;
  try {
    const leaseClock = { wall: () => clock.now, mono: () => clock.mono ?? clock.now, get boot() { return clock.boot ?? SYSTEM_CLOCK.boot; } };
    engine = Engine.open({ stateDir, abi: 'auto', durability: 'normal', clock: () => clock.now, leaseClock, ...extra }, { logger, metrics, sink, applier });
  } catch (err) {
    if (dir === undefined) rmSync(stateDir, { recursive: true, force: true });
    throw err;
  }
  const h: Harness = {
    engine, metrics, events, rejects, changes, logLines, stateDir, clock,
    reopen: (more = {}) => { engine.close(); return harness({ ...extra, ...more }, stateDir, clock); },
    cleanup: () => { engine.close(); rmSync(stateDir, { recursive: true, force: true }); },
  };
  return h;
}

/** The value of one TR-181 parameter (throws when missing, so a test fails loudly). */
export function param(engine: Engine, path: string): string | number | boolean {
  const r = engine.get([path]);
  if (!r.ok) throw new Error(r.error);
  return r.values[0]!.value;
}
