import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import type { IngestSummary } from '../../activities/ingest';
import type { HeldBatch, ProcessSummary } from '../../activities/process';
import { batchLaneOf } from '../../lib/pure/slots';
import { hourlyBatch } from '../../workflows';
import { createTimeSkippingEnv, workflowsPath } from '../helpers/temporal';

type BatchActivities = Pick<Activities, 'ingestLanding' | 'listPendingBatches' | 'processBatch'>;

const ingestOf = (hour: string): IngestSummary => ({
  batchId: hour,
  hour,
  ingested: 3,
  duplicate: 0,
  rejected: 1,
  rejectedByReason: { UNKNOWN_FILE: 1 },
  waiting: [],
  resumed: false,
});

const processedOf = (batchId: string): ProcessSummary =>
  ({
    batchId,
    rowsLoaded: { sales_transactions_fact: 1500, customer_dim: 101, sales_agent_dim: 10, branch_dim: 5, product_dim: 30 },
    rowsRejected: {},
    replayed: 0,
    changed: 0,
    warnings: { unknownAgentOrBranch: 0, nullCity: 0, invalidEmail: 0 },
  }) as unknown as ProcessSummary;

describe('hourlyBatch workflow', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });

  afterAll(async () => {
    await env?.teardown();
  });

  /** The workflow on its task queue; the batch activities only on the batch lane, as the real worker has them. */
  async function run(activities: BatchActivities, hour: string | undefined, id = hour) {
    const taskQueue = `hourly-${id}`;
    const main = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath });
    const lane = await Worker.create({ connection: env.nativeConnection, taskQueue: batchLaneOf(taskQueue), activities, maxConcurrentActivityTaskExecutions: 1 });
    const execution = env.client.workflow.execute(hourlyBatch, { workflowId: `hourly-batch-${id}`, taskQueue, args: [hour === undefined ? {} : { hour }] });
    await Promise.allSettled([main.runUntil(execution), lane.runUntil(execution)]);
    return execution;
  }

  it('ingests the hour, then processes every pending batch oldest first, and returns both summaries', async () => {
    const calls: string[] = [];
    const result = await run(
      {
        async ingestLanding(hour) {
          calls.push(`ingest ${hour}`);
          return ingestOf(hour);
        },
        async listPendingBatches() {
          calls.push('list');
          return ['2026-11-23T13', '2026-11-23T14'];
        },
        async processBatch(batchId) {
          calls.push(`process ${batchId}`);
          return processedOf(batchId);
        },
      },
      '2026-11-23T14',
    );
    expect(calls).toEqual(['ingest 2026-11-23T14', 'list', 'process 2026-11-23T13', 'process 2026-11-23T14']);
    expect(result.ingest).toEqual(ingestOf('2026-11-23T14'));
    expect(result.processed.map((batch) => batch.batchId)).toEqual(['2026-11-23T13', '2026-11-23T14']);
  });

  it('retries a warehouse outage with backoff and finishes once it is back', async () => {
    let attempts = 0;
    const result = await run(
      {
        ingestLanding: async (hour) => ingestOf(hour),
        listPendingBatches: async () => ['2026-11-23T15'],
        async processBatch(batchId) {
          attempts += 1;
          if (attempts < 4) throw new Error('connect ECONNREFUSED 127.0.0.1:10000');
          return processedOf(batchId);
        },
      },
      '2026-11-23T15',
    );
    expect(attempts).toBe(4);
    expect(result.processed).toHaveLength(1);
  });

  it('stops at a batch its audit held: the later batches wait, and the run ends normally reporting it', async () => {
    const calls: string[] = [];
    const held: HeldBatch = {
      outcome: 'held',
      batchId: '2026-11-23T15',
      hour: '2026-11-23T15',
      heldAt: '2026-11-23T16:05:30.000Z',
      holding: [{ table_name: 'sales_transactions_fact', check_name: 'reject_rate', status: 'fail', observed: 0.7, threshold: 'rejected / read ≤ 0.5', failing_rows: 70, message: null }],
    };
    const result = await run(
      {
        ingestLanding: async (hour) => ingestOf(hour),
        listPendingBatches: async () => ['2026-11-23T14', '2026-11-23T15', '2026-11-23T16'],
        async processBatch(batchId) {
          calls.push(batchId);
          return batchId === held.batchId ? held : processedOf(batchId);
        },
      },
      '2026-11-23T16',
      'held',
    );
    expect(calls).toEqual(['2026-11-23T14', '2026-11-23T15']);
    expect(result.processed.map((batch) => batch.batchId)).toEqual(['2026-11-23T14']);
    expect(result.held).toEqual(held);
  });

  it('fails at once, without retries, on a broken contract such as a missing table', async () => {
    let attempts = 0;
    const failure = await run(
      {
        ingestLanding: async (hour) => ingestOf(hour),
        listPendingBatches: async () => ['2026-11-23T16'],
        async processBatch() {
          attempts += 1;
          throw ApplicationFailure.nonRetryable('table q_dwh.product_dim is missing', 'CONTRACT_BROKEN');
        },
      },
      '2026-11-23T16',
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause as ActivityFailure;
    expect((cause.cause as ApplicationFailure).type).toBe('CONTRACT_BROKEN');
    expect(attempts).toBe(1);
  });

  it.each([
    ['a malformed hour', '2026-13-01T00', '"2026-13-01T00" is not a real hour'],
    ['no hour, in a run no schedule started', undefined, 'no hour given and not started by a schedule'],
  ])('refuses %s before touching anything', async (_case, hour, message) => {
    let touched = false;
    const failure = await run(
      {
        ingestLanding: async (slot) => {
          touched = true;
          return ingestOf(slot);
        },
        listPendingBatches: async () => [],
        processBatch: async (batchId) => processedOf(batchId),
      },
      hour,
      hour ?? 'no-hour',
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
    expect([cause.type, cause.message]).toEqual(['INVALID_INPUT', message]);
    expect(touched).toBe(false);
  });
});
