import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../lib/config';
import { namedQueryNames } from '../lib/reports';
import { QpipeError, StackError } from '../lib/errors';
import { createLogger } from '../lib/log';
import { backfillNames, runBackfill, type BackfillOptions } from './backfill';
import { runDemo } from './demo';
import { outputFormats, type OutputFormat } from './format';
import { runGenerate, type GenerateOptions } from './generate';
import { namedQueriesHelp, runQuery, type QueryCommandOptions } from './query';
import { runDailyDump, runHourlyBatch, runStreamMaintenance, type RunDailyDumpOptions, type RunHourlyOptions, type RunStreamMaintenanceOptions } from './run';
import { runSchedules, scheduleNames } from './schedules';
import { runSql } from './sql';
import { runStream } from './stream';
import { runProduce, type ProduceOptions } from './produce';
import { runDlq, type DlqOptions } from './dlq';
import { runSchemaCheck, runSchemaDrift } from './schema';
import { runBatchDecision, runDqChecks, runDqResults, type BatchDecisionOptions, type DqResultsOptions } from './dq';
import { stackCommand } from './stack';
import { runWorker } from './worker';
import { runStatus } from './status';
import type { CommandContext } from './context';
import { runBatchRevert, runHistory, runWarehouseMaintenance, runWarehouseMigrate, type RunWarehouseMaintenanceOptions } from './warehouse';

function context(): CommandContext {
  const config = loadConfig();
  return { config, log: createLogger(config.log.level, { app: 'qpipe' }) };
}

export const formatOption = () =>
  new Option('--format <format>', 'output format').choices(outputFormats).default('table' as OutputFormat);

export function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}

export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return Number(value);
}

