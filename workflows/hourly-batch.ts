import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { IngestSummary } from '../activities/ingest';
import type { HeldBatch, ProcessSummary } from '../activities/process';
import type { LogicalHour } from '../lib/pure/batch';
import { batchLaneOf } from '../lib/pure/slots';
import { slotHour } from './scheduled';
import { activityRetry } from './retry';

/**
 * The batch activities run on the batch lane (`<task queue>-batch-lane`), which every worker serves
 * with a single slot: ingests and processing never overlap, whatever runs at once (a schedule's
 * run, a backfill, a manual run), because they share the landing dir and the staging tables.
 */
function batchActivities() {
  const taskQueue = batchLaneOf(workflowInfo().taskQueue);
  const { ingestLanding, listPendingBatches } = proxyActivities<Activities>({ taskQueue, startToCloseTimeout: '30 minutes', heartbeatTimeout: '30 seconds', retry: activityRetry });
  const { processBatch } = proxyActivities<Activities>({ taskQueue, startToCloseTimeout: '2 hours', heartbeatTimeout: '30 seconds', retry: activityRetry });
  return { ingestLanding, listPendingBatches, processBatch };
}

export interface HourlyBatchInput {
  /**
   * The logical hour, `YYYY-MM-DDTHH` (UTC): the backfill's or the caller's slot. A run started by
   * the hourly schedule has none: its hour is the one the schedule's action time falls in.
   */
  readonly hour?: LogicalHour;
}

export interface HourlyBatchResult {
  readonly hour: LogicalHour;
  readonly ingest: IngestSummary;
  /** Every batch this run processed, in batch order (its own, and any earlier one left unprocessed). */
  readonly processed: readonly ProcessSummary[];
  /** The batch its audit held, if one was: it and every later batch wait for `qpipe batch release|discard`. */
  readonly held?: HeldBatch;
}

/**
 * Processes every committed batch not yet in the warehouse, oldest first, until one is held by its
 * audit: the later ones wait behind it (the type-2 dimensions are built in time order).
 */
export async function processPending(): Promise<{ processed: ProcessSummary[]; held?: HeldBatch }> {
  const { listPendingBatches, processBatch } = batchActivities();
  const pending = await listPendingBatches();
  const processed: ProcessSummary[] = [];
  for (const batchId of pending) {
    const outcome = await processBatch(batchId);
    if (outcome.outcome === 'held') {
      log.warn('batch held by its audit; later batches wait behind it', { batchId, waiting: pending.length - processed.length - 1 });
      return { processed, held: outcome };
    }
    processed.push(outcome);
  }
  return { processed };
}

/**
 * The hourly batch: ingest the landing files as the hour's batch, then process every committed
 * batch not yet in the warehouse, oldest first. Workflow id `hourly-batch-<hour>`.
 */
export async function hourlyBatch(input: HourlyBatchInput): Promise<HourlyBatchResult> {
  const hour = slotHour(input.hour);
  const { ingestLanding } = batchActivities();
  const ingest = await ingestLanding(hour);
  const { processed, held } = await processPending();
  log.info('hourly batch done', { hour, ingested: ingest.ingested, processed: processed.length, held: held?.batchId });
  return { hour, ingest, processed, ...(held ? { held } : {}) };
}

export const hourlyBatchWorkflowId = (hour: LogicalHour) => `hourly-batch-${hour}`;
