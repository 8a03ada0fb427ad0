/**
 * The plugins' logger: pino writing synchronously, because a plugin process exits right after
 * its one send and an asynchronous destination would lose the last lines. Always to stderr
 * (udhcpc and dibbler pass it on to their own log); optionally also appended to a file.
 */
import pino, { Logger } from 'pino';

export interface PluginLogOptions {
  name: string;
  level?: string;
  file?: string;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function createPluginLogger(opts: PluginLogOptions): Logger {
  const level = opts.level && (LOG_LEVELS as readonly string[]).includes(opts.level) ? opts.level : 'info';
  const stderr = pino.destination({ dest: 2, sync: true });
  if (!opts.file) return pino({ name: opts.name, level, base: { pid: process.pid } }, stderr);
  let file;
  try {
    file = pino.destination({ dest: opts.file, sync: true, append: true, mkdir: true });
  } catch (err) {
    const log = pino({ name: opts.name, level, base: { pid: process.pid } }, stderr);
    log.warn({ file: opts.file, err: (err as Error).message }, 'cannot open log file; logging to stderr only');
    return log;
  }
  return pino(
    { name: opts.name, level, base: { pid: process.pid } },
    pino.multistream([{ stream: stderr, level: level as pino.Level }, { stream: file, level: level as pino.Level }]),
  );
}
