import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import type { OptimizeResult, RevertResult, VacuumResult } from '../../activities/warehouse';
import { batchLaneOf } from '../../lib/pure/slots';
import { batchRevert, warehouseMaintenance, warehouseMigrate } from '../../workflows';
import { batchRevertWorkflowId } from '../../workflows/batch-revert';
import { warehouseMaintenanceWorkflowId, type WarehouseMaintenanceInput } from '../../workflows/warehouse-maintenance';
import { warehouseMigrateWorkflowId } from '../../workflows/warehouse-migrate';
import { createTimeSkippingEnv, workflowsPath } from '../helpers/temporal';

type WarehouseActivities = Pick<Activities, 'optimizeWarehouse' | 'vacuumWarehouse' | 'revertBatch' | 'migrateWarehouse'>;

const optimized: OptimizeResult[] = [{ table: 'sales_transactions_fact', before: { files: 120, bytes: 900_000 }, after: { files: 2, bytes: 700_000 } }];
const vacuumed: VacuumResult[] = [{ table: 'sales_transactions_fact', filesOnDiskBefore: 240, filesOnDiskAfter: 122 }];
const reverted = (batchId: string): RevertResult => ({ batchId, pending: [batchId, '2026-01-01T04'], tables: [{ table: 'branch_dim', action: 'none', version: 1 }] });

describe('warehouse workflows', () => {
  let env: TestWorkflowEnvironment;
  let runs = 0;
  const calls: string[] = [];
  const activities: WarehouseActivities = {
    async optimizeWarehouse(date) {
      calls.push(`optimize ${date}`);
      return optimized;
    },
    async vacuumWarehouse(date) {
      calls.push(`vacuum ${date}`);
      return vacuumed;
    },
    async revertBatch(batchId) {
      calls.push(`revert ${batchId}`);
      return reverted(batchId);
    },
    async migrateWarehouse() {
      calls.push('migrate');
      return [{ table: 'sales_transactions_fact', rows: 6000, checksum: '123' }];
    },
  };

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });

  afterAll(async () => {
    await env?.teardown();
  });

  /** Runs a workflow with the activities on the batch lane only, as the real worker serves them. */
  async function run<R>(start: (taskQueue: string) => Promise<R>): Promise<R> {
    runs += 1;
    calls.length = 0;
    const taskQueue = `warehouse-${runs}`;
    const main = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath });
    const lane = await Worker.create({ connection: env.nativeConnection, taskQueue: batchLaneOf(taskQueue), activities, maxConcurrentActivityTaskExecutions: 1 });
    const execution = start(taskQueue);
    await Promise.allSettled([main.runUntil(execution), lane.runUntil(execution)]);
    return execution;
  }

  const maintain = (input: WarehouseMaintenanceInput) =>
    run((taskQueue) => env.client.workflow.execute(warehouseMaintenance, { workflowId: `${warehouseMaintenanceWorkflowId(input.date ?? 'none')}-${runs}`, taskQueue, args: [input] }));

  it('optimizes, then vacuums, the date it is given, on the batch lane', async () => {
    const result = await maintain({ date: '2026-12-04' });
    expect(calls).toEqual(['optimize 2026-12-04', 'vacuum 2026-12-04']);
    expect(result).toEqual({ date: '2026-12-04', optimized, vacuumed });
  });

  it.each([
    [{}, 'no date given and not started by a schedule'],
    [{ date: '2026-02-30' }, '2026-02-30'],
    [{ date: '2026-12-04', timeZone: 'Mars/Olympus' }, 'Mars/Olympus'],
  ])('refuses %j without touching the warehouse', async (input, message) => {
    const error = await maintain(input).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause as { type?: string; message: string };
    expect({ type: cause.type, mentions: cause.message.includes(message) }).toEqual({ type: 'INVALID_INPUT', mentions: true });
    expect(calls).toEqual([]);
  });

  it('reverts the batch it is given with one activity on the batch lane, and names the run after it', async () => {
    expect(batchRevertWorkflowId('2026-01-01T03')).toBe('batch-revert-2026-01-01T03');
    const result = await run((taskQueue) => env.client.workflow.execute(batchRevert, { workflowId: `${batchRevertWorkflowId('2026-01-01T03')}-${runs}`, taskQueue, args: [{ batchId: '2026-01-01T03' }] }));
    expect(calls).toEqual(['revert 2026-01-01T03']);
    expect(result).toEqual(reverted('2026-01-01T03'));
  });

  it('migrates the warehouse with one activity on the batch lane', async () => {
    const result = await run((taskQueue) => env.client.workflow.execute(warehouseMigrate, { workflowId: `${warehouseMigrateWorkflowId}-${runs}`, taskQueue }));
    expect(calls).toEqual(['migrate']);
    expect(result).toEqual([{ table: 'sales_transactions_fact', rows: 6000, checksum: '123' }]);
  });
});
