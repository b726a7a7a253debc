import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DecideBatchInput } from '../activities/decisions';
import type { HeldBatch, ProcessSummary } from '../activities/process';
import type { DecisionRecord } from '../lib/pure/batch';
import { batchLaneOf } from '../lib/pure/slots';
import { processPending } from './hourly-batch';
import { activityRetry } from './retry';

export interface BatchDecisionResult {
  readonly decision: DecisionRecord;
  /** The batches processed after it: the released one first, or those that waited behind the discarded one. */
  readonly processed: readonly ProcessSummary[];
  /** A batch held again further on (the next broken drop). */
  readonly held?: HeldBatch;
}

/**
 * `qpipe batch release|discard`: records the operator's decision (who, when, why) on the batch lane,
 * then processes the batches that waited, as the hourly batch would. Workflow id
 * `batch-<release|discard>-<batch>`.
 */
export async function batchDecision(input: DecideBatchInput): Promise<BatchDecisionResult> {
  const { decideBatch } = proxyActivities<Activities>({
    taskQueue: batchLaneOf(workflowInfo().taskQueue),
    // Waiting for the lane lease counts against it, as for every lane activity.
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: '30 seconds',
    retry: activityRetry,
  });
  const decision = await decideBatch(input);
  const { processed, held } = await processPending();
  log.info('batch decision done', { batchId: input.batchId, decision: input.decision, processed: processed.length, held: held?.batchId });
  return { decision, processed, ...(held ? { held } : {}) };
}

export const batchDecisionWorkflowId = (decision: DecideBatchInput['decision'], batchId: string) => `batch-${decision}-${batchId}`;
