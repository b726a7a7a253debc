import { QpipeError } from './qpipe-error';

/**
 * The warehouse or a job broke its contract: a query returned other columns than the ones
 * `specs/warehouse.md` promises. A code or schema fault, not a transient one: never retried.
 */
export class ContractError extends QpipeError {
  constructor(
    message: string,
    readonly what: string,
    context: Record<string, unknown> = {},
  ) {
    super(message, { what, ...context });
  }
}
