import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from './deps';
import { failureTypes } from './failures';
import { heartbeat, statementOptions } from './heartbeat';
import { batchIdsIn, isBatchId } from './raw-zone';
import { readHistory } from '../lib/delta-history';
import { executeJob, queryJob } from '../lib/jobs';
import { manifestPath, manifestsDir, processedDir, processedPath } from '../lib/pure/batch';
import { isCalendarDate, type CalendarDate } from '../lib/pure/calendar-date';
import { commitSettings, deltaTables, revertPlan, starTables, type DeltaTable, type RevertPlan, type StarTable } from '../lib/pure/delta';
import { sqlIdentifier } from '../lib/pure/sql';

/** One Delta table's current version: its data files and their bytes (`DESCRIBE DETAIL`). */
export interface TableFiles {
  readonly files: number;
  readonly bytes: number;
}

export interface OptimizeResult {
  readonly table: DeltaTable;
  readonly before: TableFiles;
  readonly after: TableFiles;
}

export interface VacuumResult {
  readonly table: DeltaTable;
  /** Files in the table's directory (data and deletion vectors, the log aside), before and after. */
  readonly filesOnDiskBefore: number;
  readonly filesOnDiskAfter: number;
}

export interface RevertResult {
  readonly batchId: string;
  /** The batches now pending (the reverted one and every later committed one), oldest first. */
  readonly pending: readonly string[];
  /** What happened to each star table: restored to a version, or left (nothing of the batch in it). */
  readonly tables: readonly ({ readonly table: StarTable } & RevertPlan)[];
}

