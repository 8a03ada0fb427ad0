/**
 * The plugins' logger: pino writing synchronously, because a plugin process exits right after
 * its one send and an asynchronous destination would lose the last lines. Always to stderr
 * (udhcpc and dibbler pass it on to their own log); optionally also appended to a file.
 *
 * Lazy: udhcpc waits for the plugin on every event, and on the normal path (a delivered event
 * at the default level `info`) nothing is logged. So pino is loaded, and the log file opened,
 * only when the first line at an enabled level is written (docs/performance.md: loading pino is
 * a large share of the plugin's start-up).
 */
import type { Level, Logger } from 'pino';
import { isLogLevel } from '../levels';

export interface PluginLogOptions {
  name: string;
  level?: string;
  file?: string;
}

/** pino's numeric levels. */
const VALUES: Record<string, number> = { fatal: 60, error: 50, warn: 40, info: 30, debug: 20, trace: 10, silent: Infinity };

function createPino(name: string, level: string, file: string | undefined): Logger {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pino = require('pino') as typeof import('pino');
  const stderr = pino.destination({ dest: 2, sync: true });
  if (!file) return pino({ name, level, base: { pid: process.pid } }, stderr);
  let dest;
  try {
    dest = pino.destination({ dest: file, sync: true, append: true, mkdir: true });
  } catch (err) {
    const log = pino({ name, level, base: { pid: process.pid } }, stderr);
    log.warn({ file, err: (err as Error).message }, 'cannot open log file; logging to stderr only');
    return log;
  }
  return pino(
    { name, level, base: { pid: process.pid } },
    pino.multistream([{ stream: stderr, level: level as Level }, { stream: dest, level: level as Level }]),
  );
}

export function createPluginLogger(opts: PluginLogOptions): Logger {
  const level = isLogLevel(opts.level) ? opts.level : 'info';
  const threshold = VALUES[level]!;
  let real: Logger | undefined;
  const get = (): Logger => (real ??= createPino(opts.name, level, opts.file));
  const method = (name: Exclude<Level, never>) => (...args: unknown[]): void => {
    if (VALUES[name]! >= threshold) (get()[name] as (...a: unknown[]) => void)(...args);
  };
  const lazy = {
    level,
    fatal: method('fatal'), error: method('error'), warn: method('warn'),
    info: method('info'), debug: method('debug'), trace: method('trace'),
    silent: (): void => undefined,
    isLevelEnabled: (l: string): boolean => (VALUES[l] ?? Infinity) >= threshold,
    child: (bindings: Record<string, unknown>, o?: object) => get().child(bindings, o),
    flush: (cb?: (err?: Error) => void): void => { if (real) real.flush(cb); else cb?.(); },
  };
  return lazy as unknown as Logger;
}
