import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor } from '@temporalio/worker';
import { ContractError, HiveError } from '../lib/errors';
import { failureTypes, isDeterministicSqlState } from '../lib/pure/failures';

export { failureTypes };

/** Runs `work`; a broken contract (`ContractError`) becomes a non-retryable `CONTRACT_BROKEN` failure. */
export async function contractBrokenIsFinal<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ContractError) throw ApplicationFailure.create({ message: error.message, type: failureTypes.contractBroken, nonRetryable: true, cause: error });
    throw error;
  }
}

/**
 * Classifies what an activity throws, for every activity of the worker: a statement Spark refused
 * for a reason a retry meets again (see `isDeterministicSqlState`) becomes a non-retryable
 * `SQL_REJECTED` failure with the server's message and SQLSTATE; anything else is left as it is
 * (transient faults retry by the workflow's policy).
 */
export const classifyFailures: ActivityInboundCallsInterceptor = {
  async execute(input, next) {
    try {
      return await next(input);
    } catch (error) {
      const refused = hiveErrorIn(error);
      if (refused && isDeterministicSqlState(refused.sqlState)) {
        throw ApplicationFailure.create({ message: `${refused.message} (SQLSTATE ${refused.sqlState})`, type: failureTypes.sqlRejected, nonRetryable: true, cause: error as Error });
      }
      throw error;
    }
  },
};

/** The HiveError an error is or wraps (its `cause` chain), if any. */
function hiveErrorIn(error: unknown): HiveError | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 10; current = current.cause, depth += 1) {
    if (current instanceof HiveError) return current;
  }
  return undefined;
}
