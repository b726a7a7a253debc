import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import type { Config } from '../lib/config';
import { generateDrops } from '../lib/generate/drops';
import { HiveClient } from '../lib/hive-client';
import { HdfsClient } from '../lib/hdfs-client';
import { createKafka, ensureTopics, topicEndOffsets } from '../lib/kafka';
import { createLogger, type Logger } from '../lib/log';
import { waitUntilDurable } from '../lib/stream/commits';
import { addHours, logicalHourOf } from '../lib/pure/batch';
import { loadJob } from '../lib/jobs';
import { sqlIdentifier } from '../lib/pure/sql';
import { readHistory } from '../lib/delta-history';
import { runNamedQuery } from '../lib/reports';
import { createTemporalClient } from '../lib/temporal';
import { LocalStack } from '../stack/stack';
import { startStreamWorker } from '../workers/stream-worker';
import { startQpipeWorker } from '../workers/temporal-worker';
import { batchDecision, batchDecisionWorkflowId } from '../workflows/batch-decision';
import { dailyDump, dailyDumpWorkflowId } from '../workflows/daily-dump';
import { hourlyBatch, hourlyBatchWorkflowId } from '../workflows/hourly-batch';
import { streamMaintenance, streamMaintenanceWorkflowId } from '../workflows/stream-maintenance';
import { formatRows } from './format';
import { formatStatus, gatherStatus } from './status';
import { produceEvents } from './produce';
import type { CommandContext } from './context';
import { applySchedules, pipelineSchedules, setPaused } from './schedules';
import { historyColumns, historyRow } from './warehouse';

/** The demo's data: six drops of the source's size, the same bytes on every run. */
const demoGroups = 6;
const demoRows = 1_500;
const demoSeed = 'qpipe-demo';
const steps = 10;
/** The drop the demo breaks on purpose (70 % of its sales get a bad date): its audit holds it, the demo discards it, the source resends it fixed. */
const brokenGroup = 4;
/** The demo's app events: a burst over the last hours (the current hour's stay live until its hour closes). */
const demoEvents = 20_000;
const demoSpreadHours = 4;

/**
 * `qpipe demo`: from a fresh checkout, both pipelines on generated data. Installs what is missing
 * and starts the stack, starts a worker, generates six hourly drops, runs them as the six logical
 * hours up to the current one (each drop landed just before its hour's run), writes the B2B dump
 * of the busiest in-store day; sends a burst of app events spread over the last hours to Kafka,
 * runs the stream worker until they are durable in HDFS and stream maintenance for the current
 * hour; applies the schedules (left paused), prints the marketing and streaming reports and where
 * to see it all in the Temporal UI. The stack stays up.
 *
 * Rerunnable: the same seed makes the same files, which a later run recognises as duplicate
 * deliveries (or, within the same hour, as batches already committed): the warehouse is unchanged.
 * The burst is sent once: a topic that already holds as many events is left as it is.
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
  const { worker, metrics, close: closeWorker } = await startQpipeWorker(config, log, []);
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
    const brokenDir = await breakDrop(dropsDir, brokenGroup);
    step(4, `running the hourly batch for ${hours[0]} … ${lastHour}, one drop landed before each hour (drop ${brokenGroup} broken on purpose)`);
    for (const [index, hour] of hours.entries()) {
      await land(index + 1 === brokenGroup ? brokenDir : path.join(dropsDir, `group${index + 1}`), config.dirs.landing);
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
      if (result.held) {
        const { batchId, holding } = result.held;
        note(`${batchId}: HELD by its audit, nothing of it published: ${holding.map((check) => `${check.table_name}.${check.check_name} ${check.status} (observed ${check.observed}, ${check.threshold})`).join('; ')}`);
        note(`its checks — bin/qpipe dq results --hour ${batchId}:`);
        const [statement] = loadJob('dq_results_list', { database: sqlIdentifier(config.hive.database), batch_id: batchId, hour: null, limit: null });
        const { columns, rows } = await hive.query(statement!);
        for (const line of formatRows(columns, rows, 'table').split('\n')) note(`  ${line}`);
        const reason = 'demo: the source system resends the drop fixed';
        const decided = await client.workflow.execute(batchDecision, {
          workflowId: batchDecisionWorkflowId('discard', batchId),
          taskQueue: config.temporal.taskQueue,
          args: [{ batchId, decision: 'discard', decidedBy: 'qpipe demo', reason }],
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        });
        note(`${batchId}: discarded (bin/qpipe batch discard ${batchId} --reason '${reason}'); its files stay archived, marked discarded; ${decided.processed.length} waiting batches published`);
        note('the source resends the drop fixed, under the same names: it lands before the next hour');
        await land(path.join(dropsDir, `group${brokenGroup}`), config.dirs.landing);
      }
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

    step(6, `streaming: ${demoEvents} app events over the last ${demoSpreadHours} hours into Kafka topic ${config.kafka.topic}, the stream worker making them durable in HDFS`);
    await streamBurst(config, log);

    step(7, `stream maintenance for ${lastHour}: the closed hours compacted and registered in ${config.hive.database}.app_events`);
    const maintenance = await client.workflow.execute(streamMaintenance, {
      workflowId: streamMaintenanceWorkflowId(lastHour),
      taskQueue: config.temporal.taskQueue,
      args: [{ hour: lastHour }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    });
    for (const hour of maintenance.compacted) note(`${hour.eventDate} ${String(hour.eventHour).padStart(2, '0')}h: ${hour.outcome} v${hour.version}, ${hour.files} live files, ${hour.rows} rows`);
    if (maintenance.compacted.length === 0) note('no closed hour had new events (an earlier run compacted them)');
    note(`the events of ${lastHour} stay in the streaming zone until that hour closes (the hourly schedule compacts it)`);

    step(8, 'applying the durable schedules (new ones left paused: bin/qpipe schedules unpause starts them)');
    const schedules = pipelineSchedules(config);
    const created = (await applySchedules(client, schedules)).filter((result) => result.outcome === 'created').map((result) => result.scheduleId);
    await setPaused(client, schedules.filter((schedule) => created.includes(schedule.scheduleId)), true, 'applied by qpipe demo; bin/qpipe schedules unpause to start');

    step(9, 'the marketing and streaming reports (bin/qpipe query NAME prints any of them), and the fact\'s Delta history');
    await printReports(hive, config.hive.database);
    const commits = (await readHistory(hive, config.hive.database, 'sales_transactions_fact')).slice(0, demoGroups + 1);
    process.stdout.write(`\nThe fact's latest commits, one per hour that wrote sales — bin/qpipe history sales_transactions_fact\n${formatRows(historyColumns, commits.map(historyRow), 'table')}\n`);

    step(10, 'the pipeline\'s health (bin/qpipe status) and the worker\'s batch figures (its metrics endpoint)');
    process.stdout.write(`\nbin/qpipe status\n${formatStatus(await gatherStatus({ config, log }), 'table')}\n`);
    if (metrics) {
      // the series this demo moved (every series starts at 0)
      const figures = metrics.registry
        .render()
        .split('\n')
        .filter((line) => /^qpipe_(batch_rows_total|batch_files_total|batches_total)\{/.test(line) && !line.endsWith(' 0'));
      process.stdout.write(`\ncurl -s 127.0.0.1:${config.worker.metricsPort}/metrics | grep -E '^qpipe_(batch_rows|batch_files|batches)_total' (this demo's worker; bin/qpipe worker serves its own)\n${figures.join('\n')}\n`);
    }
    printWhereToLook(config, hours, busiest);
  } finally {
    await hive.close();
    await client.connection.close();
    worker.shutdown();
    await running;
    await closeWorker();
  }
}

/**
 * Sends the demo's burst of events (unless the topic already holds as many), then runs the stream
 * worker, with a short rotation interval, until every record of the topic is durable in HDFS.
 */
