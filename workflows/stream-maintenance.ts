import { log, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { StreamHourChecks, StreamHourCompaction, StreamRepairResult } from '../activities/stream-maintenance';
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
  /** The app_events checks' verdicts on each compacted hour, in the same order (runs since the checks exist). */
  readonly audited?: readonly StreamHourChecks[];
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
  // The checks only warn about an hour already published: a few tries, and a failure is logged, not the run's.
  const { auditStreamHour } = proxyActivities<Activities>({ taskQueue, startToCloseTimeout: '1 hour', heartbeatTimeout: '30 seconds', retry: { ...activityRetry, maximumAttempts: 3 } });
  const repaired = input.fullRepair ? await repairStreamPartitions() : undefined;
  const compacted: StreamHourCompaction[] = [];
  const audited: StreamHourChecks[] = [];
  for (const streamHour of await listStreamHoursToCompact(hour)) {
    const result = await compactStreamHour(streamHour);
    if (!result) continue;
    compacted.push(result);
    // Histories recorded before the stream checks existed replay without the audit.
    if (patched('stream-hour-audit')) {
      try {
        audited.push(await auditStreamHour(streamHour));
      } catch (error) {
        log.warn('the checks of a compacted stream hour failed; the hour stays published', { ...streamHour, error: String(error) });
      }
    }
  }
  log.info('stream maintenance done', { hour, compacted: compacted.length, rows: compacted.reduce((sum, { rows }) => sum + rows, 0) });
  return { hour, ...(repaired ? { repaired } : {}), compacted, ...(audited.length > 0 ? { audited } : {}) };
}

export const streamMaintenanceWorkflowId = (hour: LogicalHour) => `stream-maintenance-${hour}`;
