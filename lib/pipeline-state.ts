import { WorkflowFailedError, type Client } from '@temporalio/client';
import { batchIdsIn } from './raw-zone';
import type { HdfsClient } from './hdfs-client';
import { decisionDir, manifestsDir, parseLogicalHour, processedDir } from './pure/batch';
import { isCalendarDate } from './pure/calendar-date';
import { dailyDump } from '../workflows/daily-dump';
import { hourlyBatch } from '../workflows/hourly-batch';
import { streamMaintenance } from '../workflows/stream-maintenance';
import { warehouseMaintenance } from '../workflows/warehouse-maintenance';

/**
 * What an operator (and the worker's metrics) need to know about each pipeline, read from where
 * it is true: the runs from Temporal's visibility (by task queue and workflow type), the batch
 * queue from the raw zone's markers on HDFS. `qpipe status` and the worker's
 * `qpipe_last_success_slot_timestamp_seconds` share it.
 */

export const pipelineNames = ['hourly-batch', 'daily-dump', 'stream-maintenance', 'warehouse-maintenance'] as const;
export type PipelineName = (typeof pipelineNames)[number];

/** Each pipeline's workflow type and the field of its result that names its slot. */
const pipelineWorkflows: Readonly<Record<PipelineName, { readonly workflowType: string; readonly slotField: 'hour' | 'date' }>> = {
  'hourly-batch': { workflowType: hourlyBatch.name, slotField: 'hour' },
  'daily-dump': { workflowType: dailyDump.name, slotField: 'date' },
  'stream-maintenance': { workflowType: streamMaintenance.name, slotField: 'hour' },
  'warehouse-maintenance': { workflowType: warehouseMaintenance.name, slotField: 'date' },
};

/** A slot's start as epoch seconds: an hour `YYYY-MM-DDTHH` (UTC) or a date `YYYY-MM-DD` (its UTC midnight). */
export function slotEpochSeconds(slot: string): number {
  return (isCalendarDate(slot) ? Date.parse(`${slot}T00:00:00Z`) : parseLogicalHour(slot).epochMs) / 1000;
}

export interface PipelineRuns {
  readonly name: PipelineName;
  /** The newest slot among the recent successful runs. */
  readonly lastSuccessSlot: string | null;
  /** When the most recent successful run closed (ISO). */
  readonly lastSuccessAt: string | null;
  /** The most recent run that failed, timed out or was terminated. */
  readonly lastFailure: { readonly workflowId: string; readonly at: string; readonly status: string; readonly reason: string } | null;
  readonly running: number;
}

/** How many recent successful runs are read for the newest slot (a backfill of old slots closes later than newer slots). */
const recentRuns = 5;

/** A visibility query for workflows of `types` on `taskQueue` (its quotes escaped) matching `condition`. */
export const visibilityQuery = (taskQueue: string, types: readonly string[], condition: string) =>
  `TaskQueue = '${taskQueue.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}' AND WorkflowType IN (${types.map((type) => `'${type}'`).join(', ')}) AND ${condition}`;
const query = (taskQueue: string, workflowType: string, condition: string) => visibilityQuery(taskQueue, [workflowType], condition);

async function take<T>(items: AsyncIterable<T>, count: number): Promise<T[]> {
  const taken: T[] = [];
  for await (const item of items) {
    taken.push(item);
    if (taken.length >= count) break;
  }
  return taken;
}

/** The pipeline's runs on this deployment's task queue, from Temporal's visibility (newest first). */
export async function pipelineRuns(client: Client, taskQueue: string, name: PipelineName): Promise<PipelineRuns> {
  const { workflowType, slotField } = pipelineWorkflows[name];
  const succeeded = await take(client.workflow.list({ query: query(taskQueue, workflowType, "ExecutionStatus = 'Completed'") }), recentRuns);
  const slots: string[] = [];
  for (const run of succeeded) {
    const result = (await client.workflow.getHandle(run.workflowId, run.runId).result()) as Record<string, unknown> | undefined;
    const slot = result?.[slotField];
    if (typeof slot === 'string') slots.push(slot);
  }
  const closedAt = succeeded.map((run) => run.closeTime?.getTime() ?? 0);
  const [failed] = await take(client.workflow.list({ query: query(taskQueue, workflowType, "(ExecutionStatus = 'Failed' OR ExecutionStatus = 'TimedOut' OR ExecutionStatus = 'Terminated')") }), 1);
  let lastFailure: PipelineRuns['lastFailure'] = null;
  if (failed) {
    const reason = await client.workflow
      .getHandle(failed.workflowId, failed.runId)
      .result()
      .then(
        () => 'completed',
        (error: unknown) => (error instanceof WorkflowFailedError ? (error.cause?.message ?? error.message) : (error as Error).message),
      );
    lastFailure = { workflowId: failed.workflowId, at: (failed.closeTime ?? failed.startTime).toISOString(), status: failed.status.name, reason };
  }
  const running = (await client.workflow.count(query(taskQueue, workflowType, "ExecutionStatus = 'Running'"))).count;
  return {
    name,
    lastSuccessSlot: slots.length > 0 ? slots.reduce((newest, slot) => (slotEpochSeconds(slot) > slotEpochSeconds(newest) ? slot : newest)) : null,
    lastSuccessAt: closedAt.length > 0 ? new Date(Math.max(...closedAt)).toISOString() : null,
    lastFailure,
    running,
  };
}

/** The batches committed and not processed (nor discarded), oldest first: what the hourly run processes. */
export async function pendingBatches(hdfs: HdfsClient, root: string): Promise<string[]> {
  const done = new Set([...(await batchIdsIn(hdfs, processedDir(root))), ...(await batchIdsIn(hdfs, decisionDir(root, 'discard')))]);
  return (await batchIdsIn(hdfs, manifestsDir(root))).filter((batchId) => !done.has(batchId));
}

/** The pending batches (see {@link pendingBatches}) and those of them held by their audit (not released). */
export async function batchQueue(hdfs: HdfsClient, root: string): Promise<{ pending: string[]; held: string[] }> {
  const pending = await pendingBatches(hdfs, root);
  const holds = new Set(await batchIdsIn(hdfs, decisionDir(root, 'hold')));
  const released = new Set(await batchIdsIn(hdfs, decisionDir(root, 'release')));
  return { pending, held: pending.filter((batchId) => holds.has(batchId) && !released.has(batchId)) };
}

/** The newest batch processed (its hour), or null: the warehouse's freshness. */
export async function newestProcessedBatch(hdfs: HdfsClient, root: string): Promise<string | null> {
  return (await batchIdsIn(hdfs, processedDir(root))).at(-1) ?? null;
}