async function streamBurst(config: Config, log: Logger): Promise<void> {
  const note = (message: string) => process.stderr.write(`        ${message}\n`);
  const kafka = createKafka(config.kafka, log.child({ component: 'kafka' }));
  const hdfs = new HdfsClient(config.hdfs, log.child({ component: 'hdfs' }));
  await ensureTopics(kafka, config.kafka);
  const held = [...(await topicEndOffsets(kafka, config.kafka.topic)).values()].reduce((sum, end) => sum + end, 0n);
  if (held >= BigInt(demoEvents)) note(`the topic already holds ${held} events (an earlier run): nothing sent`);
  else await produceEvents(config.kafka, log, { count: demoEvents, seed: demoSeed, spreadHours: demoSpreadHours }, (sent) => note(`sent ${sent}/${demoEvents} events`));
  const ends = await topicEndOffsets(kafka, config.kafka.topic);
  const streamLog = log.child({ component: 'stream' });
  const worker = await startStreamWorker({ ...config, stream: { ...config.stream, rotateMs: 3_000, metricsPort: 0 } }, kafka, hdfs, streamLog);
  try {
    await waitUntilDurable(hdfs, config.hdfs.root, config.kafka.topic, ends, 300_000);
  } finally {
    await worker.stop();
    await worker.stopped;
  }
  const { events, files, deadLetters } = worker.metrics;
  note(`durable in HDFS: ${events} events in ${files} hour files, ${deadLetters} dead letters (bin/qpipe stream runs this worker for good)`);
}

/**
 * A copy of drop `group` with 7 of every 10 sales given a date that is not one (BAD_DATE), beside the
 * drops: the same bytes on every run.
 */
async function breakDrop(dropsDir: string, group: number): Promise<string> {
  const from = path.join(dropsDir, `group${group}`);
  const to = path.join(dropsDir, `broken-group${group}`);
  await mkdir(to, { recursive: true });
  for (const file of await readdir(from)) {
    if (!file.startsWith('sales_transactions_')) {
      await copyFile(path.join(from, file), path.join(to, file));
      continue;
    }
    const [header, ...lines] = (await readFile(path.join(from, file), 'utf8')).split('\n');
    const broken = lines.map((line, index) => (line.trim() !== '' && index % 10 < 7 ? line.replace(/^[^,]*/, 'not-a-date') : line));
    await writeFile(path.join(to, file), [header, ...broken].join('\n'));
  }
  return to;
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
  { name: 'sales-by-payment-method', title: 'Streaming: sales by payment method', limit: 10 },
  { name: 'popular-categories', title: 'Streaming: popular categories', limit: 10 },
  { name: 'revenue-by-customer', title: 'Streaming: revenue by customer (top 10)', limit: 10 },
  { name: 'hourly-sales', title: 'Streaming: hourly sales', limit: 48 },
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
      `  maintenance      ${ui}/workflows/${encodeURIComponent(streamMaintenanceWorkflowId(hours[hours.length - 1]!))}`,
      `  schedules        ${ui}/schedules`,
      'The stack is still up: bin/qpipe stack status; bin/qpipe worker runs a worker; bin/qpipe stack down stops it all.',
      '',
    ].join('\n'),
  );
}