/** The warehouse activities: the daily maintenance (optimize, vacuum) and batch revert. */
export function warehouseActivities({ hdfs, hive, config, log }: ActivityDeps) {
  const root = config.hdfs.root;
  const database = sqlIdentifier(config.hive.database);
  const table = (name: string) => ({ database, table: sqlIdentifier(name) });

  async function tableDetail(name: DeltaTable): Promise<{ files: TableFiles; location: string }> {
    const [detail] = await queryJob<{ numFiles: number; sizeInBytes: number; location: string }>(hive, 'table_detail', table(name), statementOptions({ table: name }));
    if (!detail) throw new Error(`DESCRIBE DETAIL ${config.hive.database}.${name} returned no row`);
    return { files: { files: Number(detail.numFiles), bytes: Number(detail.sizeInBytes) }, location: detail.location };
  }

  /** Files in a table's directory on HDFS, its log aside. */
  async function filesOnDisk(location: string): Promise<number> {
    const dir = new URL(location).pathname;
    return (await hdfs.list(dir)).filter((entry) => entry.type === 'FILE').length;
  }

  function checkedDate(date: CalendarDate): CalendarDate {
    if (!isCalendarDate(date)) throw ApplicationFailure.nonRetryable(`"${date}" is not a date (YYYY-MM-DD)`, failureTypes.invalidInput);
    return date;
  }

  return {
    /**
     * Compacts (and on the fact, clusters by transaction_date) every Delta table of the warehouse,
     * one OPTIMIZE commit each, tagged with the maintenance date, into files of up to
     * `QPIPE_WAREHOUSE_OPTIMIZE_FILE_MB` (a file of that size is left alone). Idempotent: a second
     * run finds little or nothing to rewrite. Returns each table's files and bytes before and after.
     */
    async optimizeWarehouse(date: CalendarDate): Promise<OptimizeResult[]> {
      checkedDate(date);
      const fileBytes = String(config.warehouse.optimizeFileBytes);
      const settings = {
        ...commitSettings({ kind: 'maintenance', date, step: 'optimize' }),
        'spark.databricks.delta.optimize.maxFileSize': fileBytes,
        'spark.databricks.delta.optimize.minFileSize': fileBytes,
      };
      const results: OptimizeResult[] = [];
      for (const name of deltaTables) {
        const before = (await tableDetail(name)).files;
        const started = Date.now();
        await executeJob(hive, 'warehouse_optimize', table(name), { ...statementOptions({ date, table: name }), settings });
        const after = (await tableDetail(name)).files;
        log.info({ date, table: name, filesBefore: before.files, filesAfter: after.files, bytesBefore: before.bytes, bytesAfter: after.bytes, ms: Date.now() - started }, 'optimized a warehouse table');
        results.push({ table: name, before, after });
        heartbeat({ date, optimized: name });
      }
      return results;
    },

    /**
     * Deletes the files no version within the retention (`QPIPE_WAREHOUSE_VACUUM_RETENTION_HOURS`,
     * 168) still references, table by table. Delta refuses a retention under 7 days unless told; a
     * shorter configured one is passed on with its safety check off for that statement only.
     */
    async vacuumWarehouse(date: CalendarDate): Promise<VacuumResult[]> {
      checkedDate(date);
      const retentionHours = config.warehouse.vacuumRetentionHours;
      const settings = {
        ...commitSettings({ kind: 'maintenance', date, step: 'vacuum' }),
        ...(retentionHours < 168 ? { 'spark.databricks.delta.retentionDurationCheck.enabled': 'false' } : {}),
      };
      const results: VacuumResult[] = [];
      for (const name of deltaTables) {
        const { location } = await tableDetail(name);
        const filesOnDiskBefore = await filesOnDisk(location);
        await executeJob(hive, 'warehouse_vacuum', { ...table(name), retention_hours: retentionHours }, { ...statementOptions({ date, table: name }), settings });
        const filesOnDiskAfter = await filesOnDisk(location);
        log.info({ date, table: name, retentionHours, filesOnDiskBefore, filesOnDiskAfter }, 'vacuumed a warehouse table');
        results.push({ table: name, filesOnDiskBefore, filesOnDiskAfter });
      }
      return results;
    },

    /**
     * Reverts batch `batchId`: every star table goes back to its version before the batch's first
     * commit (one RESTORE commit each), and the batch and every later processed batch become pending
     * again, so the next hourly run reprocesses them in order from their raw files. First every
     * table's target version is found in its history and checked to hold no row of those batches
     * (nothing is touched if one cannot be reverted); then the processed markers go, newest first;
     * then the tables are restored. A crash anywhere leaves a state a rerun finishes: restored
     * tables are recognised from their history, and batches already pending stay pending.
     */
    async revertBatch(batchId: string): Promise<RevertResult> {
      if (!isBatchId(batchId)) throw ApplicationFailure.nonRetryable(`"${batchId}" is not a batch id (YYYY-MM-DDTHH)`, failureTypes.invalidInput);
      if (!(await hdfs.exists(manifestPath(root, batchId)))) throw ApplicationFailure.nonRetryable(`there is no committed batch ${batchId}`, failureTypes.invalidInput);

      const plans: ({ table: StarTable } & RevertPlan)[] = [];
      for (const name of starTables) {
        const history = await readHistory(hive, config.hive.database, name, statementOptions({ batchId, table: name }));
        let plan: RevertPlan;
        try {
          plan = revertPlan(history, batchId);
        } catch (error) {
          throw ApplicationFailure.create({ message: `batch ${batchId} cannot be reverted in ${config.hive.database}.${name}: ${(error as Error).message}`, type: failureTypes.contractBroken, nonRetryable: true, cause: error as Error });
        }
        if (plan.action === 'restore') {
          const [check] = await queryJob<{ batch_rows: number }>(hive, 'warehouse_batch_rows', { ...table(name), version: plan.version, batch_id: batchId }, statementOptions({ batchId, table: name }));
          if (Number(check?.batch_rows) !== 0) {
            throw ApplicationFailure.nonRetryable(
              `batch ${batchId} cannot be reverted in ${config.hive.database}.${name}: version ${plan.version}, the one before its first commit, holds ${check?.batch_rows} rows of it or of a later batch (the table was created or migrated with them)`,
              failureTypes.contractBroken,
            );
          }
        }
        plans.push({ table: name, ...plan });
      }

      const processed = (await batchIdsIn(hdfs, processedDir(root))).filter((other) => other >= batchId);
      for (const other of [...processed].reverse()) {
        await hdfs.delete(processedPath(root, other));
        log.info({ batchId, pending: other }, 'batch marked pending again by a revert');
      }
      const pending = (await batchIdsIn(hdfs, manifestsDir(root))).filter((other) => other >= batchId);
      for (const plan of plans) {
        if (plan.action !== 'restore') continue;
        await executeJob(hive, 'warehouse_restore', { ...table(plan.table), version: plan.version }, { ...statementOptions({ batchId, table: plan.table }), settings: commitSettings({ kind: 'revert', batch_id: batchId }) });
        log.info({ batchId, table: plan.table, version: plan.version }, 'table restored to its version before the batch');
      }
      return { batchId, pending, tables: plans };
    },
  };
}
