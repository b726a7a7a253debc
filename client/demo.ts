import { copyFile, mkdir, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import type { Config } from '../lib/config';
import { generateDrops } from '../lib/generate/drops';
import { HiveClient } from '../lib/hive-client';
import { createLogger } from '../lib/log';
import { addHours, logicalHourOf } from '../lib/pure/batch';
import { runNamedQuery } from '../lib/reports';
import { createTemporalClient } from '../lib/temporal';
import { LocalStack } from '../stack/stack';
import { createQpipeWorker, installTemporalRuntime } from '../workers/temporal-worker';
import { dailyDump, dailyDumpWorkflowId } from '../workflows/daily-dump';
import { hourlyBatch, hourlyBatchWorkflowId } from '../workflows/hourly-batch';
import { formatRows } from './format';
import type { CommandContext } from './main';
import { applySchedules, pipelineSchedules, setPaused } from './schedules';

/** The demo's data: six drops of the source's size, the same bytes on every run. */
const demoGroups = 6;
const demoRows = 1_500;
const demoSeed = 'qpipe-demo';
const steps = 7;

/**
 * `qpipe demo`: from a fresh checkout, the whole batch pipeline on generated data. Installs what is
 * missing and starts the stack, starts a worker, generates six hourly drops, runs them as the six
 * logical hours up to the current one (each drop landed just before its hour's run), writes the
 * B2B dump of the busiest in-store day, applies the schedules (left paused), prints the marketing
 * reports and where to see it all in the Temporal UI. The stack stays up.
 *
 * Rerunnable: the same seed makes the same files, which a later run recognises as duplicate
 * deliveries (or, within the same hour, as batches already committed): the warehouse is unchanged.
 */
export async function runDemo({ config }: CommandContext): Promise<void> {
  const started = Date.now();
  const step = (n: number, message: string) => process.stderr.write(`demo [${n}/${steps}] ${message} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  const note = (message: string) => process.stderr.write(`        ${message}\n`);

  step(1, 'starting the local stack (the first run installs it: a few minutes)');
  await new LocalStack(config, note).up();

  // The worker's JSON log lines go to a file: the terminal shows the demo's progress.
  const workerLogFile = path.join(config.stack.dir, 'logs', 'demo-worker.log');
  const log = createLogger(config.log.level, { app: 'qpipe', component: 'demo-worker' }, workerLogFile);
  step(2, `starting a Temporal worker (workflows, activities and the batch lane; its log: ${path.relative(process.cwd(), workerLogFile)})`);
  installTemporalRuntime(config, log, []);
  const worker = await createQpipeWorker(config, log);
  const running = worker.run();
  const client = await createTemporalClient(config.temporal);
  const hive = new HiveClient(config.hive, log.child({ component: 'hive' }));
  try {
    await hive.connect();

    const dropsDir = path.join(config.home, 'data', 'demo', 'drops');
    step(3, `generating ${demoGroups} hourly drops of ${demoRows} sales into ${path.relative(process.cwd(), dropsDir) || dropsDir}`);
    await generateDrops({ outDir: dropsDir, groups: demoGroups, rows: demoRows, seed: demoSeed });

    const lastHour = logicalHourOf(Date.now());
    const hours = Array.from({ length: demoGroups }, (_, index) => addHours(lastHour, index - demoGroups + 1));
    step(4, `running the hourly batch for ${hours[0]} … ${lastHour}, one drop landed before each hour`);
    for (const [index, hour] of hours.entries()) {
      await land(path.join(dropsDir, `group${index + 1}`), config.dirs.landing);
      const hourStarted = Date.now();
      const handle = await client.workflow.start(hourlyBatch, {
        workflowId: hourlyBatchWorkflowId(hour),
        taskQueue: config.temporal.taskQueue,
        args: [{ hour }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      });
      const result = await handle.result();
      const loaded = result.processed.reduce((sum, batch) => sum + (batch.rowsLoaded.sales_transactions_fact ?? 0), 0);
      const replayed = result.processed.reduce((sum, batch) => sum + batch.replayed, 0);
      const took = `${((Date.now() - hourStarted) / 1000).toFixed(1)} s`;
      if (result.ingest.resumed) note(`${hour}: batch already committed by an earlier run; ${loaded} sales loaded now (${took})`);
      else
        note(
          `${hour}: ${result.ingest.ingested} files ingested, ${result.ingest.duplicate} duplicate, ${result.ingest.rejected} rejected; ` +
            `${loaded} sales loaded, ${replayed} replays recognised (${took})` +
            (result.ingest.deferred ? `; ingest deferred: ${result.ingest.deferred}` : ''),
        );
    }

    const busiest = await busiestInStoreDay(hive, config.hive.database);
    step(5, `writing the B2B dump of ${busiest ?? 'no day (no in-store sales)'}`);
    if (busiest) {
      const dump = await client.workflow.execute(dailyDump, {
        workflowId: dailyDumpWorkflowId(busiest),
        taskQueue: config.temporal.taskQueue,
        args: [{ date: busiest }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      });
      note(`${path.relative(process.cwd(), dump.path)}: ${dump.rows} rows, ${dump.bytes} bytes; its first lines:`);
      for (const line of (await readFile(dump.path, 'utf8')).split(/\r?\n/).slice(0, 4)) note(`  ${line}`);
    }

    step(6, 'applying the durable schedules (new ones left paused: bin/qpipe schedules unpause starts them)');
    const schedules = pipelineSchedules(config);
    const created = (await applySchedules(client, schedules)).filter((result) => result.outcome === 'created').map((result) => result.scheduleId);
    await setPaused(client, schedules.filter((schedule) => created.includes(schedule.scheduleId)), true, 'applied by qpipe demo; bin/qpipe schedules unpause to start');

    step(7, 'the marketing reports (bin/qpipe query NAME prints any of them)');
    await printReports(hive, config.hive.database);
    printWhereToLook(config, hours, busiest);
  } finally {
    await hive.close();
    await client.connection.close();
    worker.shutdown();
    await running;
    await worker.close();
  }
}

/** Copies a drop's files into the landing dir, as the source system would drop them. */
async function land(dropDir: string, landingDir: string): Promise<void> {
  await mkdir(landingDir, { recursive: true });
  for (const file of await readdir(dropDir)) await copyFile(path.join(dropDir, file), path.join(landingDir, file));
}

async function busiestInStoreDay(hive: HiveClient, database: string): Promise<string | undefined> {
  const { rows } = await hive.query<{ transaction_date: string }>(
    `SELECT CAST(transaction_date AS STRING) AS transaction_date FROM ${database}.sales_transactions_fact WHERE NOT is_online
     GROUP BY transaction_date ORDER BY count(*) DESC, transaction_date LIMIT 1`,
  );
  return rows[0]?.transaction_date;
}

const reports = [
  { name: 'most-selling-products', title: 'Most selling products (top 10)', limit: 10 },
  { name: 'most-redeemed-offers', title: 'Most redeemed offers', limit: 10 },
  { name: 'most-redeemed-offers-per-product', title: 'Most redeemed offers per product (top 10)', limit: 10 },
  { name: 'lowest-online-cities', title: 'Cities with the lowest online sales (bottom 10)', limit: 10 },
] as const;

async function printReports(hive: HiveClient, database: string): Promise<void> {
  for (const report of reports) {
    const { columns, rows } = await runNamedQuery(hive, database, report.name, { limit: report.limit });
    process.stdout.write(`\n${report.title} — bin/qpipe query ${report.name}\n${formatRows(columns, rows, 'table')}\n`);
  }
}

function printWhereToLook({ temporal }: Config, hours: readonly string[], busiest: string | undefined): void {
  const ui = `${temporal.uiUrl}/namespaces/${encodeURIComponent(temporal.namespace)}`;
  const hourlyRuns = `${ui}/workflows?query=${encodeURIComponent(`WorkflowType="hourlyBatch"`)}`;
  process.stdout.write(
    [
      '',
      'Temporal UI (the runs, their activities, retries and inputs):',
      `  hourly batches   ${hourlyRuns}`,
      `  last hour's run  ${ui}/workflows/${encodeURIComponent(hourlyBatchWorkflowId(hours[hours.length - 1]!))}`,
      ...(busiest ? [`  B2B dump         ${ui}/workflows/${encodeURIComponent(dailyDumpWorkflowId(busiest))}`] : []),
      `  schedules        ${ui}/schedules`,
      'The stack is still up: bin/qpipe stack status; bin/qpipe worker runs a worker; bin/qpipe stack down stops it all.',
      '',
    ].join('\n'),
  );
}
