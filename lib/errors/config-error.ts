import { QpipeError } from './qpipe-error';

/** A configuration value is missing or malformed; `variable` names it. Never retried. */
export class ConfigError extends QpipeError {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`${variable}: ${reason}`, { variable });
  }
}
