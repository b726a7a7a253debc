import { QpipeError } from './qpipe-error';

/** A local stack service could not be installed, started or reached; `logTail` is the end of its log. */
export class StackError extends QpipeError {
  constructor(
    readonly service: string,
    message: string,
    readonly logTail = '',
    options?: { cause?: unknown },
  ) {
    super(`${service}: ${message}`, { service }, options);
  }
}
