import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { loadConfig } from '../../lib/config';
import { HdfsClient } from '../../lib/hdfs-client';
import { silentLogger } from '../../lib/log';
import { createTemporalClient } from '../../lib/temporal';
import { createQpipeWorker, type QpipeWorker } from '../../workers/temporal-worker';
import { stackSmoke } from '../../workflows';
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
});
