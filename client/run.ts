import { WorkflowIdConflictPolicy } from '@temporalio/client';
import type { DailyDumpResult } from '../activities/reports';
import { QpipeError, UsageError } from '../lib/errors';
import { createTemporalClient } from '../lib/temporal';
import { logicalHourOf, parseLogicalHour } from '../lib/pure/batch';
import { parseCalendarDate } from '../lib/pure/calendar-date';
import { dailyDump, dailyDumpWorkflowId } from '../workflows/daily-dump';
import { hourlyBatch, hourlyBatchWorkflowId, type HourlyBatchResult } from '../workflows/hourly-batch';
import { streamMaintenance, streamMaintenanceWorkflowId, type StreamMaintenanceResult } from '../workflows/stream-maintenance';
import type { Config } from '../lib/config';
import type { CommandContext } from './context';

export interface RunHourlyOptions {
  hour?: string;
  wait?: boolean;
}

/** `qpipe run hourly-batch [--hour YYYY-MM-DDTHH] [--wait]`: starts, or joins, the hour's batch. */
export async function runHourlyBatch({ config }: CommandContext, options: RunHourlyOptions): Promise<void> {
  const hour = options.hour ?? logicalHourOf(Date.now());
  parseLogicalHour(hour);
  await startOrJoin(config, hourlyBatch, hourlyBatchWorkflowId(hour), { hour }, options.wait, formatHourlySummary);
}

/** The `--wait` summary: files, rows loaded per table, rows rejected by reason, duration. */
export function formatHourlySummary(result: HourlyBatchResult, durationMs: number): string {
  const { ingest } = result;
  const lines = [
    `hourly batch ${result.hour}: done in ${(durationMs / 1000).toFixed(1)} s`,
    `  files: ${ingest.ingested} ingested, ${ingest.duplicate} duplicate, ${ingest.rejected} rejected${formatCounts(ingest.rejectedByReason)}${ingest.waiting.length > 0 ? `; still being written: ${ingest.waiting.join(', ')}` : ''}`,
  ];
  if (ingest.deferred) lines.push(`  ingest deferred: ${ingest.deferred}`);
  if (result.processed.length === 0) lines.push('  processed: no batch was waiting');
  for (const batch of result.processed) {
    lines.push(`  batch ${batch.batchId}: rows loaded ${Object.entries(batch.rowsLoaded).map(([table, rows]) => `${table} ${rows}`).join(', ')}`);
    lines.push(`    replayed ${batch.replayed}, changed ${batch.changed}; rows rejected ${sum(batch.rowsRejected)}${formatCounts(batch.rowsRejected)}`);
  }
  return lines.join('\n') + '\n';
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((total, count) => total + count, 0);
const formatCounts = (counts: Record<string, number>) =>
  Object.keys(counts).length === 0 ? '' : ` (${Object.entries(counts).map(([reason, count]) => `${reason} ${count}`).join(', ')})`;

export interface RunDailyDumpOptions {
  date: string;
  wait?: boolean;
}

/** `qpipe run daily-dump --date YYYY-MM-DD [--wait]`: starts, or joins, the date's B2B dump. */
export async function runDailyDump({ config }: CommandContext, options: RunDailyDumpOptions): Promise<void> {
  const { date } = options;
  try {
    parseCalendarDate(date);
  } catch (error) {
    throw new UsageError('--date', (error as Error).message);
  }
  await startOrJoin(config, dailyDump, dailyDumpWorkflowId(date), { date }, options.wait, formatDailyDumpSummary);
}

export interface RunStreamMaintenanceOptions {
  hour?: string;
  fullRepair?: boolean;
  wait?: boolean;
}

/** `qpipe run stream-maintenance [--hour YYYY-MM-DDTHH] [--full-repair] [--wait]`: starts, or joins, the hour's maintenance. */
export async function runStreamMaintenance({ config }: CommandContext, options: RunStreamMaintenanceOptions): Promise<void> {
  const hour = options.hour ?? logicalHourOf(Date.now());
  try {
    parseLogicalHour(hour);
  } catch (error) {
    throw new UsageError('--hour', (error as Error).message);
  }
  const input = { hour, ...(options.fullRepair ? { fullRepair: true } : {}) };
  await startOrJoin(config, streamMaintenance, streamMaintenanceWorkflowId(hour), input, options.wait, formatStreamMaintenanceSummary);
}

/** The `--wait` summary: one line per hour compacted, with its version and rows. */
export function formatStreamMaintenanceSummary(result: StreamMaintenanceResult, durationMs: number): string {
  const lines = [`stream maintenance ${result.hour}: done in ${(durationMs / 1000).toFixed(1)} s, ${result.compacted.length} hour(s) compacted`];
  if (result.repaired) lines.push(`  full repair: ${result.repaired.registered} partition(s) re-pointed, ${result.repaired.dropped} dropped`);
  for (const hour of result.compacted) {
    lines.push(`  ${hour.eventDate} ${String(hour.eventHour).padStart(2, '0')}h: ${hour.outcome} v${hour.version}, ${hour.files} live file(s), rows ${hour.rowsBefore} → ${hour.rows}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Starts the workflow under its business id, or joins the run already going under it (refused when
 * that run is on another task queue); prints the id and the run's Temporal UI address, and with
 * `wait` the summary of its result.
 */
export async function startOrJoin<I, R>(
  config: Config,
  workflow: (input: I) => Promise<R>,
  workflowId: string,
  input: I,
  wait: boolean | undefined,
  summarize: (result: R, durationMs: number) => string,
): Promise<void> {
  const client = await createTemporalClient(config.temporal);
  try {
    const started = Date.now();
    const handle = await client.workflow.start(workflow, { workflowId, taskQueue: config.temporal.taskQueue, args: [input], workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING });
    // Ids are per namespace: a run joined under this id may belong to another deployment (task queue) of it.
    const { taskQueue } = await handle.describe();
    if (taskQueue !== config.temporal.taskQueue) {
      throw new QpipeError(`${workflowId} is running on task queue ${taskQueue}, not on this deployment's ${config.temporal.taskQueue}: wait for it, or terminate it in the Temporal UI`);
    }
    process.stderr.write(`run: ${workflowId} (run ${handle.firstExecutionRunId}) — ${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows/${encodeURIComponent(workflowId)}\n`);
    if (!wait) {
      process.stdout.write(`${workflowId}\n`);
      return;
    }
    process.stdout.write(summarize(await handle.result(), Date.now() - started));
  } finally {
    await client.connection.close();
  }
}

/** The `--wait` summary: the file, its rows and bytes, the duration. */
export function formatDailyDumpSummary(result: DailyDumpResult, durationMs: number): string {
  return [
    `daily dump ${result.date}: done in ${(durationMs / 1000).toFixed(1)} s`,
    `  file: ${result.path}`,
    `  rows: ${result.rows} (plus the header), ${result.bytes} bytes, sha256 ${result.sha256}`,
  ].join('\n') + '\n';
}
