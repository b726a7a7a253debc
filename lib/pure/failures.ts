/**
 * The failure types a retry cannot mend, in one list: activities throw them as non-retryable
 * `ApplicationFailure`s, and every workflow's retry policy names them (with the config error).
 *
 * - `CONTRACT_BROKEN`: the data or the raw zone is not what the pipeline's contracts say.
 * - `INVALID_INPUT`: the run's own input (a batch id, a date) is wrong.
 * - `SQL_REJECTED`: Spark refused a statement for a reason the same statement meets again (see
 *   {@link isDeterministicSqlState}): a missing table or column, a syntax error, a bad cast.
 */
export const failureTypes = { contractBroken: 'CONTRACT_BROKEN', invalidInput: 'INVALID_INPUT', sqlRejected: 'SQL_REJECTED' } as const;

/**
 * SQLSTATE classes whose errors a retry meets again: 42 (syntax, analysis: a table, column or path
 * that does not exist), 22 (data: a cast, a division by zero), 21 (cardinality: a MERGE source row
 * matching twice), 23 (integrity), 0A (not supported). Everything else (08 connection, Delta's
 * 2D concurrent-commit conflicts, XX internal, none) may pass on a retry.
 */
const deterministicSqlStateClasses = new Set(['42', '22', '21', '23', '0A']);

/** Whether a statement that failed with `sqlState` would fail the same way again. */
export function isDeterministicSqlState(sqlState: string | undefined): boolean {
  return sqlState !== undefined && deterministicSqlStateClasses.has(sqlState.slice(0, 2).toUpperCase());
}
