import { ApplicationFailure, log, proxyActivities, type RetryPolicy } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { IngestSummary } from '../activities/ingest';
import type { ProcessSummary } from '../activities/process';
import { batchIdOf, type LogicalHour } from '../lib/pure/batch';

/** Transient faults (a service restarting) are retried with backoff; a broken contract is not. */
const retry: RetryPolicy = {
  initialInterval: '5 seconds',
  backoffCoefficient: 2,
  maximumInterval: '5 minutes',
  maximumAttempts: 10,
  nonRetryableErrorTypes: ['ConfigError', 'CONTRACT_BROKEN', 'INVALID_INPUT'],
};

const { ingestLanding, listPendingBatches } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
  retry,
});

const { processBatch } = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  retry,
});

export interface HourlyBatchInput {
  /** The logical hour, `YYYY-MM-DDTHH` (UTC): the schedule's action time or the backfill's slot. */
  readonly hour: LogicalHour;
}

export interface HourlyBatchResult {
  readonly hour: LogicalHour;
  readonly ingest: IngestSummary;
  /** Every batch this run processed, in batch order (its own, and any earlier one left unprocessed). */
  readonly processed: readonly ProcessSummary[];
}

/**
 * The hourly batch: ingest the landing files as the hour's batch, then process every committed
 * batch not yet in the warehouse, oldest first. Workflow id `hourly-batch-<hour>`.
 */
export async function hourlyBatch({ hour }: HourlyBatchInput): Promise<HourlyBatchResult> {
  try {
    batchIdOf(hour);
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message, 'INVALID_INPUT');
  }
  const ingest = await ingestLanding(hour);
  const pending = await listPendingBatches();
  const processed: ProcessSummary[] = [];
  for (const batchId of pending) {
    processed.push(await processBatch(batchId));
  }
  log.info('hourly batch done', { hour, ingested: ingest.ingested, processed: processed.length });
  return { hour, ingest, processed };
}

export const hourlyBatchWorkflowId = (hour: LogicalHour) => `hourly-batch-${hour}`;
