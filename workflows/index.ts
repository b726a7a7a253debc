// The worker's workflowsPath: re-exports only.
export { batchRevert } from './batch-revert';
export { dailyDump } from './daily-dump';
export { hourlyBatch } from './hourly-batch';
export { stackSmoke } from './stack-smoke';
export { streamMaintenance } from './stream-maintenance';
export { warehouseMaintenance } from './warehouse-maintenance';
export { warehouseMigrate } from './warehouse-migrate';
