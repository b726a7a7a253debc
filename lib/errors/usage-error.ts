import { QpipeError } from './qpipe-error';

/**
 * A command's argument or option is malformed or does not fit the others (a date that is not a
 * date, `--date` with `--from`, an unknown query name); `argument` names it. Never retried.
 */
export class UsageError extends QpipeError {
  constructor(
    readonly argument: string,
    reason: string,
  ) {
    super(`${argument}: ${reason}`, { argument });
  }
}
