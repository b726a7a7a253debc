import { QpipeError } from './qpipe-error';

/**
 * A statement or session failed on the HiveServer2/Spark Thrift side. `message` carries the
 * server's own error text (Spark's AnalysisException and the like), `sqlState` its SQLSTATE.
 */
export class HiveError extends QpipeError {
  constructor(
    message: string,
    readonly statement?: string,
    readonly sqlState?: string,
    readonly errorCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, { statement, sqlState, errorCode }, options);
  }
}
