import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger } from 'pino';

/**
 * Structured JSON logs on stderr (or appended to `file`) (stdout is reserved for a command's result). One root logger per
 * process; components take a child: `log.child({ component: 'hdfs' })`.
 */
export function createLogger(level: LogLevel = 'info', bindings: Record<string, unknown> = {}, file?: string): Logger {
  const destination = file ? pino.destination({ dest: file, append: true, mkdir: true, sync: true }) : pino.destination({ fd: 2, sync: true });
  return pino({ level, base: { pid: process.pid, ...bindings }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** A logger that drops everything: the default for library code a caller gave none. */
export const silentLogger: Logger = pino({ level: 'silent' });
