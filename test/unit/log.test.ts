import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { HiveError } from '../../lib/errors';
import { createLogger } from '../../lib/log';
import { inRunLogContext, sdkLogger } from '../../workers/temporal-worker';

async function loggedLines(write: (log: ReturnType<typeof createLogger>) => unknown): Promise<Record<string, unknown>[]> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'qpipe-log-')), 'log.jsonl');
  await write(createLogger('info', { app: 'qpipe' }, file));
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the structured log', () => {
  it("writes a workflow's own info line at info, with the slot its fields name; the SDK's own info lines at debug", async () => {
    const lines = await loggedLines((log) => {
      const sdk = sdkLogger('info', log);
      sdk.info('hourly batch done', { sdkComponent: 'workflow', workflowId: 'hourly-batch-2026-12-05T05', runId: 'run-1', hour: '2026-12-05T05' });
      sdk.info('Worker state changed', { sdkComponent: 'worker', state: 'RUNNING' });
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, msg: 'hourly batch done', workflowId: 'hourly-batch-2026-12-05T05', runId: 'run-1', slot: '2026-12-05T05' });
  });

  it("puts the run's workflow id, run id, activity, attempt and slot on every line an activity writes, through any logger, and nothing outside it", async () => {
    const info = { activityType: 'processBatch', attempt: 2, workflowExecution: { workflowId: 'hourly-batch-2026-12-05T05', runId: 'run-1' } };
    const lines = await loggedLines(async (log) => {
      const hdfsLog = log.child({ component: 'hdfs' });
      const environment = new MockActivityEnvironment(info, { interceptors: [() => ({ inbound: inRunLogContext })] });
      await environment.run(async (batchId: string) => {
        log.info({ batchId }, 'inside');
        await new Promise((resolve) => setTimeout(resolve, 5));
        hdfsLog.warn('after an await, from a child logger');
      }, '2026-12-05T05');
      log.info('outside');
    });
    const run = { workflowId: 'hourly-batch-2026-12-05T05', runId: 'run-1', activity: 'processBatch', attempt: 2, slot: '2026-12-05T05' };
    expect(lines.find((line) => line.msg === 'inside')).toMatchObject(run);
    expect(lines.find((line) => line.msg === 'after an await, from a child logger')).toMatchObject({ ...run, component: 'hdfs' });
    expect(lines.find((line) => line.msg === 'outside')).not.toHaveProperty('workflowId');
  });

  it("writes the Temporal SDK's \"Activity failed\" line with the error's type, message and fields", async () => {
    // The SDK's own Activity runner, logging through the worker's sdkLogger; it puts the failure under `error`.
    const failure = new HiveError('[TABLE_OR_VIEW_NOT_FOUND] q_dwh.nope', 'SELECT * FROM q_dwh.nope', '42P01');
    const lines = await loggedLines((log) => expect(new MockActivityEnvironment({}, { logger: sdkLogger('info', log) }).run(() => Promise.reject(failure))).rejects.toBe(failure));
    const line = lines.find((entry) => entry.msg === 'Activity failed');
    expect(line).toMatchObject({ component: 'temporal-sdk', level: 40 });
    const error = line!.error as Record<string, unknown>;
    expect(error.type).toBe('HiveError');
    expect(error.message).toBe('[TABLE_OR_VIEW_NOT_FOUND] q_dwh.nope');
    expect(error.sqlState).toBe('42P01');
    expect(error.statement).toBe('SELECT * FROM q_dwh.nope');
    expect(String(error.stack)).toContain('HiveError: [TABLE_OR_VIEW_NOT_FOUND]');
  });

  it('writes an Error under `err` the same way, and other fields as they are', async () => {
    const [line] = await loggedLines((log) => log.error({ err: new Error('boom', { cause: new Error('root') }), topic: 'app_logs', partition: 2 }, 'flush failed'));
    expect((line!.err as Record<string, unknown>).message).toBe('boom: root');
    expect(line).toMatchObject({ topic: 'app_logs', partition: 2, app: 'qpipe', level: 50 });
  });
});
