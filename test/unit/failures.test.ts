import { describe, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { classifyFailures } from '../../activities/failures';
import { HiveError, HdfsError } from '../../lib/errors';
import { isDeterministicSqlState } from '../../lib/pure/failures';

const run = (error: unknown) => classifyFailures.execute!({ args: [], headers: {} }, () => Promise.reject(error)).catch((thrown: unknown) => thrown);

describe('failure classification', () => {
  it('knows the SQLSTATEs a retry meets again (42P01, 42601, 42703, 42K03, 22018 and 22012 as the Thrift Server gave them) from the others', () => {
    for (const state of ['42P01', '42601', '42703', '42K03', '22018', '22012', '21506', '23505', '0A000', '0a000']) expect([state, isDeterministicSqlState(state)]).toEqual([state, true]);
    for (const state of ['08S01', '2D521', 'XX000', 'HY000', '40001', undefined]) expect([state, isDeterministicSqlState(state)]).toEqual([state, false]);
  });

  it('makes a refused statement, or an error that wraps one, a final SQL_REJECTED failure; leaves transient errors as they are', async () => {
    const refused = new HiveError('[TABLE_OR_VIEW_NOT_FOUND] The table or view `q`.`t` cannot be found.', 'SELECT * FROM q.t', '42P01', 0);
    for (const error of [refused, new Error('the step failed', { cause: refused })]) {
      const thrown = await run(error);
      expect(thrown).toBeInstanceOf(ApplicationFailure);
      expect(thrown).toMatchObject({ type: 'SQL_REJECTED', nonRetryable: true, message: '[TABLE_OR_VIEW_NOT_FOUND] The table or view `q`.`t` cannot be found. (SQLSTATE 42P01)' });
    }
    const lost = new HiveError('connection reset', undefined, '08S01', 0);
    const hdfs = new HdfsError('safe mode', 'CREATE', '/x', 403, 'SafeModeException');
    for (const error of [lost, hdfs]) expect(await run(error)).toBe(error);
    await expect(classifyFailures.execute!({ args: [], headers: {} }, () => Promise.resolve(7))).resolves.toBe(7);
  });
});
