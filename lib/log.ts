import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger } from 'pino';

const errorSerializers = { err: pino.stdSerializers.err, error: pino.stdSerializers.err };

/**
 * Structured JSON logs on stderr (or appended to `file`) (stdout is reserved for a command's result). One root logger per
 * process; components take a child: `log.child({ component: 'hdfs' })`. An Error under `err` or `error` (the key the
 * Temporal SDK's "Activity failed" line uses) is written with its type, message, stack and fields, not as `{}`.
 */
export function createLogger(level: LogLevel = 'info', bindings: Record<string, unknown> = {}, file?: string): Logger {
  const destination = file ? pino.destination({ dest: file, append: true, mkdir: true, sync: true }) : pino.destination({ fd: 2, sync: true });
  return pino({ level, base: { pid: process.pid, ...bindings }, timestamp: pino.stdTimeFunctions.isoTime, serializers: errorSerializers }, destination);
}

/** A logger that drops everything: the default for library code a caller gave none. */
export const silentLogger: Logger = pino({ level: 'silent' });
