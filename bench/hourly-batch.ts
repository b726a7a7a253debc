// Benchmark of the hourly batch on the local stack, with the activities the worker runs, every
// ratio measured in the same run:
//
// 1. An ordinary hour (1,500 sales) as the fact grows: the same drop processed as the second hour
//    of a small warehouse and as the hour after a bulk load of N sales (default 1,000,000). Each
//    step's time is printed (from the `process step done` log lines); target: big ≤ 1.3 × small.
// 2. The bulk load of N sales against the engine's floor: one statement that converts the same CSV
//    file into a Delta table (target ≤ 3 ×).
// 3. The daily maintenance's OPTIMIZE on the big warehouse: each table's files and bytes before and
//    after, and the files a filter on one transaction date reads (from the Delta log's statistics).
//
// Usage: npx tsx bench/hourly-batch.ts [rows]. Its own HDFS roots and databases, deleted at the end.
import { open } from 'node:fs/promises';
import path from 'node:path';
import { executeJob } from '../lib/jobs';
import { csvSchema } from '../lib/pure/csv-schema';
import { sqlString } from '../lib/pure/sql';
import { filesForDate } from './delta-files';
import { benchWarehouse as warehouse, seconds } from './warehouse';

const rows = Number(process.argv[2] ?? 1_000_000);
const hourDropRows = 1_500;

/** The first line of a file, read without the rest of it. */
async function firstLine(file: string): Promise<string> {
  const handle = await open(file);
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4_096), 0, 4_096, 0);
    return buffer.subarray(0, bytesRead).toString('utf8').split(/\r?\n/)[0]!;
  } finally {
    await handle.close();
  }
}

