import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RevertResult } from '../activities/warehouse';
import { activityRetry } from './retry';
import { batchLaneOf } from '../lib/pure/slots';

export interface BatchRevertInput {
  /** The batch to revert, `YYYY-MM-DDTHH`: it and every later batch are reprocessed by the next hourly run. */
  readonly batchId: string;
}

/**
 * Reverts a batch (`qpipe batch revert`): the star tables go back to their versions before it, and
 * it and every later batch become pending. One activity on the batch lane, so it never runs while a
 * batch is ingested or processed. Workflow id `batch-revert-<batch>`.
 */
export async function batchRevert({ batchId }: BatchRevertInput): Promise<RevertResult> {
  const { revertBatch } = proxyActivities<Activities>({
    taskQueue: batchLaneOf(workflowInfo().taskQueue),
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: '30 seconds',
    retry: activityRetry,
  });
  const result = await revertBatch(batchId);
  log.info('batch reverted', { batchId, pending: result.pending.length, restored: result.tables.filter((table) => table.action === 'restore').length });
  return result;
}

export const batchRevertWorkflowId = (batchId: string) => `batch-revert-${batchId}`;
