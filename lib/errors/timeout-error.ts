import { QpipeError } from './qpipe-error';

/** An operation against a service did not finish within its deadline. Transient: retry it. */
export class TimeoutError extends QpipeError {
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
    context: Record<string, unknown> = {},
  ) {
    super(`${operation} did not finish within ${timeoutMs} ms`, { operation, timeoutMs, ...context });
  }
}
