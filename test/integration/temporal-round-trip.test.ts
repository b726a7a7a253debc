import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ActivityFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { loadConfig } from '../../lib/config';
import { HdfsClient } from '../../lib/hdfs-client';
import { silentLogger } from '../../lib/log';
import { batchLaneOf } from '../../lib/pure/slots';
import { createTemporalClient, createWorkerConnection } from '../../lib/temporal';
import { createQpipeWorker, type QpipeWorker } from '../../workers/temporal-worker';
import { dailyDump, hourlyBatch, stackSmoke } from '../../workflows';
import { hourlyBatchWorkflowId } from '../../workflows/hourly-batch';
import { workflowsPath } from '../helpers/temporal';

const config = loadConfig();

describe('a workflow round trip through the real Temporal dev server', () => {
  let client: Client;
  let qpipeWorker: QpipeWorker;
  const hdfs = new HdfsClient(config.hdfs, silentLogger);
  const taskQueue = `round-trip-${randomUUID().slice(0, 8)}`;
  const token = `it-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    client = await createTemporalClient(config.temporal);
    qpipeWorker = await createQpipeWorker({ ...config, temporal: { ...config.temporal, taskQueue } }, silentLogger);
  });

  afterAll(async () => {
    await hdfs.delete(`${config.hdfs.root}/smoke/${token}.txt`);
    await client.connection.close();
    await qpipeWorker.close();
  });

  it('runs stackSmoke on a real worker against HDFS and Spark, and its history replays deterministically', async () => {
    const workflowId = `stack-smoke-${token}`;
    const result = await qpipeWorker.runUntil(client.workflow.execute(stackSmoke, { workflowId, taskQueue, args: [{ token }] }));

    const expectedContent = `qpipe smoke ${token}\n`;
    expect(result).toEqual({ hdfsPath: `${config.hdfs.root}/smoke/${token}.txt`, hdfsBytes: Buffer.byteLength(expectedContent), two: 2 });
    expect(await hdfs.readText(result.hdfsPath)).toBe(expectedContent);

    const handle = client.workflow.getHandle(workflowId);
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    const history = await handle.fetchHistory();
    await expect(Worker.runReplayHistory({ workflowsPath }, history, workflowId)).resolves.toBeUndefined();
  });

  it('joins the running or completed workflow instead of starting a second one for the same id', async () => {
    const workflowId = `stack-smoke-${token}`;
    const second = await client.workflow
      .start(stackSmoke, { workflowId, taskQueue, args: [{ token }], workflowIdConflictPolicy: 'USE_EXISTING', workflowIdReusePolicy: 'REJECT_DUPLICATE' })
      .catch((error: Error) => error);
    expect(second).toBeInstanceOf(Error);
    expect((second as Error).name).toBe('WorkflowExecutionAlreadyStartedError');
  });

  it('a CLI run refuses to join a workflow of its id that runs on another deployment\'s task queue', async () => {
    // A run of another deployment (another task queue, no worker here) holds the hour's workflow id.
    const hour = `2001-01-${String(1 + (parseInt(token.slice(3, 7), 16) % 28)).padStart(2, '0')}T${String(parseInt(token.slice(7), 16) % 24).padStart(2, '0')}`;
    const other = await client.workflow.start(hourlyBatch, { workflowId: hourlyBatchWorkflowId(hour), taskQueue: `${taskQueue}-other`, args: [{ hour }] });
    try {
      const qpipe = path.resolve(__dirname, '..', '..', 'bin', 'qpipe');
      const cli = promisify(execFile)(qpipe, ['run', 'hourly-batch', '--hour', hour], { env: { ...process.env, QPIPE_TASK_QUEUE: taskQueue }, timeout: 60_000 });
      await expect(cli).rejects.toMatchObject({ stderr: expect.stringContaining(`${hourlyBatchWorkflowId(hour)} is running on task queue ${taskQueue}-other, not on this deployment's ${taskQueue}`) });
    } finally {
      await other.terminate('test');
    }
  });

  it('hands a failed processBatch attempt\'s last heartbeat to its retry, a throttled one included (what the resume reads)', async () => {
    const queue = `resume-${randomUUID().slice(0, 8)}`;
    const batchId = '2026-01-01T05';
    const seen: { attempt: number; details: unknown }[] = [];
    const activities = {
      ingestLanding: async () => ({ ingested: 0 }),
      listPendingBatches: async () => [batchId],
      async processBatch(id: string) {
        const { info } = Context.current();
        seen.push({ attempt: info.attempt, details: info.heartbeatDetails });
        if (info.attempt === 1) {
          // The second heartbeat, right after the first, is held back by the SDK's throttling: the failure must flush it.
          Context.current().heartbeat({ batchId: id, completed: 'ddl' });
          Context.current().heartbeat({ batchId: id, completed: 'fact_plan', stage: { transactions: 1500 } });
          throw new Error('injected: the fact step failed');
        }
        return { batchId: id };
      },
    };
    const connection = await createWorkerConnection(config.temporal);
    try {
      const workflows = await Worker.create({ connection, namespace: config.temporal.namespace, taskQueue: queue, workflowsPath });
      const lane = await Worker.create({ connection, namespace: config.temporal.namespace, taskQueue: batchLaneOf(queue), activities });
      const result = await workflows.runUntil(lane.runUntil(client.workflow.execute(hourlyBatch, { workflowId: `resume-${token}`, taskQueue: queue, args: [{ hour: batchId }] })));
      expect(result.processed).toEqual([{ batchId }]);
    } finally {
      await connection.close();
    }
    expect(seen).toEqual([
      { attempt: 1, details: undefined },
      { attempt: 2, details: { batchId, completed: 'fact_plan', stage: { transactions: 1500 } } },
    ]);
  }, 120_000);

  it('does not retry a statement Spark refuses for good: the dump of a warehouse without its tables fails at once as SQL_REJECTED', async () => {
    // A worker of a deployment whose database has no tables: the dump's query meets TABLE_OR_VIEW_NOT_FOUND (42P01).
    const missing = { ...config, hive: { ...config.hive, database: `it_missing_${token.slice(3)}` }, temporal: { ...config.temporal, taskQueue: `${taskQueue}-missing` } };
    const worker = await createQpipeWorker(missing, silentLogger);
    const workflowId = `daily-dump-missing-${token}`;
    const failure = await worker.runUntil(client.workflow.execute(dailyDump, { workflowId, taskQueue: missing.temporal.taskQueue, args: [{ date: '2022-02-28' }] }).catch((error: unknown) => error));
    await worker.close();
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const activity = (failure as WorkflowFailedError).cause;
    expect(activity).toBeInstanceOf(ActivityFailure);
    expect((activity as ActivityFailure).cause).toMatchObject({ type: 'SQL_REJECTED', nonRetryable: true, message: expect.stringContaining('SQLSTATE 42') });
    // One attempt: the failure was final, not retried with backoff.
    const started = (await client.workflow.getHandle(workflowId).fetchHistory()).events!.filter((event) => event.activityTaskStartedEventAttributes);
    expect(started.map((event) => event.activityTaskStartedEventAttributes!.attempt)).toEqual([1]);
  }, 120_000);
});