async function main(): Promise<void> {
  const small = await warehouse('small');
  const big = await warehouse('big');
  const [warmHour, bulkHour, hour] = ['2030-01-01T00', '2030-01-01T00', '2030-01-01T01'];
  try {
    console.log(`qpipe hourly batch benchmark: a ${hourDropRows.toLocaleString('en-US')}-sale hour over a small fact and over ${rows.toLocaleString('en-US')} sales; 2 cores`);

    // 2. the bulk load, and the engine's floor on the same file (first: the measured hours below run on a warm server)
    const { csvBytes, transactionsFile } = await big.land('bench', rows);
    const bulk = await big.runHour(bulkHour);
    const rawPath = `${big.config.hdfs.root}/raw/batch/sales_transactions/ingest_date=2030-01-01/ingest_hour=00/${bulkHour}/${transactionsFile}`;
    const [, floorSeconds] = await seconds(() => big.hive.execute(`CREATE TABLE ${big.config.hive.database}.floor_csv_to_delta USING delta AS SELECT * FROM csv.\`${rawPath}\``, { timeoutMs: 3_600_000 }));
    // The contract's least work on the same file, measured the same way: every line with its number
    // (a rejected row keeps its line number), then also parsed as RFC 4180 CSV by its header's columns.
    await executeJob(big.hive, 'raw_lines', { raw_path: rawPath });
    const header = (await firstLine(path.join(big.config.dirs.archive, bulkHour, transactionsFile))).split(',');
    const [, numberedSeconds] = await seconds(() => big.hive.execute(`CREATE TABLE ${big.config.hive.database}.floor_numbered USING delta AS SELECT * FROM qpipe_raw_lines`, { timeoutMs: 3_600_000 }));
    const [, parsedSeconds] = await seconds(() =>
      big.hive.execute(
        `CREATE TABLE ${big.config.hive.database}.floor_parsed USING delta AS SELECT line_number, r.* FROM (SELECT line_number, from_csv(raw_line, ${sqlString(csvSchema('sales_transactions', header))}, map('escape', '"', 'mode', 'PERMISSIVE')) AS r FROM qpipe_raw_lines WHERE line_number > 1)`,
        { timeoutMs: 3_600_000 },
      ),
    );

    // 1. the same hour over a small fact (after a first hour of 1,500 sales) and over the big one
    await small.land('warm', hourDropRows);
    await small.runHour(warmHour);
    await small.land('hour', hourDropRows);
    const overSmall = await small.runHour(hour);
    await big.land('hour', hourDropRows);
    const overBig = await big.runHour(hour);

    // 3. OPTIMIZE, and what a date filter reads before and after it
    const fact = `${big.config.hive.database}.sales_transactions_fact`;
    const factDir = new URL((await big.hive.query<{ location: string }>(`DESCRIBE DETAIL ${fact}`)).rows[0]!.location).pathname;
    const [{ busiest }] = (await big.hive.query<{ busiest: string }>(`SELECT CAST(transaction_date AS STRING) AS busiest FROM ${fact} GROUP BY transaction_date ORDER BY count(*) DESC, transaction_date LIMIT 1`)).rows as [{ busiest: string }];
    const dateBefore = await filesForDate(big.hdfs, factDir, 'transaction_date', busiest);
    const [optimized, optimizeSeconds] = await seconds(() => big.activities.optimizeWarehouse('2030-01-02'));
    const dateAfter = await filesForDate(big.hdfs, factDir, 'transaction_date', busiest);
    const [{ holding }] = (await big.hive.query<{ holding: number }>(`SELECT count(*) AS holding FROM (SELECT DISTINCT input_file_name() AS file FROM ${fact} WHERE transaction_date = DATE '${busiest}')`)).rows as [{ holding: number }];

    const s = (value: number) => `${value.toFixed(1).padStart(7)} s`;
    console.log('\n1. an ordinary hour as the fact grows (process step times, s)');
    const steps = [...new Set([...overSmall.steps.keys(), ...overBig.steps.keys()])];
    console.log(`   ${'step'.padEnd(16)}${'small fact'.padStart(12)}${`${(rows / 1e6).toFixed(1)}M fact`.padStart(12)}`);
    for (const step of steps) console.log(`   ${step.padEnd(16)}${((overSmall.steps.get(step) ?? 0) / 1000).toFixed(1).padStart(12)}${((overBig.steps.get(step) ?? 0) / 1000).toFixed(1).padStart(12)}`);
    const smallTotal = overSmall.ingestSeconds + overSmall.processSeconds;
    const bigTotal = overBig.ingestSeconds + overBig.processSeconds;
    console.log(`   ${'ingest+process'.padEnd(16)}${smallTotal.toFixed(1).padStart(12)}${bigTotal.toFixed(1).padStart(12)}   ratio ${(bigTotal / smallTotal).toFixed(2)} x (target <= 1.3)`);

    console.log(`\n2. the bulk load of ${rows.toLocaleString('en-US')} sales (${(csvBytes / 1e6).toFixed(1)} MB)`);
    console.log(`   ingest       ${s(bulk.ingestSeconds)}  ${(csvBytes / 1e6 / bulk.ingestSeconds).toFixed(1)} MB/s`);
    console.log(`   process      ${s(bulk.processSeconds)}  ${Math.round(rows / bulk.processSeconds).toLocaleString('en-US')} rows/s`);
    for (const [step, ms] of bulk.steps) console.log(`     ${step.padEnd(14)}${(ms / 1000).toFixed(1).padStart(7)} s`);
    const bulkTotal = bulk.ingestSeconds + bulk.processSeconds;
    console.log(`   end to end   ${s(bulkTotal)}  (target < 300 s)`);
    console.log(`   engine floor ${s(floorSeconds)}  (one CSV -> Delta statement on the same file)`);
    console.log(`   ratio        ${(bulkTotal / floorSeconds).toFixed(2).padStart(7)} x the floor (target <= 3)`);
    console.log(`   numbered     ${s(numberedSeconds)}  (${(numberedSeconds / floorSeconds).toFixed(2)} x the floor: the same file's lines with their numbers -> Delta)`);
    console.log(`   parsed       ${s(parsedSeconds)}  (${(parsedSeconds / floorSeconds).toFixed(2)} x the floor: numbered and parsed as RFC 4180 CSV -> Delta)`);

    console.log(`\n3. OPTIMIZE of the big warehouse (${optimizeSeconds.toFixed(1)} s)`);
    for (const table of optimized) {
      console.log(`   ${table.table.padEnd(24)}${String(table.before.files).padStart(6)} files ${String(table.before.bytes).padStart(11)} B  ->${String(table.after.files).padStart(6)} files ${String(table.after.bytes).padStart(11)} B`);
    }
    console.log(`   a filter on transaction_date = ${busiest} reads ${dateBefore.read} of ${dateBefore.files} fact files before OPTIMIZE, ${dateAfter.read} of ${dateAfter.files} after (${holding} hold rows of that date)`);
    console.log(`\nnode peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (target < 300)`);
  } finally {
    await small.close();
    await big.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
