import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import type { StreamHourCompaction } from '../../activities/stream-maintenance';
import { batchLaneOf } from '../../lib/pure/slots';
import type { StreamHour } from '../../lib/pure/stream';
import { streamMaintenance } from '../../workflows';
import { streamMaintenanceWorkflowId, type StreamMaintenanceInput } from '../../workflows/stream-maintenance';
import { createTimeSkippingEnv, workflowsPath } from '../helpers/temporal';

type MaintenanceActivities = Pick<Activities, 'listStreamHoursToCompact' | 'compactStreamHour' | 'repairStreamPartitions' | 'auditStreamHour'>;

const compaction = ({ eventDate, eventHour }: StreamHour): StreamHourCompaction => ({
  eventDate,
  eventHour,
  version: 1,
  location: `/qpipe/stream/app_events_table/event_date=${eventDate}/event_hour=${eventHour}/v1`,
  outcome: 'added',
  files: 3,
  rowsBefore: 0,
  rows: 100,
});

describe('streamMaintenance workflow', () => {
  let env: TestWorkflowEnvironment;
  let runs = 0;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });

  afterAll(async () => {
    await env?.teardown();
  });

  /** Runs the workflow with the activities on the batch lane only, as the real worker serves them. */
  async function run(activities: MaintenanceActivities, input: StreamMaintenanceInput) {
    runs += 1;
    const taskQueue = `stream-maintenance-${runs}`;
    const main = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath });
    const lane = await Worker.create({ connection: env.nativeConnection, taskQueue: batchLaneOf(taskQueue), activities, maxConcurrentActivityTaskExecutions: 1 });
    const execution = env.client.workflow.execute(streamMaintenance, { workflowId: `${streamMaintenanceWorkflowId(input.hour ?? 'none')}-${runs}`, taskQueue, args: [input] });
    await Promise.allSettled([main.runUntil(execution), lane.runUntil(execution)]);
    return execution;
  }

  const calls: string[] = [];
  const activities: MaintenanceActivities = {
    async listStreamHoursToCompact(before) {
      calls.push(`list ${before}`);
      return [{ eventDate: '2026-11-24', eventHour: 9 }, { eventDate: '2026-11-24', eventHour: 10 }];
    },
    async compactStreamHour(hour) {
      calls.push(`compact ${hour.eventDate} ${hour.eventHour}`);
      // Hour 9 has nothing committed any more (a rerun): no result.
      return hour.eventHour === 9 ? undefined : compaction(hour);
    },
    async repairStreamPartitions() {
      calls.push('repair');
      return { registered: 2, dropped: 1 };
    },
    async auditStreamHour(hour) {
      calls.push(`audit ${hour.eventDate} ${hour.eventHour}`);
      return { auditId: `stream:${hour.eventDate}T${hour.eventHour}`, checks: { pass: 3, warn: 1, fail: 0, error: 0 } };
    },
  };

  it('compacts each listed hour in order on the batch lane, audits each hour it compacted, and reports both', async () => {
    calls.length = 0;
    const result = await run(activities, { hour: '2026-11-24T12' });
    expect(calls).toEqual(['list 2026-11-24T12', 'compact 2026-11-24 9', 'compact 2026-11-24 10', 'audit 2026-11-24 10']);
    expect(result).toEqual({
      hour: '2026-11-24T12',
      compacted: [compaction({ eventDate: '2026-11-24', eventHour: 10 })],
      audited: [{ auditId: 'stream:2026-11-24T10', checks: { pass: 3, warn: 1, fail: 0, error: 0 } }],
    });
  });

  it('runs the full repair first when asked', async () => {
    calls.length = 0;
    const result = await run(activities, { hour: '2026-11-24T12', fullRepair: true });
    expect(calls[0]).toBe('repair');
    expect(result.repaired).toEqual({ registered: 2, dropped: 1 });
  });

  it.each([
    [{}, 'no hour given and not started by a schedule'],
    [{ hour: '2026-11-24 12' }, '2026-11-24 12'],
  ])('refuses %j without touching anything', async (input, message) => {
    calls.length = 0;
    const error = await run(activities, input).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause as { type?: string; message: string };
    expect(cause.type).toBe('INVALID_INPUT');
    expect(cause.message).toContain(message);
    expect(calls).toEqual([]);
  });
});
