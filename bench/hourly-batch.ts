// Benchmark of the hourly batch on the local stack: one generated drop of 1,000,000 transactions
// (about 140 MB) is ingested and processed by the same activities the worker runs, and in the same
// run the engine's floor is measured: one Spark SQL statement that only converts the same CSV to a
// Parquet table. Beside it, the same conversion into the fact's layout (Parquet partitioned by
// transaction_date, which specs/warehouse.md makes the fact's partition column): what writing the
// rows where the contract puts them costs at least. Prints ingest MB/s, process rows/s, end-to-end
// seconds, the ratios to both floors, and this Node process's peak resident memory.
// Usage: npx tsx bench/hourly-batch.ts [rows]
// It uses its own HDFS root and database, deleted at the end.
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createActivities } from '../activities';
import { loadConfig } from '../lib/config';
import { generateDrops } from '../lib/generate/drops';
import { HdfsClient } from '../lib/hdfs-client';
import { HiveClient } from '../lib/hive-client';
import { createLogger } from '../lib/log';

const rows = Number(process.argv[2] ?? 1_000_000);
const hour = '2030-01-01T00';

async function seconds<T>(action: () => Promise<T>): Promise<[T, number]> {
  const started = process.hrtime.bigint();
  const result = await action();
  return [result, Number(process.hrtime.bigint() - started) / 1e9];
}

async function main(): Promise<void> {
  const id = randomUUID().slice(0, 8);
  const local = await mkdtemp(path.join(tmpdir(), 'qpipe-bench-batch-'));
  const config = loadConfig({
    ...process.env,
    QPIPE_HDFS_ROOT: `/qpipe-bench/${id}`,
    QPIPE_HIVE_DATABASE: `bench_${id}`,
    QPIPE_LANDING_DIR: path.join(local, 'landing'),
    QPIPE_ARCHIVE_DIR: path.join(local, 'archive'),
    QPIPE_REJECTED_DIR: path.join(local, 'rejected'),
    QPIPE_LANDING_SETTLE_MS: '0',
    QPIPE_HDFS_TIMEOUT_MS: '600000',
  });
  const log = createLogger('warn');
  const hdfs = new HdfsClient(config.hdfs, log);
  const hive = new HiveClient(config.hive, log);
  await hive.connect();
  const activities = createActivities({ config, hdfs, hive, log });
  try {
    console.log(`qpipe hourly batch benchmark: ${rows.toLocaleString('en-US')} transactions, 2 cores`);
    const summary = await generateDrops({ outDir: local, groups: 1, rows, seed: 'bench' });
    await rename(path.join(local, 'group1'), config.dirs.landing);
    const transactions = summary.files.find((file) => file.family === 'salesTransactions')!;
    const megabytes = summary.bytes / 1e6;

    const [ingest, ingestSeconds] = await seconds(() => activities.ingestLanding(hour));
    const [processed, processSeconds] = await seconds(async () => {
      const pending = await activities.listPendingBatches();
      const results = [];
      for (const batchId of pending) results.push(await activities.processBatch(batchId));
      return results;
    });
    const endToEnd = ingestSeconds + processSeconds;

    const rawPath = `${config.hdfs.root}/raw/batch/sales_transactions/ingest_date=2030-01-01/ingest_hour=00/${hour}/${path.basename(transactions.path)}`;
    await hive.execute(`CREATE DATABASE IF NOT EXISTS ${config.hive.database}`);
    const [, floorSeconds] = await seconds(() =>
      hive.execute(
        `CREATE TABLE ${config.hive.database}.floor_csv_to_parquet USING parquet AS SELECT * FROM csv.\`${rawPath}\``,
        { timeoutMs: 3_600_000 },
      ),
    );

    // The header is read (by name, like the batch): transaction_date is a column to partition by.
    await hive.execute(`CREATE TEMPORARY VIEW floor_csv USING csv OPTIONS (path '${rawPath}', header 'true')`);
    const [, partitionedSeconds] = await seconds(() =>
      hive.execute(`CREATE TABLE ${config.hive.database}.floor_partitioned USING parquet PARTITIONED BY (transaction_date) AS SELECT * FROM floor_csv`, { timeoutMs: 3_600_000 }),
    );
    const [dates] = (await hive.query<{ n: number }>(`SELECT count(DISTINCT transaction_date) AS n FROM ${config.hive.database}.floor_partitioned`)).rows;

    console.log(`ingest        ${ingestSeconds.toFixed(1).padStart(7)} s  ${(megabytes / ingestSeconds).toFixed(1)} MB/s (${ingest.ingested} files, ${megabytes.toFixed(1)} MB)`);
    console.log(`process       ${processSeconds.toFixed(1).padStart(7)} s  ${Math.round(rows / processSeconds).toLocaleString('en-US')} rows/s (${processed.length} batch)`);
    console.log(`end to end    ${endToEnd.toFixed(1).padStart(7)} s  (target < 300 s)`);
    console.log(`engine floor  ${floorSeconds.toFixed(1).padStart(7)} s  (one CSV -> Parquet statement on the same file)`);
    console.log(`ratio         ${(endToEnd / floorSeconds).toFixed(2).padStart(7)} x the floor (target <= 3)`);
    console.log(`layout floor  ${partitionedSeconds.toFixed(1).padStart(7)} s  (the same CSV -> Parquet partitioned by transaction_date: ${Number(dates?.n)} partitions, ${(partitionedSeconds / floorSeconds).toFixed(2)} x the floor)`);
    console.log(`layout ratio  ${(endToEnd / partitionedSeconds).toFixed(2).padStart(7)} x the layout floor`);
    console.log(`node peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0).padStart(7)} MiB (target < 300)`);
  } finally {
    await hive.execute(`DROP DATABASE IF EXISTS ${config.hive.database} CASCADE`).catch(() => undefined);
    await hive.close();
    await hdfs.delete(config.hdfs.root, { recursive: true }).catch(() => undefined);
    await rm(local, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
