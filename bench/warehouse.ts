// The benchmarks' own warehouses: a config with its own HDFS root, database and local dirs, the
// worker's activities bound to it, the drop generator, and each processed batch's step times (from
// the `process step done` log lines).
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { createActivities } from '../activities';
import { loadConfig, type Config } from '../lib/config';
import { generateDrops } from '../lib/generate/drops';
import { HdfsClient } from '../lib/hdfs-client';
import { HiveClient } from '../lib/hive-client';

export async function seconds<T>(action: () => Promise<T>): Promise<[T, number]> {
  const started = process.hrtime.bigint();
  const result = await action();
  return [result, Number(process.hrtime.bigint() - started) / 1e9];
}

/** Each `process step done` line of a batch: step → ms. */
const stepTimes = new Map<string, Map<string, number>>();
const log = pino(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.includes('process step done')) continue;
        const entry = JSON.parse(line) as { batchId: string; step: string; ms: number; database: string };
        const key = `${entry.database}/${entry.batchId}`;
        if (!stepTimes.has(key)) stepTimes.set(key, new Map());
        stepTimes.get(key)!.set(entry.step, entry.ms);
      }
      done();
    },
  }),
);

/** A warehouse of its own: config, clients and activities, and a landing dir to drop files into. */
export async function benchWarehouse(name: string) {
  const id = `${name}_${randomUUID().slice(0, 8)}`;
  const local = await mkdtemp(path.join(tmpdir(), `qpipe-bench-${name}-`));
  const config: Config = loadConfig({
    ...process.env,
    QPIPE_HDFS_ROOT: `/qpipe-bench/${id}`,
    QPIPE_HIVE_DATABASE: `bench_${id}`,
    QPIPE_LANDING_DIR: path.join(local, 'landing'),
    QPIPE_ARCHIVE_DIR: path.join(local, 'archive'),
    QPIPE_REJECTED_DIR: path.join(local, 'rejected'),
    QPIPE_LANDING_SETTLE_MS: '0',
    QPIPE_HDFS_TIMEOUT_MS: '600000',
    QPIPE_HIVE_STATEMENT_TIMEOUT_MS: '3600000',
    // 1M sales are one 96 MB file at the default 128 MB: files of 16 MB show the date skipping a year of drops gets at 128 MB.
    QPIPE_WAREHOUSE_OPTIMIZE_FILE_MB: '16',
  });
  const hdfs = new HdfsClient(config.hdfs, log);
  const hive = new HiveClient(config.hive, log);
  await hive.connect();
  const activities = createActivities({ config, hdfs, hive, log: log.child({ database: config.hive.database }) });
  return {
    config,
    hdfs,
    hive,
    activities,
    /** Generates a drop of `count` sales and lands it. */
    async land(seed: string, count: number): Promise<{ csvBytes: number; transactionsFile: string }> {
      const out = path.join(local, `drop-${seed}`);
      const summary = await generateDrops({ outDir: out, groups: 1, rows: count, seed });
      await rm(config.dirs.landing, { recursive: true, force: true });
      await rename(path.join(out, 'group1'), config.dirs.landing);
      const transactions = summary.files.find((file) => file.family === 'salesTransactions')!;
      return { csvBytes: summary.bytes, transactionsFile: path.basename(transactions.path) };
    },
    /** Ingests the landing dir as `hour`'s batch and processes it: seconds of each, and the process's step times. */
    async runHour(hour: string) {
      const [ingest, ingestSeconds] = await seconds(() => activities.ingestLanding(hour));
      const [, processSeconds] = await seconds(async () => {
        for (const batchId of await activities.listPendingBatches()) await activities.processBatch(batchId);
      });
      return { ingest, ingestSeconds, processSeconds, steps: stepTimes.get(`${config.hive.database}/${hour}`) ?? new Map<string, number>() };
    },
    async close(): Promise<void> {
      await hive.execute(`DROP DATABASE IF EXISTS ${config.hive.database} CASCADE`).catch(() => undefined);
      await hive.close();
      await hdfs.delete(config.hdfs.root, { recursive: true }).catch(() => undefined);
      await rm(local, { recursive: true, force: true });
    },
  };
}