function program(): Command {
  const qpipe = new Command('qpipe')
    .description('Q Company data platform: hourly CSV drops and app-log events into a Hive star schema on HDFS, run by Temporal')
    .showHelpAfterError()
    .configureOutput({ writeOut: (text) => process.stdout.write(text), writeErr: (text) => process.stderr.write(text) });

  qpipe.addCommand(stackCommand(context));

  qpipe
    .command('sql')
    .description('run one SQL statement on the warehouse (Spark Thrift Server) and print its rows')
    .argument('<statement>', 'the SQL statement')
    .addOption(formatOption())
    .option('--timeout <ms>', 'statement deadline in milliseconds (default: QPIPE_HIVE_STATEMENT_TIMEOUT_MS)', positiveInt)
    .action((statement: string, options: { format: OutputFormat; timeout?: number }) => runSql(context(), statement, options));

  qpipe
    .command('query')
    .description('run a named report query on the warehouse and print its rows (specs/warehouse.md, "Named queries")')
    .argument('<name>', `the query: ${namedQueryNames.join(', ')}`)
    .option('--date <date>', 'keep one transaction date, YYYY-MM-DD')
    .option('--from <date>', 'first transaction date of a range, YYYY-MM-DD (inclusive)')
    .option('--to <date>', 'last transaction date of a range, YYYY-MM-DD (inclusive)')
    .option('--limit <n>', 'print at most N rows (the first in the query\'s order)', positiveInt)
    .addOption(formatOption())
    .addHelpText('after', namedQueriesHelp())
    .action((name: string, options: QueryCommandOptions) => runQuery(context(), name, options));

  qpipe
    .command('worker')
    .description('run the Temporal worker in the foreground until SIGINT/SIGTERM, shutting down gracefully')
    .action(() => runWorker(context()));

  const run = qpipe.command('run').description('start (or join) one run of a pipeline for a logical slot');
  run
    .command('hourly-batch')
    .description('ingest the landing dir as the hour\'s batch and process every committed batch into the warehouse')
    .option('--hour <hour>', 'logical hour YYYY-MM-DDTHH (UTC); default: the current hour')
    .option('--wait', 'wait for the end and print the summary')
    .action((options: RunHourlyOptions) => runHourlyBatch(context(), options));
  run
    .command('daily-dump')
    .description('write the B2B dump of a transaction date\'s in-store sales to <reports dir>/b2b/daily_sales_<date>.csv')
    .requiredOption('--date <date>', 'the transaction date, YYYY-MM-DD')
    .option('--wait', 'wait for the end and print the summary')
    .action((options: RunDailyDumpOptions) => runDailyDump(context(), options));
  run
    .command('stream-maintenance')
    .description('compact every closed hour of the streaming zone before the hour (late events included) and register it in app_events')
    .option('--hour <hour>', 'logical hour YYYY-MM-DDTHH (UTC): the hours before it are compacted; default: the current hour')
    .option('--full-repair', 'first point every app_events partition at its newest complete version on disk (registers lost hours, drops vanished ones)')
    .option('--wait', 'wait for the end and print the summary')
    .action((options: RunStreamMaintenanceOptions) => runStreamMaintenance(context(), options));

  run
    .command('warehouse-maintenance')
    .description('compact and cluster every Delta table of the warehouse (OPTIMIZE), then delete the files past the retention (VACUUM)')
    .option('--date <date>', 'the maintenance date YYYY-MM-DD (its workflow id); default: today in QPIPE_SCHEDULE_TIMEZONE')
    .option('--wait', 'wait for the end and print the summary')
    .action((options: RunWarehouseMaintenanceOptions) => runWarehouseMaintenance(context(), options));

  qpipe
    .command('status')
    .description("one screen for an operator: each pipeline's schedule, last successful slot and last failure; pending and held batches; warehouse and stream freshness; the services; the objectives (exit 0 when all hold, 2 when one is breached)")
    .addOption(formatOption())
    .action((options: { format: OutputFormat }) => runStatus(context(), options));

  qpipe
    .command('history')
    .description("the warehouse's Delta commits, newest first: version, time, the batch (or maintenance, revert, migration) that made each, operation, rows added and removed")
    .argument('[table]', 'one table (default: every Delta table of the warehouse)')
    .addOption(formatOption())
    .action((table: string | undefined, options: { format: OutputFormat }) => runHistory(context(), table, options));

  const batch = qpipe.command('batch').description('operate on one batch of the hourly pipeline');
  batch
    .command('revert')
    .description('restore the star tables to before the batch; it and every later batch become pending, and the next hourly run reprocesses them in order')
    .argument('<batch_id>', 'the batch, YYYY-MM-DDTHH')
    .option('--yes', 'do not ask for confirmation')
    .action((batchId: string, options: { yes?: boolean }) => runBatchRevert(context(), batchId, options));
  batch
    .command('release')
    .description('publish a batch its audit held, whatever its fail checks say; then process the batches that waited behind it')
    .argument('<batch_id>', 'the held batch, YYYY-MM-DDTHH')
    .requiredOption('--reason <text>', 'why (recorded in batch_decisions)')
    .option('--by <name>', 'who decides (default: QPIPE_OPERATOR, else the login name)')
    .action((batchId: string, options: BatchDecisionOptions) => runBatchDecision(context(), 'release', batchId, options));
  batch
    .command('discard')
    .description('drop an unpublished batch: never processed, its files stay archived and turn `discarded` in ingested_files (a resend is ingested); then process the batches that waited')
    .argument('<batch_id>', 'the batch, YYYY-MM-DDTHH')
    .requiredOption('--reason <text>', 'why (recorded in batch_decisions)')
    .option('--by <name>', 'who decides (default: QPIPE_OPERATOR, else the login name)')
    .option('--yes', 'do not ask for confirmation')
    .action((batchId: string, options: BatchDecisionOptions) => runBatchDecision(context(), 'discard', batchId, options));

  const dq = qpipe.command('dq').description('the data-quality checks (checks/<table>.yml) and their results');
  dq.command('results')
    .description('every check\'s verdict on each batch (q_dwh.dq_results), newest batch first, failing checks first')
    .option('--batch <batch_id>', 'one batch (YYYY-MM-DDTHH, or stream:YYYY-MM-DDTHH)')
    .option('--hour <hour>', 'one logical hour: its batch and its stream maintenance')
    .option('--limit <n>', 'print at most N rows', positiveInt)
    .addOption(formatOption())
    .action((options: DqResultsOptions) => runDqResults(context(), options));
  const schema = qpipe.command('schema').description('the explicit schema contracts (schemas/: JSON Schema 2020-12, one file per version)');
  schema
    .command('check')
    .description('verify that every version of each contract is BACKWARD compatible with the one before it (Confluent\'s rules); fails on a problem')
    .option('--dir <dir>', 'the contracts (default: QPIPE_SCHEMAS_DIR, schemas/)')
    .action((options: { dir?: string }) => runSchemaCheck(context(), options));
  schema
    .command('drift')
    .description('what the data holds beyond the contracts: CSV columns they do not list, and the fields app_events keeps in extra, with counts and first and last seen')
    .addOption(formatOption())
    .action((options: { format: OutputFormat }) => runSchemaDrift(context(), options));
  dq.command('checks')
    .description('the declared checks, validated')
    .addOption(formatOption())
    .action((options: { format: OutputFormat }) => runDqChecks(context(), options));

  qpipe
    .command('warehouse')
    .description('the warehouse itself')
    .command('migrate')
    .description('create the warehouse tables, or convert a warehouse of the old layout (plain Parquet) to Delta, checking every row (the hourly batch also does this)')
    .action(() => runWarehouseMigrate(context()));

  const schedules = qpipe
    .command('schedules')
    .description(`manage the durable Temporal schedules (${scheduleNames.join(', ')}) idempotently; NAME... picks some, default all`);
  schedules
    .command('apply')
    .description('create the missing schedules and update the others to this config (their paused state is kept)')
    .argument('[name...]', 'schedules to apply')
    .action((names: string[]) => runSchedules(context(), 'apply', names));
  schedules
    .command('list')
    .description('each schedule: when it fires, paused or not, next and last run')
    .argument('[name...]', 'schedules to list')
    .addOption(formatOption())
    .action((names: string[], options: { format: OutputFormat }) => runSchedules(context(), 'list', names, options));
  for (const action of ['pause', 'unpause'] as const) {
    schedules
      .command(action)
      .description(`${action} schedules (a paused schedule takes no action; unpausing does not run what was missed while paused)`)
      .argument('[name...]', `schedules to ${action}`)
      .option('--note <text>', 'why, shown in the Temporal UI')
      .action((names: string[], options: { note?: string }) => runSchedules(context(), action, names, options));
  }
  schedules
    .command('delete')
    .description('delete schedules (their past runs stay in Temporal)')
    .argument('[name...]', 'schedules to delete')
    .action((names: string[]) => runSchedules(context(), 'delete', names));

  qpipe
    .command('backfill')
    .description('run a pipeline for every logical slot in a range, as its schedule would have; slots already completed are skipped, so it resumes')
    .argument('<pipeline>', backfillNames.join(' | '))
    .requiredOption('--from <slot>', 'first slot: an hour YYYY-MM-DDTHH (hourly-batch) or a date YYYY-MM-DD (daily-dump)')
    .requiredOption('--to <slot>', 'last slot, included')
    .option('--concurrency <n>', 'slots running at once (default: 1 for hourly-batch, 4 for daily-dump)', positiveInt)
    .action((pipeline: string, options: BackfillOptions) => runBackfill(context(), pipeline, options));

  qpipe
    .command('stream')
    .description('run the Kafka → HDFS stream worker (app-log events into the app_events hour partitions, exactly once) until SIGINT/SIGTERM')
    .action(() => runStream(context()));

  qpipe
    .command('produce')
    .description("send app-log events of the company producer's shape to Kafka (idempotent producer)")
    .option('--count <n>', 'events to send', positiveInt, 1_000)
    .option('--rate <r>', 'at most this many events per second (default: as fast as possible)', positiveInt)
    .option('--seed <s>', 'seed: the same seed and count send the same events', 'qpipe')
    .option('--spread-hours <h>', 'spread event times over this many past hours (late events); 0: the last minute', nonNegativeInt, 0)
    .action((options: ProduceOptions) => runProduce(context(), options));

  qpipe
    .command('dlq')
    .description("print the dead-letter topic's letters (in each of its partitions' order): source partition and offset, reason, detail and the start of the value, tab-separated")
    .option('--reason <r>', 'only letters of this reason (NOT_JSON, MISSING_EVENT_TYPE, BAD_TIMESTAMP, UNSUPPORTED_VALUE)')
    .option('--limit <n>', 'print at most this many (all are counted)', positiveInt)
    .action((options: DlqOptions) => runDlq(context(), options));

  qpipe
    .command('generate')
    .description("write hourly drops (branches, sales agents, transactions) with the real files' shape and quirks, deterministic for a seed")
    .requiredOption('--out <dir>', 'output directory: one group<N>/ folder per drop')
    .option('--groups <n>', 'how many hourly drops', positiveInt, 6)
    .option('--rows <r>', 'transactions per drop', positiveInt, 1500)
    .option('--seed <s>', 'seed: same seed, same bytes', 'qpipe')
    .option('--crlf', 'CRLF line endings')
    .option('--bom', 'start files with a UTF-8 byte order mark')
    .action((options: GenerateOptions) => runGenerate(context(), options));

  qpipe
    .command('demo')
    .description('from a fresh checkout: install and start the stack and a worker, run six generated hourly drops through the pipeline, write a B2B dump, print the reports and the Temporal UI links')
    .action(() => runDemo(context()));

  return qpipe;
}

/** Runs the CLI; a failure is one line on stderr (plus a service's log tail) and exit code 1. */
export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (error) {
    process.stderr.write(`qpipe: ${describe(error)}\n`);
    if (error instanceof StackError && error.logTail) process.stderr.write(`${error.logTail}\n`);
    process.exitCode = 1;
  }
}

function describe(error: unknown): string {
  if (error instanceof QpipeError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

if (require.main === module) void main(process.argv);
