import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { OptimizeResult, VacuumResult } from '../activities/warehouse';
import type { CalendarDate } from '../lib/pure/calendar-date';
import { batchLaneOf, dateIn } from '../lib/pure/slots';
import { activityRetry } from './retry';
import { slotDate } from './scheduled';

export interface WarehouseMaintenanceInput {
  /** The maintenance date, `YYYY-MM-DD`. A run started by the daily schedule has none: its date is the action time's, in `timeZone`. */
  readonly date?: CalendarDate;
  /** The schedule's IANA time zone (`QPIPE_SCHEDULE_TIMEZONE`); default UTC. */
  readonly timeZone?: string;
}

export interface WarehouseMaintenanceResult {
  readonly date: CalendarDate;
  readonly optimized: readonly OptimizeResult[];
  readonly vacuumed: readonly VacuumResult[];
}

/**
 * The daily warehouse maintenance: compact and cluster every Delta table (OPTIMIZE), then delete
 * the files older than the retention (VACUUM). Both run on the batch lane, so they never overlap a
 * batch's writes. Idempotent per date. Workflow id `warehouse-maintenance-<date>`.
 */
export async function warehouseMaintenance(input: WarehouseMaintenanceInput): Promise<WarehouseMaintenanceResult> {
  const date = slotDate(input.date, input.timeZone ?? 'UTC', dateIn);
  const { optimizeWarehouse, vacuumWarehouse } = proxyActivities<Activities>({
    taskQueue: batchLaneOf(workflowInfo().taskQueue),
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '30 seconds',
    retry: activityRetry,
  });
  const optimized = await optimizeWarehouse(date);
  const vacuumed = await vacuumWarehouse(date);
  log.info('warehouse maintenance done', {
    date,
    filesBefore: optimized.reduce((sum, table) => sum + table.before.files, 0),
    filesAfter: optimized.reduce((sum, table) => sum + table.after.files, 0),
  });
  return { date, optimized, vacuumed };
}

export const warehouseMaintenanceWorkflowId = (date: CalendarDate) => `warehouse-maintenance-${date}`;
