import { ApplicationFailure } from '@temporalio/common';
import { ContractError } from '../lib/errors';
import { failureTypes } from '../lib/pure/failures';

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
