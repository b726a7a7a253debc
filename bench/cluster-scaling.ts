// Scaling figure of the cluster profile (`bin/qpipe stack up --profile cluster` first): the bulk
// load of N sales (default 1,000,000: generated, ingested, processed by the worker's activities)
// with one Spark worker, then with all (`QPIPE_SPARK_WORKERS`, 2), printed side by side, each in a
// warehouse of its own.
//
// For the one-worker run, the other workers are stopped (the Thrift Server keeps one executor), and
// `stack up` starts them again for the second. Besides the times, it prints each executor's tasks (the driver's
// REST API) and the peak resident memory of the Spark processes (sampled every second; a worker
// counts with its executor). On a 2-core machine this measures the cluster's overhead, not a
// speed-up: two one-core executors share the two cores with the driver, HDFS and PostgreSQL.
//
// Usage: npx tsx bench/cluster-scaling.ts [rows].
import { loadConfig } from '../lib/config';
import { stackLayout } from '../stack/layout';
import { groupResidentMiB, runningPid, stopProcess } from '../stack/processes';
import { LocalStack, lastProfile } from '../stack/stack';
import { thriftExecutors, type SparkExecutor } from '../stack/cluster';
import { benchWarehouse, seconds } from './warehouse';

const rows = Number(process.argv[2] ?? 1_000_000);
const config = loadConfig();
const layout = stackLayout(config.stack.dir, 'cluster');
const workers = config.stack.cluster.sparkWorkers;
const sparkProcesses = ['spark-thrift', 'spark-master', ...Array.from({ length: workers }, (_, index) => `spark-worker-${index + 1}`)];

async function activeExecutors(): Promise<SparkExecutor[]> {
  return (await thriftExecutors(config)).filter((executor) => executor.isActive && executor.id !== 'driver');
}

async function waitForExecutors(count: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while ((await activeExecutors()).length !== count) {
    if (Date.now() > deadline) throw new Error(`the Thrift Server did not get ${count} executors within 2 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Samples the Spark processes' resident memory every second until stopped; returns each one's peak (MiB). */
function sampleMemory(): () => Map<string, number> {
  const peaks = new Map<string, number>();
  const timer = setInterval(() => {
    void Promise.all(
      sparkProcesses.map(async (name) => {
        const pid = await runningPid(layout, name);
        const rss = pid === undefined ? undefined : groupResidentMiB(pid);
        if (rss !== undefined) peaks.set(name, Math.max(peaks.get(name) ?? 0, rss));
      }),
    );
  }, 1_000);
  return () => {
    clearInterval(timer);
    return peaks;
  };
}

interface Run {
  workers: number;
  ingestSeconds: number;
  processSeconds: number;
  tasks: number[];
  peaks: Map<string, number>;
}

async function load(workers: number): Promise<Run> {
  await waitForExecutors(workers);
  const before = new Map((await activeExecutors()).map((executor) => [executor.id, executor.totalTasks]));
  const warehouse = await benchWarehouse(`cluster${workers}`);
  try {
    await warehouse.land('bench', rows);
    const stop = sampleMemory();
    const run = await warehouse.runHour('2030-01-01T00');
    const peaks = stop();
    const tasks = (await activeExecutors()).map((executor) => executor.totalTasks - (before.get(executor.id) ?? 0));
    return { workers, ingestSeconds: run.ingestSeconds, processSeconds: run.processSeconds, tasks, peaks };
  } finally {
    await warehouse.close();
  }
}

async function main(): Promise<void> {
  if (lastProfile(config.stack.dir) !== 'cluster' || workers < 2) throw new Error('run bin/qpipe stack up --profile cluster (with 2 or more workers) first');
  console.log(`qpipe cluster scaling benchmark: the bulk load of ${rows.toLocaleString('en-US')} sales, 1 then ${workers} Spark workers (1 core, ${config.stack.memory.sparkExecutorMemory} executor each); 2 cores`);
  const [, warmSeconds] = await seconds(async () => {
    const warm = await benchWarehouse('warm');
    await warm.land('warm', 1_500);
    await warm.runHour('2030-01-01T00');
    await warm.close();
  });
  console.log(`  (a warm-up hour of 1,500 sales: ${warmSeconds.toFixed(1)} s)`);

  // One worker: the others stopped for the run, and started again whatever happens.
  let one: Run;
  try {
    for (const name of sparkProcesses.filter((name) => /^spark-worker-[2-9]$/.test(name))) await stopProcess(layout, name);
    one = await load(1);
  } finally {
    await new LocalStack(config, (message) => process.stderr.write(`  ${message}\n`), 'cluster').up();
  }
  const two = await load(workers);

  const runs = [one, two];
  const row = (label: string, cell: (run: Run) => string) => console.log(`  ${label.padEnd(30)}${runs.map((run) => cell(run).padStart(14)).join('')}`);
  console.log('');
  row('', (run) => `${run.workers} worker${run.workers > 1 ? 's' : ''}`);
  row('ingest (s)', (run) => run.ingestSeconds.toFixed(1));
  row('process (s)', (run) => run.processSeconds.toFixed(1));
  row('end to end (s)', (run) => (run.ingestSeconds + run.processSeconds).toFixed(1));
  row('rows/s (process)', (run) => Math.round(rows / run.processSeconds).toLocaleString('en-US'));
  row('tasks per executor', (run) => run.tasks.join(' + '));
  for (const name of sparkProcesses) row(`peak RSS ${name} (MiB)`, (run) => String(run.peaks.get(name) ?? '-'));
  const ratio = (two.ingestSeconds + two.processSeconds) / (one.ingestSeconds + one.processSeconds);
  console.log(`\n  ${workers} workers / 1 worker, end to end: ${ratio.toFixed(2)} x (on 2 cores: overhead, not speed-up)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
