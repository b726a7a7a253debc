import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { MigratedTable } from '../activities/warehouse';
import { batchLaneOf } from '../lib/pure/slots';
import { activityRetry } from './retry';

/**
 * Creates the warehouse's tables or converts a warehouse of the old layout to Delta
 * (`qpipe warehouse migrate`): one activity on the batch lane, so no batch writes the tables while
 * they move. Workflow id `warehouse-migrate`.
 */
export async function warehouseMigrate(): Promise<MigratedTable[]> {
  const { migrateWarehouse } = proxyActivities<Activities>({
    taskQueue: batchLaneOf(workflowInfo().taskQueue),
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '30 seconds',
    retry: activityRetry,
  });
  const migrated = await migrateWarehouse();
  log.info('warehouse migrated', { tables: migrated.length, rows: migrated.reduce((sum, table) => sum + table.rows, 0) });
  return migrated;
}

export const warehouseMigrateWorkflowId = 'warehouse-migrate';
