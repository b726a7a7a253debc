import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../../lib/config';
import type { Row } from '../../lib/hive-client';
import { loadJob } from '../../lib/jobs';
import { silentLogger } from '../../lib/log';
import { manifestPath, revertPath } from '../../lib/pure/batch';
import { deltaTables, qualityTables, starTables } from '../../lib/pure/delta';
import { renderSql, splitStatements, sqlIdentifier } from '../../lib/pure/sql';
import { createTemporalClient } from '../../lib/temporal';
import { ensureWarehouse, legacySuffix } from '../../lib/warehouse-setup';
import { createQpipeWorker, type QpipeWorker } from '../../workers/temporal-worker';
import { hourlyBatch } from '../../workflows/hourly-batch';
import { isolatedEnv } from '../helpers/isolated';
import { commitBatch } from '../helpers/raw-batch';
import { realGroup, testWarehouse } from '../helpers/warehouse';

// Batch revert, warehouse maintenance and the migration from the old layout, on the real stack
// with the real groups. Expected tables are the pipeline's own earlier snapshots (a revert must
// give back exactly what was there before the batch; a migration exactly what the old tables held)
// and the figures of test/fixtures/expected.

const run = promisify(execFile);
const qpipe = path.resolve(__dirname, '..', '..', 'bin', 'qpipe');
const minutes = (n: number) => n * 60_000;
const hourOf = (group: number) => `2026-01-01T0${group}`;
const expected = JSON.parse(readFileSync(path.resolve(__dirname, '../fixtures/expected/q-company-groups-1-5.json'), 'utf8')) as { new_fact_rows_per_group: Record<string, number> };

/** A test warehouse with its own environment: a process of bin/qpipe sees the same database and root. */
function warehouse(name: string, extra: Record<string, string> = {}) {
  const env = isolatedEnv(name, extra);
  const w = testWarehouse(loadConfig(env));
  return {
    ...w,
    env,
    async processGroups(...groups: number[]): Promise<void> {
      for (const group of groups) {
        await commitBatch(w.hdfs, w.config.hdfs.root, hourOf(group), realGroup(group));
        await w.processBatch(hourOf(group));
      }
    },
    /** `bin/qpipe …` in this warehouse's environment; resolves to stdout, rejects with its stderr. */
    cli: (...args: string[]) => run(qpipe, args, { env, timeout: minutes(10) }).then(({ stdout }) => stdout),
  };
}

