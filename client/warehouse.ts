import { createInterface } from 'node:readline/promises';
import type { Client } from '@temporalio/client';
import type { RevertResult } from '../activities/warehouse';
import type { Config } from '../lib/config';
import { readHistory } from '../lib/delta-history';
import { QpipeError, UsageError } from '../lib/errors';
import { withHive, type Column, type Row } from '../lib/hive-client';
import { parseCalendarDate } from '../lib/pure/calendar-date';
import { isBatchId } from '../lib/pure/batch';
import { maintainedTables, type Commit } from '../lib/pure/delta';
import { dateIn } from '../lib/pure/slots';
import { createTemporalClient } from '../lib/temporal';
import type { MigratedTable } from '../lib/warehouse-setup';
import { batchRevert, batchRevertWorkflowId } from '../workflows/batch-revert';
import { warehouseMaintenance, warehouseMaintenanceWorkflowId, type WarehouseMaintenanceResult } from '../workflows/warehouse-maintenance';
import { warehouseMigrate, warehouseMigrateWorkflowId } from '../workflows/warehouse-migrate';
import { formatRows, type OutputFormat } from './format';
import type { CommandContext } from './context';
import { startOrJoin } from './run';
import { visibilityQuery } from '../lib/pipeline-state';

export const historyColumns: Column[] = [
  { name: 'table', type: 'STRING' },
  { name: 'version', type: 'BIGINT' },
  { name: 'time', type: 'STRING' },
  { name: 'batch_id', type: 'STRING' },
  { name: 'made_by', type: 'STRING' },
  { name: 'operation', type: 'STRING' },
  { name: 'rows_added', type: 'BIGINT' },
  { name: 'rows_removed', type: 'BIGINT' },
];

/** A commit as a `qpipe history` row: the batch that made it, or what else did (`step fact`, `maintenance 2026-01-02 optimize`, …). */
export function historyRow(commit: Commit): Row {
  const { tag } = commit;
  const madeBy =
    tag?.kind === 'batch'
      ? `step ${tag.step}`
      : tag?.kind === 'maintenance'
        ? `maintenance ${tag.date} ${tag.step}`
        : tag?.kind === 'migration'
          ? `migration ${tag.step}`
          : tag?.kind === 'revert'
            ? `revert of ${tag.batch_id}${commit.restoredVersion !== undefined ? ` (to version ${commit.restoredVersion})` : ''}`
            : null;
  return {
    table: commit.table,
    version: commit.version,
    time: commit.timestamp,
    batch_id: tag?.kind === 'batch' ? tag.batch_id : null,
    made_by: madeBy,
    operation: commit.operation,
    rows_added: commit.rowsAdded ?? null,
    rows_removed: commit.rowsRemoved ?? null,
  };
}

/** `qpipe history [TABLE] [--format …]`: the commits of one Delta table, or of all, newest first. */
export async function runHistory({ config, log }: CommandContext, table: string | undefined, options: { format: OutputFormat }): Promise<void> {
  if (table !== undefined && !(maintainedTables as readonly string[]).includes(table)) throw new UsageError('TABLE', `expected one of ${maintainedTables.join(', ')}`);
  const tables = table === undefined ? maintainedTables : [table];
  const commits = await withHive(config.hive, log.child({ component: 'hive' }), async (hive) => {
    const all: Commit[] = [];
    for (const name of tables) all.push(...(await readHistory(hive, config.hive.database, name)));
    return all;
  });
  commits.sort((a, b) => (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : a.table.localeCompare(b.table) || b.version - a.version));
  process.stdout.write(`${formatRows(historyColumns, commits.map(historyRow), options.format)}\n`);
}

/** The workflows that write the warehouse, of this deployment's task queue, running now. */
async function runningWriters(client: Client, config: Config): Promise<string[]> {
  const types = ['hourlyBatch', 'batchRevert', 'batchDecision', 'warehouseMaintenance', 'warehouseMigrate'];
  const running: string[] = [];
  for await (const execution of client.workflow.list({ query: visibilityQuery(config.temporal.taskQueue, types, "ExecutionStatus = 'Running'") })) {
    running.push(`${execution.type} ${execution.workflowId}`);
  }
  return running;
}

