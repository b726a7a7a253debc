import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { stackSmoke } from '../../workflows';
import { createTimeSkippingEnv, workflowsPath } from '../helpers/temporal';

type SmokeActivities = Pick<Activities, 'hdfsRoundTrip' | 'warehousePing'>;

describe('stackSmoke workflow', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });

  afterAll(async () => {
    await env?.teardown();
  });

  async function run(activities: SmokeActivities, token: string) {
    const taskQueue = `smoke-${token}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities });
    return worker.runUntil(env.client.workflow.execute(stackSmoke, { workflowId: `stack-smoke-${token}`, taskQueue, args: [{ token }] }));
  }

  it('returns what the HDFS and warehouse activities report', async () => {
    const calls: string[] = [];
    const result = await run(
      {
        async hdfsRoundTrip(token) {
          calls.push(`hdfs:${token}`);
          return { path: `/qpipe/smoke/${token}.txt`, bytes: 17 };
        },
        async warehousePing() {
          calls.push('hive');
          return 2;
        },
      },
      'ok',
    );
    expect(result).toEqual({ hdfsPath: '/qpipe/smoke/ok.txt', hdfsBytes: 17, two: 2 });
    expect(calls).toEqual(['hdfs:ok', 'hive']);
  });

  it('retries a transient activity failure with backoff and then succeeds', async () => {
    let attempts = 0;
    const result = await run(
      {
        async hdfsRoundTrip(token) {
          attempts += 1;
          if (attempts < 3) throw new Error('connection refused');
          return { path: `/qpipe/smoke/${token}.txt`, bytes: 1 };
        },
        warehousePing: async () => 2,
      },
      'retry',
    );
    expect(attempts).toBe(3);
    expect(result.hdfsBytes).toBe(1);
  });

  it('fails without retrying when an activity reports a non-retryable contract failure', async () => {
    let attempts = 0;
    const failure = await run(
      {
        async hdfsRoundTrip() {
          attempts += 1;
          throw ApplicationFailure.nonRetryable('bad token', 'INVALID_INPUT');
        },
        warehousePing: async () => 2,
      },
      'broken',
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const activityFailure = (failure as WorkflowFailedError).cause;
    expect(activityFailure).toBeInstanceOf(ActivityFailure);
    expect(((activityFailure as ActivityFailure).cause as ApplicationFailure).type).toBe('INVALID_INPUT');
    expect(attempts).toBe(1);
  });
});
