// The fact's layout, chosen by measurement: liquid clustering by transaction_date against Z-order
// on an unclustered Delta table (and date partitions, the old layout, for scale). For each, on one
// generated drop of N sales (default 1,000,000) read from its CSV: the load (one CREATE TABLE … AS
// SELECT), OPTIMIZE, an hourly MERGE of 1,500 other sales by transaction_id, OPTIMIZE again, and the
// files a filter on one date reads against the table's files (from the Delta log's statistics).
// OPTIMIZE writes files of up to 4 MB (the table is about 15 MB).
// Usage: npx tsx bench/fact-layout.ts [rows]. Its own HDFS root and database, deleted at the end.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../lib/config';
import { generateDrops } from '../lib/generate/drops';
import { HdfsClient } from '../lib/hdfs-client';
import { HiveClient } from '../lib/hive-client';
import { createLogger } from '../lib/log';
import { filesForDate, type DateSkipping } from './delta-files';

const rows = Number(process.argv[2] ?? 1_000_000);

async function seconds(action: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

interface Layout {
  readonly name: string;
  readonly create: (table: string) => string;
  readonly optimize: (table: string) => string;
}

async function main(): Promise<void> {
  const id = randomUUID().slice(0, 8);
  const local = await mkdtemp(path.join(tmpdir(), 'qpipe-bench-layout-'));
  const config = loadConfig({ ...process.env, QPIPE_HDFS_ROOT: `/qpipe-bench/${id}`, QPIPE_HIVE_DATABASE: `bench_layout_${id}`, QPIPE_HDFS_TIMEOUT_MS: '600000' });
  const log = createLogger('warn');
  const hdfs = new HdfsClient(config.hdfs, log);
  const hive = new HiveClient(config.hive, log);
  const db = config.hive.database;
  const long = { timeoutMs: 3_600_000 };
  await hive.connect();
  try {
    console.log(`qpipe fact layout benchmark: ${rows.toLocaleString('en-US')} sales, then a MERGE of 1,500, 2 cores`);
    const upload = async (seed: string, count: number, name: string) => {
      const out = path.join(local, name);
      const summary = await generateDrops({ outDir: out, groups: 1, rows: count, seed });
      const file = summary.files.find((generated) => generated.family === 'salesTransactions')!;
      const target = `${config.hdfs.root}/${name}.csv`;
      await hdfs.putAtomic(target, (await import('node:fs')).createReadStream(file.path), { overwrite: true });
      return target;
    };
    const bulk = await upload('bench', rows, 'bulk');
    const hour = await upload('hour', 1_500, 'hour');
    await hive.execute(`CREATE DATABASE ${db}`);
    // OPTIMIZE's file size as the maintenance sets it (QPIPE_WAREHOUSE_OPTIMIZE_FILE_MB), at 4 MB: this
    // narrow copy of the fact is about 15 MB, and several files are needed to see what a filter skips.
    for (const bound of ['maxFileSize', 'minFileSize']) await hive.execute(`SET spark.databricks.delta.optimize.${bound}=${4 * 1024 * 1024}`);
    // The fact's shape, enough of it: id, date and the measures, typed from the CSV.
    const typed = (csv: string) =>
      `SELECT transaction_id, CAST(to_timestamp(transaction_date, 'yyyy-M-d') AS DATE) AS transaction_date, customer_id, product_id,
              CAST(units AS INT) AS units, CAST(unit_price AS DECIMAL(10,2)) AS unit_price, payment_method, shipping_address
       FROM csv.\`${csv}\` WITH (header 'true')`;
    await hive.execute(`CREATE OR REPLACE TEMPORARY VIEW bulk_rows AS ${typed(bulk)}`);
    await hive.execute(`CREATE OR REPLACE TEMPORARY VIEW hour_rows AS ${typed(hour)}`);
    const [{ busiest }] = (await hive.query<{ busiest: string }>(`SELECT CAST(transaction_date AS STRING) AS busiest FROM bulk_rows GROUP BY transaction_date ORDER BY count(*) DESC LIMIT 1`, long)).rows as [{ busiest: string }];

    const dv = "TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')";
    const layouts: Layout[] = [
      { name: 'liquid clustering', create: (t) => `CREATE TABLE ${t} USING delta CLUSTER BY (transaction_date) ${dv} AS SELECT * FROM bulk_rows`, optimize: (t) => `OPTIMIZE ${t}` },
      { name: 'Z-order', create: (t) => `CREATE TABLE ${t} USING delta ${dv} AS SELECT * FROM bulk_rows`, optimize: (t) => `OPTIMIZE ${t} ZORDER BY (transaction_date)` },
      { name: 'date partitions', create: (t) => `CREATE TABLE ${t} USING delta PARTITIONED BY (transaction_date) ${dv} AS SELECT * FROM bulk_rows`, optimize: (t) => `OPTIMIZE ${t}` },
    ];
    const results: { name: string; load: number; optimize: number; merge: number; reoptimize: number; afterLoad: DateSkipping; afterMerge: DateSkipping; afterOptimize: DateSkipping }[] = [];
    for (const [index, layout] of layouts.entries()) {
      const table = `${db}.fact_${index}`;
      const load = await seconds(() => hive.execute(layout.create(table), long));
      const tableDir = new URL((await hive.query<{ location: string }>(`DESCRIBE DETAIL ${table}`)).rows[0]!.location).pathname;
      const afterLoad = await filesForDate(hdfs, tableDir, 'transaction_date', busiest);
      const optimize = await seconds(() => hive.execute(layout.optimize(table), long));
      const merge = await seconds(() =>
        hive.execute(`MERGE INTO ${table} AS f USING hour_rows AS s ON f.transaction_id = s.transaction_id WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *`, long),
      );
      const afterMerge = await filesForDate(hdfs, tableDir, 'transaction_date', busiest);
      const reoptimize = await seconds(() => hive.execute(layout.optimize(table), long));
      const afterOptimize = await filesForDate(hdfs, tableDir, 'transaction_date', busiest);
      results.push({ name: layout.name, load, optimize, merge, reoptimize, afterLoad, afterMerge, afterOptimize });
    }
    const pad = (text: string, width: number) => text.padEnd(width);
    const sec = (value: number) => `${value.toFixed(1)} s`.padStart(8);
    const reads = (skipping: DateSkipping) => `${skipping.read}/${skipping.files}`.padStart(12);
    console.log(`files a filter on transaction_date = ${busiest} reads, of the table's files`);
    console.log(`${pad('layout', 18)}${'load'.padStart(8)}${'optimize'.padStart(9)}${'merge'.padStart(8)}${'re-opt.'.padStart(8)}${'after load'.padStart(12)}${'after merge'.padStart(12)}${'after opt.'.padStart(12)}`);
    for (const result of results) {
      console.log(`${pad(result.name, 18)}${sec(result.load)}${sec(result.optimize).padStart(9)}${sec(result.merge)}${sec(result.reoptimize)}${reads(result.afterLoad)}${reads(result.afterMerge)}${reads(result.afterOptimize)}`);
    }
  } finally {
    await hive.execute(`DROP DATABASE IF EXISTS ${db} CASCADE`).catch(() => undefined);
    await hive.close();
    await hdfs.delete(config.hdfs.root, { recursive: true }).catch(() => undefined);
    await rm(local, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
