import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../lib/config';
import { HiveError } from '../../lib/errors';
import { HiveClient, operationStates } from '../../lib/hive-client';

// The Hive client's polling against a scripted driver (the Thrift calls it makes): no server here.

const ok = { statusCode: 0 };
const error = operationStates.indexOf('ERROR');

/** A HiveClient whose session is open on a driver answering GetOperationStatus with `statuses`, one per call (the last repeats). */
function scriptedClient(statuses: object[]): { client: HiveClient; polls: () => number } {
  const client = new HiveClient(loadConfig({ ...process.env, QPIPE_HIVE_POLL_INTERVAL_MS: '10' }).hive);
  let polls = 0;
  const driver = {
    executeStatement: async () => ({ status: ok, operationHandle: { hasResultSet: false } }),
    getOperationStatus: async () => ({ status: ok, ...statuses[Math.min(polls++, statuses.length - 1)] }),
    closeOperation: async () => ({ status: ok }),
    cancelOperation: async () => ({ status: ok }),
  };
  Object.assign(client as unknown as Record<string, unknown>, { phase: 'open', session: {}, driver });
  return { client, polls: () => polls };
}

describe('HiveClient statement polling', () => {
  it('waits for the message of a statement that ended in ERROR: Spark sets the state before it stores the exception', async () => {
    const message = 'Error running query: [TABLE_OR_VIEW_NOT_FOUND] The table or view `db`.`t` cannot be found. SQLSTATE: 42P01';
    const { client, polls } = scriptedClient([{ operationState: error }, { operationState: error }, { operationState: error, errorMessage: message, sqlState: '42P01' }]);
    const failure = await client.execute('SELECT * FROM db.t').catch((caught: unknown) => caught);
    expect(failure).toBeInstanceOf(HiveError);
    expect(failure).toMatchObject({ sqlState: '42P01' });
    expect((failure as Error).message).toContain('TABLE_OR_VIEW_NOT_FOUND');
    expect(polls()).toBe(3);
  });

  it('gives up waiting for the message after a bounded number of polls', async () => {
    const { client, polls } = scriptedClient([{ operationState: error }]);
    await expect(client.execute('SELECT 1')).rejects.toThrow('the statement ended in state ERROR');
    expect(polls()).toBe(21);
  });
});
