import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { StreamHourCompaction, StreamRepairResult } from '../activities/stream-maintenance';
import type { LogicalHour } from '../lib/pure/batch';
import { batchLaneOf } from '../lib/pure/slots';
import { activityRetry } from './retry';
import { slotHour } from './scheduled';

export interface StreamMaintenanceInput {
  /**
   * The logical hour `YYYY-MM-DDTHH` (UTC): every hour before it is closed and compacted. A run
   * started by the hourly schedule has none: its hour is the one its action time falls in.
   */
  readonly hour?: LogicalHour;
  /** First point every partition at its newest complete version on disk (the explicit full repair). */
  readonly fullRepair?: boolean;
}

export interface StreamMaintenanceResult {
  readonly hour: LogicalHour;
  readonly repaired?: StreamRepairResult;
  /** The hours compacted and registered, oldest first. */
  readonly compacted: readonly StreamHourCompaction[];
}

/**
 * Hourly stream maintenance: every closed hour of the streaming zone with committed live files
 * (new hours, and older ones that got late events) is compacted into one Parquet version and
 * registered in `app_events`, one activity per hour, on the batch lane. Idempotent per hour: a
 * rerun finds no live file left for the hours already done. Workflow id `stream-maintenance-<hour>`.
 */
export async function streamMaintenance(input: StreamMaintenanceInput): Promise<StreamMaintenanceResult> {
  const hour = slotHour(input.hour);
  const taskQueue = batchLaneOf(workflowInfo().taskQueue);
  const { listStreamHoursToCompact, compactStreamHour, repairStreamPartitions } = proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: '30 seconds',
    retry: activityRetry,
  });
  const repaired = input.fullRepair ? await repairStreamPartitions() : undefined;
  const compacted: StreamHourCompaction[] = [];
  for (const streamHour of await listStreamHoursToCompact(hour)) {
    const result = await compactStreamHour(streamHour);
    if (result) compacted.push(result);
  }
  log.info('stream maintenance done', { hour, compacted: compacted.length, rows: compacted.reduce((sum, { rows }) => sum + rows, 0) });
  return { hour, ...(repaired ? { repaired } : {}), compacted };
}

export const streamMaintenanceWorkflowId = (hour: LogicalHour) => `stream-maintenance-${hour}`;
