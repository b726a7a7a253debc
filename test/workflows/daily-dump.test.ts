import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError, WorkflowIdConflictPolicy } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import type { DailyDumpResult } from '../../activities/reports';
import { dailyDump } from '../../workflows';
import { dailyDumpWorkflowId, type DailyDumpInput } from '../../workflows/daily-dump';
import { createTimeSkippingEnv, workflowsPath } from '../helpers/temporal';

type DumpActivities = Pick<Activities, 'writeDailyDump'>;

const dumpOf = (date: string): DailyDumpResult => ({
  date,
  path: `/reports/b2b/daily_sales_${date}.csv`,
  rows: 2,
  bytes: 95,
  sha256: 'a'.repeat(64),
});

describe('dailyDump workflow', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });

  afterAll(async () => {
    await env?.teardown();
  });

  async function run(activities: DumpActivities, date: string, input: DailyDumpInput = { date }) {
    const taskQueue = `daily-dump-${date}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities });
    return worker.runUntil(env.client.workflow.execute(dailyDump, { workflowId: dailyDumpWorkflowId(date), taskQueue, args: [input] }));
  }

  it('names the run after its transaction date', () => {
    expect(dailyDumpWorkflowId('2023-05-20')).toBe('daily-dump-2023-05-20');
  });

  it('writes the dump of its date once and returns what the activity wrote', async () => {
    const calls: string[] = [];
    const result = await run(
      {
        async writeDailyDump(date) {
          calls.push(date);
          return dumpOf(date);
        },
      },
      '2023-05-20',
    );
    expect(calls).toEqual(['2023-05-20']);
    expect(result).toEqual(dumpOf('2023-05-20'));
  });

  it('a second start with the same date joins the running dump instead of writing twice', async () => {
    const date = '2023-05-21';
    const taskQueue = `daily-dump-join-${date}`;
    let calls = 0;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath,
      activities: {
        async writeDailyDump(day: string) {
          calls += 1;
          await new Promise((resolve) => setTimeout(resolve, 1_500));
          return dumpOf(day);
        },
      } satisfies DumpActivities,
    });
    const options = { workflowId: dailyDumpWorkflowId(date), taskQueue, args: [{ date }] as [{ date: string }], workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING };
    const [first, second] = await worker.runUntil(async () => {
      const a = await env.client.workflow.start(dailyDump, options);
      const b = await env.client.workflow.start(dailyDump, options);
      return [await a.result(), b.firstExecutionRunId === a.firstExecutionRunId] as const;
    });
    expect(first).toEqual(dumpOf(date));
    expect(second).toBe(true);
    expect(calls).toBe(1);
  });

  it('retries a warehouse outage with backoff and finishes once it is back', async () => {
    let attempts = 0;
    const result = await run(
      {
        async writeDailyDump(date) {
          attempts += 1;
          if (attempts < 4) throw new Error('connect ECONNREFUSED 127.0.0.1:10000');
          return dumpOf(date);
        },
      },
      '2022-06-20',
    );
    expect(attempts).toBe(4);
    expect(result.rows).toBe(2);
  });

  it('fails at once, without retries, when a query breaks its contract', async () => {
    let attempts = 0;
    const failure = await run(
      {
        async writeDailyDump() {
          attempts += 1;
          throw ApplicationFailure.nonRetryable('the query daily-sales returned the columns name; its keys are …', 'CONTRACT_BROKEN');
        },
      },
      '2022-07-11',
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause as ActivityFailure;
    expect((cause.cause as ApplicationFailure).type).toBe('CONTRACT_BROKEN');
    expect(attempts).toBe(1);
  });

  it.each(['2023-02-29', '2023-5-20', '../etc'])('refuses the date %j before writing anything', async (date) => {
    let touched = false;
    const failure = await run(
      {
        async writeDailyDump(day) {
          touched = true;
          return dumpOf(day);
        },
      },
      date,
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(((failure as WorkflowFailedError).cause as ApplicationFailure).type).toBe('INVALID_INPUT');
    expect(touched).toBe(false);
  });

  it.each([
    [{}, 'no date given and not started by a schedule'],
    [{ date: '2023-05-20', timeZone: 'Mars/Olympus' }, '"Mars/Olympus" is not an IANA time zone'],
  ])('refuses %j before writing anything', async (input, message) => {
    let touched = false;
    const failure = await run(
      {
        async writeDailyDump(day) {
          touched = true;
          return dumpOf(day);
        },
      },
      `bad-input-${Object.keys(input).length}`,
      input,
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(((failure as WorkflowFailedError).cause as ApplicationFailure).message).toBe(message);
    expect(touched).toBe(false);
  });
});
