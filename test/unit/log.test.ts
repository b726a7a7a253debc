import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { HiveError } from '../../lib/errors';
import { createLogger } from '../../lib/log';
import { sdkLogger } from '../../workers/temporal-worker';

async function loggedLines(write: (log: ReturnType<typeof createLogger>) => unknown): Promise<Record<string, unknown>[]> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'qpipe-log-')), 'log.jsonl');
  await write(createLogger('info', { app: 'qpipe' }, file));
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the structured log', () => {
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
