import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger } from 'pino';

const errorSerializers = { err: pino.stdSerializers.err, error: pino.stdSerializers.err };

/** The run a piece of work belongs to (workflow id, run id, slot, …): every log line written inside it carries these fields. */
const runContext = new AsyncLocalStorage<Readonly<Record<string, unknown>>>();

/** Runs `work` with `fields` (and the enclosing context's) added to every log line it writes, through any logger of this module. */
export function withLogContext<T>(fields: Readonly<Record<string, unknown>>, work: () => T): T {
  return runContext.run({ ...runContext.getStore(), ...fields }, work);
}

/**
 * Structured JSON logs on stderr (or appended to `file`) (stdout is reserved for a command's result). One root logger per
 * process; components take a child: `log.child({ component: 'hdfs' })`. An Error under `err` or `error` (the key the
 * Temporal SDK's "Activity failed" line uses) is written with its type, message, stack and fields, not as `{}`.
 */
export function createLogger(level: LogLevel = 'info', bindings: Record<string, unknown> = {}, file?: string): Logger {
  const destination = file ? pino.destination({ dest: file, append: true, mkdir: true, sync: true }) : pino.destination({ fd: 2, sync: true });
  return pino({ level, base: { pid: process.pid, ...bindings }, timestamp: pino.stdTimeFunctions.isoTime, serializers: errorSerializers, mixin: () => runContext.getStore() ?? {} }, destination);
}

/** A logger that drops everything: the default for library code a caller gave none. */
export const silentLogger: Logger = pino({ level: 'silent' });
