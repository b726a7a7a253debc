import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HiveError } from '../../lib/errors';
import { createLogger } from '../../lib/log';

function loggedLines(write: (log: ReturnType<typeof createLogger>) => void): Record<string, unknown>[] {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'qpipe-log-')), 'log.jsonl');
  write(createLogger('info', { app: 'qpipe' }, file));
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('createLogger', () => {
  it("writes an Error under the Temporal SDK's `error` key with its type, message and fields", () => {
    // The SDK's "Activity failed" line carries the failure as `{ error }`; plain JSON would print it without a message.
    const [line] = loggedLines((log) => log.warn({ component: 'temporal-sdk', error: new HiveError('[TABLE_OR_VIEW_NOT_FOUND] q_dwh.nope', 'SELECT * FROM q_dwh.nope', '42P01') }, 'Activity failed'));
    const error = line!.error as Record<string, unknown>;
    expect(error.type).toBe('HiveError');
    expect(error.message).toBe('[TABLE_OR_VIEW_NOT_FOUND] q_dwh.nope');
    expect(error.sqlState).toBe('42P01');
    expect(error.statement).toBe('SELECT * FROM q_dwh.nope');
    expect(String(error.stack)).toContain('HiveError: [TABLE_OR_VIEW_NOT_FOUND]');
    expect(line!.msg).toBe('Activity failed');
  });

  it('writes an Error under `err` the same way, and other fields as they are', () => {
    const [line] = loggedLines((log) => log.error({ err: new Error('boom', { cause: new Error('root') }), topic: 'app_logs', partition: 2 }, 'flush failed'));
    expect((line!.err as Record<string, unknown>).message).toBe('boom: root');
    expect(line).toMatchObject({ topic: 'app_logs', partition: 2, app: 'qpipe', level: 50 });
  });
});
