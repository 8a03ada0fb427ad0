/**
 * `dhcp-manager start`: one pino root logger, the daemon, and the signals. SIGTERM/SIGINT stop
 * it cleanly (exit 0); SIGHUP reopens the log file (logrotate's copy-less rotation).
 */
import pino from 'pino';
import type { Config } from '../config';
import type { Io } from './index';

export function makeLogger(config: Pick<Config, 'logLevel' | 'logFile'>): { logger: pino.Logger; reopen: () => void; flush: () => void } {
  const dest = config.logFile
    ? pino.destination({ dest: config.logFile, mkdir: true, sync: false })
    : pino.destination({ dest: 1, sync: true });
  const logger = pino({ level: config.logLevel, base: { pid: process.pid, name: 'dhcp-manager' } }, dest);
  return {
    logger,
    reopen: () => { if (config.logFile) dest.reopen(); },
    flush: () => { try { dest.flushSync(); } catch { /* sync destinations have nothing pending */ } },
  };
}

export async function runDaemon(config: Config, io: Io): Promise<number> {
  const { logger, reopen, flush } = makeLogger(config);
  const { startDaemon } = require('../daemon') as typeof import('../daemon');
  let daemon;
  try {
    daemon = await startDaemon(config, logger);
  } catch (err) {
    logger.fatal({ err }, 'cannot start');
    flush();
    io.stderr(`dhcp-manager: cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  const d = daemon;
  return new Promise<number>((resolve) => {
    const onStop = (signal: NodeJS.Signals): void => {
      process.removeListener('SIGTERM', onStop);
      process.removeListener('SIGINT', onStop);
      process.removeListener('SIGHUP', onHup);
      d.stop(signal).then(() => { flush(); resolve(0); }, (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        flush();
        resolve(1);
      });
    };
    const onHup = (): void => {
      reopen();
      logger.info({ component: 'daemon', signal: 'SIGHUP' }, 'logs reopened');
    };
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    process.on('SIGHUP', onHup);
  });
}
