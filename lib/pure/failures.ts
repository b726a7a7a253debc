/**
 * The failure types a retry cannot mend, in one list: activities throw them as non-retryable
 * `ApplicationFailure`s, and every workflow's retry policy names them (with the config error).
 */
export const failureTypes = { contractBroken: 'CONTRACT_BROKEN', invalidInput: 'INVALID_INPUT' } as const;