describe('batch revert, maintenance and migration on the real groups', () => {
  // Retention 0 h: this test's VACUUM deletes what OPTIMIZE replaced at once (the default keeps 7 days).
  const a = warehouse('revert', { QPIPE_WAREHOUSE_VACUUM_RETENTION_HOURS: '0' });
  const b = warehouse('migrate');
  let client: Client;
  let worker: QpipeWorker;
  let working: Promise<void>;
  const snapshots: Record<string, Record<string, string[]>> = {};

  beforeAll(async () => {
    await Promise.all([a.open(), b.open()]);
    client = await createTemporalClient(a.config.temporal);
    worker = await createQpipeWorker(a.config, silentLogger);
    working = worker.run();
  });

  afterAll(async () => {
    worker.shutdown();
    await working;
    await worker.close();
    await client.connection.close();
    await Promise.all([a.close(), b.close()]);
  }, minutes(5));

  it('reverts a batch through the CLI: the star tables as before it, it and the later batch pending, and reprocessing gives back the same tables', async () => {
    await a.processGroups(1, 2);
    snapshots.afterTwo = await a.snapshot();
    await a.processGroups(3, 4);
    snapshots.afterFour = await a.snapshot();

    // Refused without a terminal and without --yes, and while an hourly batch of this deployment runs.
    await expect(a.cli('batch', 'revert', hourOf(3))).rejects.toMatchObject({ stderr: expect.stringContaining('pass --yes to confirm') });
    // (With the worker stopped, the hourly run started here stays running.)
    worker.shutdown();
    await working;
    const runningHere = await client.workflow.start(hourlyBatch, { workflowId: `hourly-batch-running-${a.db}`, taskQueue: a.config.temporal.taskQueue, args: [{ hour: hourOf(9) }] });
    await expect(a.cli('batch', 'revert', hourOf(3), '--yes')).rejects.toMatchObject({ stderr: expect.stringContaining(`refusing to revert while the warehouse is being written: hourlyBatch hourly-batch-running-${a.db}`) });
    await runningHere.terminate('test');
    worker = await createQpipeWorker(a.config, silentLogger);
    working = worker.run();
    expect(await a.snapshot()).toEqual(snapshots.afterFour);

    const printed = await a.cli('batch', 'revert', hourOf(3), '--yes');
    expect(printed).toContain(`batch revert ${hourOf(3)}: done`);
    expect(printed).toContain(`pending again, for the next hourly run: ${hourOf(3)}, ${hourOf(4)}`);
    const star = (snapshot: Record<string, string[]>) => Object.fromEntries(starTables.map((table) => [table, snapshot[table]]));
    expect(star(await a.snapshot())).toEqual(star(snapshots.afterTwo!));
    expect(await a.listPendingBatches()).toEqual([hourOf(3), hourOf(4)]);

    // Batches keep their order: the later one waits for the reverted one.
    await expect(a.processBatch(hourOf(4))).rejects.toMatchObject({ type: 'CONTRACT_BROKEN', message: expect.stringContaining(`older batch still pending (${hourOf(3)})`) });
    // A second revert of the same batch finds nothing left of it.
    const again = await a.revertBatch(hourOf(3));
    expect(again.tables.map((table) => table.action)).toEqual(starTables.map(() => 'none'));
    expect(again.pending).toEqual([hourOf(3), hourOf(4)]);

    for (const batchId of await a.listPendingBatches()) await a.processBatch(batchId);
    expect(await a.snapshot()).toEqual(snapshots.afterFour);
  }, minutes(20));

  it('lists each commit of the fact with its batch: one MERGE per hour that wrote rows, the revert\'s RESTORE between', async () => {
    const commits = JSON.parse(await a.cli('history', 'sales_transactions_fact', '--format', 'json')) as Row[];
    const story = commits.map((commit) => [commit.operation, commit.batch_id, commit.made_by, commit.rows_added, commit.rows_removed]);
    // newest first; group 3 replays group 1, so its MERGE finds nothing to write and commits nothing
    expect(story).toEqual([
      ['MERGE', hourOf(4), 'step fact', 1500, 0],
      ['RESTORE', null, `revert of ${hourOf(3)} (to version 2)`, null, null],
      ['MERGE', hourOf(4), 'step fact', 1500, 0],
      ['MERGE', hourOf(2), 'step fact', 1500, 0],
      ['MERGE', hourOf(1), 'step fact', 1500, 0],
      ['CREATE TABLE', null, null, 0, 0],
    ]);
    expect(commits.map((commit) => commit.version)).toEqual([5, 4, 3, 2, 1, 0]);
  }, minutes(5));

  it('maintains the warehouse: OPTIMIZE compacts each table to fewer files, VACUUM deletes the replaced ones, the rows stay', async () => {
    const before = await a.snapshot();
    const optimized = await a.optimizeWarehouse('2026-01-02');
    const fact = optimized.find((table) => table.table === 'sales_transactions_fact')!;
    expect(fact.before.files).toBeGreaterThan(fact.after.files);
    for (const table of optimized) expect({ table: table.table, fewer: table.after.files <= table.before.files }).toEqual({ table: table.table, fewer: true });
    const vacuumed = await a.vacuumWarehouse('2026-01-02');
    const factOnDisk = vacuumed.find((table) => table.table === 'sales_transactions_fact')!;
    expect(factOnDisk.filesOnDiskAfter).toBeLessThan(factOnDisk.filesOnDiskBefore);
    expect(factOnDisk.filesOnDiskAfter).toBe(fact.after.files);
    expect(await a.snapshot()).toEqual(before);
    const customerCommits = JSON.parse(await a.cli('history', 'customer_dim', '--format', 'json')) as Row[];
    expect(customerCommits).toContainEqual(expect.objectContaining({ operation: 'OPTIMIZE', made_by: 'maintenance 2026-01-02 optimize', rows_added: 0, rows_removed: 0 }));
  }, minutes(10));

  it('refuses to revert a batch whose earlier versions VACUUM deleted, before touching anything', async () => {
    const before = await a.snapshot();
    await expect(a.revertBatch(hourOf(4))).rejects.toMatchObject({ type: 'CONTRACT_BROKEN', message: expect.stringContaining('are gone (VACUUM keeps 0 hours)') });
    expect(await a.snapshot()).toEqual(before);
    expect(await a.listPendingBatches()).toEqual([]);
    expect(await a.hdfs.exists(revertPath(a.config.hdfs.root, hourOf(4)))).toBe(false);
  }, minutes(5));

  it('migrates a warehouse of the old layout, interrupted after its first step, to Delta with every row, and it goes on like the original', async () => {
    // The old layout (Parquet, the fact partitioned by date, ingested_files a JSON table), filled with warehouse a's rows.
    const legacyDdl = readFileSync(path.resolve(__dirname, '../fixtures/legacy/ddl.sql'), 'utf8');
    for (const statement of splitStatements(renderSql(legacyDdl, { database: sqlIdentifier(b.db), ingested_files_location: `${b.config.hdfs.root}/meta/ingested_files` }))) await b.hive.execute(statement);
    for (const table of deltaTables) {
      const columns = (await a.hive.query(`SELECT * FROM ${a.db}.${table} LIMIT 0`)).columns.map((column) => column.name);
      await b.hive.execute(`INSERT INTO ${b.db}.${table} (${columns.join(', ')}) SELECT ${columns.join(', ')} FROM ${a.db}.${table}`);
    }
    expect((await b.query(`SHOW PARTITIONS ${b.db}.sales_transactions_fact`)).length).toBeGreaterThan(600);
    const original = await a.snapshot();
    // As if a first migration had stopped right after moving the fact aside.
    for (const statement of loadJob('warehouse_rename_table', { database: sqlIdentifier(b.db), table: sqlIdentifier('sales_transactions_fact'), new_name: sqlIdentifier(`sales_transactions_fact${legacySuffix}`) })) await b.hive.execute(statement);

    const migrated = await ensureWarehouse({ hive: b.hive, database: b.db, log: silentLogger });
    expect(migrated.map((table) => table.table).sort()).toEqual([...deltaTables].sort());
    const factRowsAfterFour = [1, 2, 3, 4].reduce((sum, group) => sum + expected.new_fact_rows_per_group[String(group)]!, 0);
    expect(migrated.find((table) => table.table === 'sales_transactions_fact')?.rows).toBe(factRowsAfterFour);
    expect(await b.snapshot()).toEqual(original);
    const tables = (await b.query(`SHOW TABLES IN ${b.db}`)).map((row) => String(row.tableName)).sort();
    expect(tables).toEqual([...deltaTables, ...qualityTables, '_stage_branches', '_stage_fact_plan', '_stage_sales_agents', '_stage_transactions'].sort());
    const [detail] = await b.query(`DESCRIBE DETAIL ${b.db}.sales_transactions_fact`);
    expect(detail).toMatchObject({ format: 'delta', partitionColumns: '[]', clusteringColumns: '["transaction_date"]' });
    expect(await ensureWarehouse({ hive: b.hive, database: b.db, log: silentLogger })).toEqual([]);
    // Through the CLI: the warehouseMigrate workflow, on a worker of b's task queue.
    const bWorker = await createQpipeWorker(b.config, silentLogger);
    const bWorking = bWorker.run();
    try {
      expect(await b.cli('warehouse', 'migrate')).toBe(`${b.db}: every table is a Delta table; nothing to migrate\n`);
    } finally {
      bWorker.shutdown();
      await bWorking;
      await bWorker.close();
    }

    // A batch loaded before the history begins cannot be reverted: refused, nothing touched.
    await commitBatch(b.hdfs, b.config.hdfs.root, hourOf(2), realGroup(2));
    await expect(b.revertBatch(hourOf(2))).rejects.toMatchObject({ type: 'CONTRACT_BROKEN', message: expect.stringContaining('which no commit of the batch made, holds') });
    expect(await b.snapshot()).toEqual(original);
    await b.hdfs.delete(manifestPath(b.config.hdfs.root, hourOf(2)));

    // The next hour on both: the migrated warehouse ends like the one that never moved. An unfinished
    // revert (its mark left by a crash) holds every batch back until it is run again.
    await a.processGroups(5);
    await commitBatch(b.hdfs, b.config.hdfs.root, hourOf(5), realGroup(5));
    await b.hdfs.putAtomic(revertPath(b.config.hdfs.root, hourOf(1)), '{}\n');
    await expect(b.processBatch(hourOf(5))).rejects.toMatchObject({ type: 'CONTRACT_BROKEN', message: expect.stringContaining(`a revert of batch ${hourOf(1)} is unfinished`) });
    await b.hdfs.delete(revertPath(b.config.hdfs.root, hourOf(1)));
    await b.processBatch(hourOf(5));
    expect(await b.snapshot()).toEqual(await a.snapshot());
  }, minutes(20));
});
