import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from './deps';
import { contractBrokenIsFinal, failureTypes } from './failures';
import { heartbeat, statementOptions } from './heartbeat';
import { batchIdsIn } from '../lib/raw-zone';
import { readHistory } from '../lib/delta-history';
import { executeJob, queryJob } from '../lib/jobs';
import { isBatchId, manifestPath, manifestsDir, processedDir, processedPath, revertPath } from '../lib/pure/batch';
import { isCalendarDate, type CalendarDate } from '../lib/pure/calendar-date';
import { commitSettings, maintainedTables, revertPlan, starTables, type MaintainedTable, type RevertPlan, type StarTable } from '../lib/pure/delta';
import { sqlIdentifier } from '../lib/pure/sql';
import { ensureWarehouse, type MigratedTable } from '../lib/warehouse-setup';

export type { MigratedTable };

/** One Delta table's current version: its data files and their bytes (`DESCRIBE DETAIL`). */
export interface TableFiles {
  readonly files: number;
  readonly bytes: number;
}

export interface OptimizeResult {
  readonly table: MaintainedTable;
  readonly before: TableFiles;
  readonly after: TableFiles;
}

export interface VacuumResult {
  readonly table: MaintainedTable;
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

/** How Spark says a data file a version needs is no longer there. */
const filesGone = /FileNotFoundException|FILE_NOT_EXIST|does not exist|DELTA_FILE_NOT_FOUND/i;

/** The warehouse activities: the daily maintenance (optimize, vacuum), batch revert, and the migration. */
export function warehouseActivities({ hdfs, hive, config, log }: ActivityDeps) {
  const root = config.hdfs.root;
  const database = sqlIdentifier(config.hive.database);
  const table = (name: string) => ({ database, table: sqlIdentifier(name) });

  async function tableDetail(name: MaintainedTable): Promise<{ files: TableFiles; location: string }> {
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
     * Creates the warehouse's tables, or converts one of the old layout (plain Parquet) to Delta,
     * checking every table's rows; a no-op once done (`qpipe warehouse migrate`, on the batch lane so
     * no batch writes meanwhile; the ddl step of every batch does the same).
     */
    async migrateWarehouse(): Promise<MigratedTable[]> {
      return contractBrokenIsFinal(() => ensureWarehouse({ hive, database: config.hive.database, log, statementOptions: statementOptions({ step: 'migrate' }) }));
    },

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
      for (const name of maintainedTables) {
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
      for (const name of maintainedTables) {
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
     * again, so the next hourly run reprocesses them in order from their raw files.
     *
     * Nothing is touched until every table passed its check: its target version is found in its
     * history, and that version (or the current one, for a table the batch never wrote) is read
     * whole and holds no row of the batch or a later one. A version whose files VACUUM deleted, or a
     * batch loaded before the table's history begins (a migrated warehouse), is refused there. Then
     * the revert marks itself under way (`<root>/raw/_reverts/<batch>.json`: no batch is processed
     * while it exists), deletes the processed markers newest first, restores the tables and removes
     * its mark. A crash anywhere leaves the mark, so reprocessing waits for the rerun, which finds
     * the restored tables in their history and finishes.
     */
    async revertBatch(batchId: string): Promise<RevertResult> {
      if (!isBatchId(batchId)) throw ApplicationFailure.nonRetryable(`"${batchId}" is not a batch id (YYYY-MM-DDTHH)`, failureTypes.invalidInput);
      if (!(await hdfs.exists(manifestPath(root, batchId)))) throw ApplicationFailure.nonRetryable(`there is no committed batch ${batchId}`, failureTypes.invalidInput);
      const refuse = (name: string, why: string, cause?: Error) =>
        ApplicationFailure.create({ message: `batch ${batchId} cannot be reverted in ${config.hive.database}.${name}: ${why}`, type: failureTypes.contractBroken, nonRetryable: true, cause });

      const plans: ({ table: StarTable } & RevertPlan)[] = [];
      for (const name of starTables) {
        const options = statementOptions({ batchId, table: name });
        const history = await readHistory(hive, config.hive.database, name, options);
        let plan: RevertPlan;
        try {
          plan = revertPlan(history, batchId);
        } catch (error) {
          throw refuse(name, (error as Error).message, error as Error);
        }
        const checked = plan.action === 'restore' ? plan.version : history[0]!.version;
        let rows: number;
        try {
          const [check] = await queryJob<{ batch_rows: number }>(hive, 'warehouse_batch_rows', { ...table(name), version: checked, batch_id: batchId }, options);
          rows = Number(check?.batch_rows);
        } catch (error) {
          if (!filesGone.test((error as Error).message)) throw error;
          throw refuse(name, `the files of version ${checked} are gone (VACUUM keeps ${config.warehouse.vacuumRetentionHours} hours)`, error as Error);
        }
        if (rows !== 0) {
          const which = plan.action === 'restore' ? `version ${checked}, the one before its first commit,` : `its current version ${checked}, which no commit of the batch made,`;
          throw refuse(name, `${which} holds ${rows} rows of it or of a later batch (the table was created or migrated with them)`);
        }
        plans.push({ table: name, ...plan });
      }

      await hdfs.putAtomic(revertPath(root, batchId), JSON.stringify({ batchId, plans }, null, 2) + '\n', { overwrite: true });
      const processed = (await batchIdsIn(hdfs, processedDir(root))).filter((other) => other >= batchId);
      for (const other of [...processed].reverse()) {
        await hdfs.delete(processedPath(root, other));
        log.info({ batchId, pending: other }, 'batch marked pending again by a revert');
      }
      for (const plan of plans) {
        if (plan.action !== 'restore') continue;
        await executeJob(hive, 'warehouse_restore', { ...table(plan.table), version: plan.version }, { ...statementOptions({ batchId, table: plan.table }), settings: commitSettings({ kind: 'revert', batch_id: batchId }) });
        log.info({ batchId, table: plan.table, version: plan.version }, 'table restored to its version before the batch');
      }
      await hdfs.delete(revertPath(root, batchId));
      const pending = (await batchIdsIn(hdfs, manifestsDir(root))).filter((other) => other >= batchId);
      return { batchId, pending, tables: plans };
    },
  };
}