/** Refuses (`what`: revert, migrate) while a workflow that writes the warehouse runs; a batch starting later waits behind it on the batch lane. */
async function refuseWhileWriting(config: Config, what: string): Promise<void> {
  const client = await createTemporalClient(config.temporal);
  try {
    const running = await runningWriters(client, config);
    if (running.length > 0) throw new QpipeError(`refusing to ${what} while the warehouse is being written: ${running.join(', ')} (wait for it, or pause the schedules)`);
  } finally {
    await client.connection.close();
  }
}

/** Asks on the terminal; without one (a script), refuses unless `--yes` was given. */
export async function confirm(question: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) throw new QpipeError(`${question} Refused: not on a terminal; pass --yes to confirm`);
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await prompt.question(`${question} Type yes to go on: `)).trim().toLowerCase();
    if (answer !== 'yes') throw new QpipeError('not confirmed: nothing was changed');
  } finally {
    prompt.close();
  }
}

/**
 * `qpipe batch revert BATCH_ID [--yes]`: refuses while a batch (or another revert, or the
 * maintenance) runs, asks for confirmation, then runs the batchRevert workflow (its one activity on
 * the batch lane) and prints what it restored and which batches are pending again.
 */
export async function runBatchRevert({ config }: CommandContext, batchId: string, options: { yes?: boolean }): Promise<void> {
  if (!isBatchId(batchId)) throw new UsageError('BATCH_ID', `"${batchId}" is not a batch id (YYYY-MM-DDTHH)`);
  await confirm(
    `Revert batch ${batchId} in ${config.hive.database}: the star tables go back to their versions before it, and it and every later batch are processed again by the next hourly run.`,
    options.yes,
  );
  await refuseWhileWriting(config, 'revert');
  await startOrJoin(config, batchRevert, batchRevertWorkflowId(batchId), { batchId }, true, formatRevert);
}

export function formatRevert(result: RevertResult, durationMs: number): string {
  const lines = [`batch revert ${result.batchId}: done in ${(durationMs / 1000).toFixed(1)} s`];
  for (const table of result.tables) lines.push(`  ${table.table}: ${table.action === 'restore' ? `restored to version ${table.version}` : `unchanged (nothing of the batch in it; version ${table.version})`}`);
  lines.push(`  pending again, for the next hourly run: ${result.pending.length === 0 ? 'none' : result.pending.join(', ')}`);
  return lines.join('\n') + '\n';
}

/** `qpipe warehouse migrate`: the warehouseMigrate workflow (its one activity on the batch lane), after the same refusal as a revert. */
export async function runWarehouseMigrate({ config }: CommandContext): Promise<void> {
  await refuseWhileWriting(config, 'migrate');
  await startOrJoin(config, warehouseMigrate, warehouseMigrateWorkflowId, undefined, true, (migrated: MigratedTable[]) =>
    migrated.length === 0
      ? `${config.hive.database}: every table is a Delta table; nothing to migrate\n`
      : migrated.map((table) => `migrated ${config.hive.database}.${table.table}: ${table.rows} rows, checksum ${table.checksum} (the same before and after)\n`).join(''),
  );
}

export interface RunWarehouseMaintenanceOptions {
  date?: string;
  wait?: boolean;
}

/** `qpipe run warehouse-maintenance [--date D] [--wait]`: starts, or joins, the date's maintenance. */
export async function runWarehouseMaintenance({ config }: CommandContext, options: RunWarehouseMaintenanceOptions): Promise<void> {
  const date = options.date ?? dateIn(Date.now(), config.schedules.timeZone);
  try {
    parseCalendarDate(date);
  } catch (error) {
    throw new UsageError('--date', (error as Error).message);
  }
  await startOrJoin(config, warehouseMaintenance, warehouseMaintenanceWorkflowId(date), { date }, options.wait, formatWarehouseMaintenance);
}

export function formatWarehouseMaintenance(result: WarehouseMaintenanceResult, durationMs: number): string {
  const lines = [`warehouse maintenance ${result.date}: done in ${(durationMs / 1000).toFixed(1)} s`];
  for (const { table, before, after } of result.optimized) lines.push(`  ${table}: ${before.files} files (${before.bytes} bytes) → ${after.files} files (${after.bytes} bytes)`);
  for (const { table, filesOnDiskBefore, filesOnDiskAfter } of result.vacuumed) lines.push(`  vacuum ${table}: ${filesOnDiskBefore} → ${filesOnDiskAfter} files on disk`);
  return lines.join('\n') + '\n';
}
