import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import type { Config } from '../lib/config';
import { QpipeError } from '../lib/errors';
import { createTemporalClient } from '../lib/temporal';
import type { Column, Row } from '../lib/hive-client';
import { formatRows, type OutputFormat } from './format';
import type { CommandContext } from './context';
import { dailyDump } from '../workflows/daily-dump';
import { hourlyBatch } from '../workflows/hourly-batch';
import { streamMaintenance } from '../workflows/stream-maintenance';
import { warehouseMaintenance } from '../workflows/warehouse-maintenance';
import { pipelineNames } from '../lib/pipeline-state';

/**
 * The durable schedules of qpipe, one per pipeline. The policies, chosen on purpose:
 *
 * - **Overlap `BUFFER_ALL`.** A run that comes due while the previous one still runs waits for it,
 *   and every due run is kept, in order: nothing is skipped and two runs of a pipeline never
 *   overlap. A worker that was down for three hours finds the three hours' runs waiting (the
 *   first one started, the others buffered) and runs them oldest first when it comes back.
 * - **Catch-up window** (a Temporal server that was down): the hourly pipelines take every missed
 *   hour of the last 3 days, the daily dump every missed day of the last 7. An outage longer than
 *   that is a backfill (`qpipe backfill`), decided by a person. The warehouse maintenance takes
 *   the last missed day only: one run tidies everything before it.
 * - **Logical time.** The action's input carries no time: each run takes its slot from the
 *   schedule's action time (`TemporalScheduledStartTime`) — the UTC hour it falls in for the hourly
 *   batch, the previous day in `QPIPE_SCHEDULE_TIMEZONE` for the daily dump.
 * - **Times.** The hourly batch and stream maintenance at minute `QPIPE_HOURLY_AT_MINUTE` (5) of
 *   every hour (UTC), the daily dump at `QPIPE_DAILY_DUMP_AT` (01:00) in `QPIPE_SCHEDULE_TIMEZONE`
 *   (UTC). Maintenance compacts the hours before its slot: at minute 5 the previous hour has been
 *   closed for longer than the stream's rotation interval (60 s). Both run their activities on the
 *   batch lane, one at a time. The warehouse maintenance (OPTIMIZE, then VACUUM, on the batch lane
 *   too) at `QPIPE_WAREHOUSE_MAINTENANCE_AT` (02:00) in `QPIPE_SCHEDULE_TIMEZONE`, for that date.
 * - **Failures** do not pause a schedule: the next hourly run retries the batches left pending.
 * - **Run ids.** Temporal names a scheduled run `<schedule id>-<action time>`
 *   (`qpipe-hourly-batch-2026-11-24T23:05:00Z`); runs started by hand or by a backfill are
 *   `hourly-batch-<hour>` / `daily-dump-<date>`. All are idempotent per slot.
 */
export interface PipelineSchedule {
  /** The pipeline's name on the command line: `hourly-batch`, `daily-dump`, `stream-maintenance`, `warehouse-maintenance`. */
  readonly name: string;
  readonly scheduleId: string;
  /** When it fires, in words (for `schedules list`). */
  readonly when: string;
  readonly options: ScheduleOptions;
}

/** The schedules are the pipelines (lib/pipeline-state.ts). */
export const scheduleNames = pipelineNames;

const twoDigits = (n: number) => String(n).padStart(2, '0');

/** The schedules `apply` wants, for this config (ids are prefixed with the task queue, `qpipe-…` by default). */
export function pipelineSchedules(config: Config): PipelineSchedule[] {
  const { taskQueue } = config.temporal;
  const { timeZone, dailyDumpAt, hourlyAtMinute, warehouseMaintenanceAt } = config.schedules;
  const memo = { managedBy: 'qpipe schedules apply' };
  return [
    {
      name: 'hourly-batch',
      scheduleId: `${taskQueue}-hourly-batch`,
      when: `every hour at minute ${hourlyAtMinute} (UTC)`,
      options: {
        scheduleId: `${taskQueue}-hourly-batch`,
        spec: { intervals: [{ every: '1 hour', offset: `${hourlyAtMinute} minutes` }] },
        action: { type: 'startWorkflow', workflowType: hourlyBatch, workflowId: `${taskQueue}-hourly-batch`, taskQueue, args: [{}] },
        policies: { overlap: ScheduleOverlapPolicy.BUFFER_ALL, catchupWindow: '3 days', pauseOnFailure: false },
        memo,
      },
    },
    {
      name: 'daily-dump',
      scheduleId: `${taskQueue}-daily-dump`,
      when: `every day at ${twoDigits(dailyDumpAt.hour)}:${twoDigits(dailyDumpAt.minute)} ${timeZone}, for the previous day`,
      options: {
        scheduleId: `${taskQueue}-daily-dump`,
        spec: { calendars: [{ hour: dailyDumpAt.hour, minute: dailyDumpAt.minute, comment: 'the B2B dump of the previous day' }], timezone: timeZone },
        action: { type: 'startWorkflow', workflowType: dailyDump, workflowId: `${taskQueue}-daily-dump`, taskQueue, args: [{ timeZone }] },
        policies: { overlap: ScheduleOverlapPolicy.BUFFER_ALL, catchupWindow: '7 days', pauseOnFailure: false },
        memo,
      },
    },
    {
      name: 'stream-maintenance',
      scheduleId: `${taskQueue}-stream-maintenance`,
      when: `every hour at minute ${hourlyAtMinute} (UTC), for the hours before`,
      options: {
        scheduleId: `${taskQueue}-stream-maintenance`,
        spec: { intervals: [{ every: '1 hour', offset: `${hourlyAtMinute} minutes` }] },
        action: { type: 'startWorkflow', workflowType: streamMaintenance, workflowId: `${taskQueue}-stream-maintenance`, taskQueue, args: [{}] },
        policies: { overlap: ScheduleOverlapPolicy.BUFFER_ALL, catchupWindow: '3 days', pauseOnFailure: false },
        memo,
      },
    },
    {
      name: 'warehouse-maintenance',
      scheduleId: `${taskQueue}-warehouse-maintenance`,
      when: `every day at ${twoDigits(warehouseMaintenanceAt.hour)}:${twoDigits(warehouseMaintenanceAt.minute)} ${timeZone}: OPTIMIZE, then VACUUM (${config.warehouse.vacuumRetentionHours} h)`,
      options: {
        scheduleId: `${taskQueue}-warehouse-maintenance`,
        spec: { calendars: [{ hour: warehouseMaintenanceAt.hour, minute: warehouseMaintenanceAt.minute, comment: 'compact, cluster and vacuum the Delta tables' }], timezone: timeZone },
        action: { type: 'startWorkflow', workflowType: warehouseMaintenance, workflowId: `${taskQueue}-warehouse-maintenance`, taskQueue, args: [{ timeZone }] },
        policies: { overlap: ScheduleOverlapPolicy.BUFFER_ALL, catchupWindow: '1 day', pauseOnFailure: false },
        memo,
      },
    },
  ];
}

export type ApplyOutcome = 'created' | 'updated';

/**
 * Creates each schedule that is missing and updates each one that exists to the wanted spec,
 * action and policies, keeping its paused state and note: running it twice leaves one schedule
 * per pipeline, as wanted.
 */
export async function applySchedules(client: Client, schedules: readonly PipelineSchedule[]): Promise<{ name: string; scheduleId: string; outcome: ApplyOutcome }[]> {
  const outcomes = [];
  for (const schedule of schedules) {
    const handle = client.schedule.getHandle(schedule.scheduleId);
    const existing = await describeIfExists(client, schedule.scheduleId);
    if (existing) {
      const { spec, action, policies } = schedule.options;
      await handle.update((previous) => ({ ...previous, spec, action, policies, state: { paused: previous.state.paused, note: previous.state.note } }));
      outcomes.push({ name: schedule.name, scheduleId: schedule.scheduleId, outcome: 'updated' as const });
    } else {
      await client.schedule.create(schedule.options);
      outcomes.push({ name: schedule.name, scheduleId: schedule.scheduleId, outcome: 'created' as const });
    }
  }
  return outcomes;
}

/** The schedule's description, or undefined when it does not exist (other errors are thrown). */
export async function describeIfExists(client: Client, scheduleId: string): Promise<ScheduleDescription | undefined> {
  try {
    return await client.schedule.getHandle(scheduleId).describe();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return undefined;
    throw error;
  }
}

/** The schedules named (all of qpipe's when none is), refusing unknown names. */
export function selectSchedules(all: readonly PipelineSchedule[], names: readonly string[]): PipelineSchedule[] {
  const unknown = names.filter((name) => !all.some((schedule) => schedule.name === name));
  if (unknown.length > 0) throw new QpipeError(`unknown schedule ${unknown.join(', ')}: expected ${all.map((schedule) => schedule.name).join(', ')}`);
  return names.length === 0 ? [...all] : all.filter((schedule) => names.includes(schedule.name));
}

const listColumns: Column[] = ['schedule', 'schedule_id', 'when', 'paused', 'next_run', 'last_run', 'last_status', 'running', 'runs_taken', 'note'].map((name) => ({
  name,
  type: name === 'runs_taken' || name === 'running' ? 'INT' : name === 'paused' ? 'BOOLEAN' : 'STRING',
}));

/** One row per qpipe schedule: its state, next and last run, and the last run's status. */
export async function listSchedules(client: Client, schedules: readonly PipelineSchedule[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const schedule of schedules) {
    const description = await describeIfExists(client, schedule.scheduleId);
    if (!description) {
      rows.push({ schedule: schedule.name, schedule_id: schedule.scheduleId, when: schedule.when, paused: null, next_run: null, last_run: null, last_status: 'not applied', running: 0, runs_taken: 0, note: 'run: qpipe schedules apply' });
      continue;
    }
    const last = description.info.recentActions.at(-1);
    const lastStatus = last ? (await client.workflow.getHandle(last.action.workflow.workflowId).describe()).status.name : null;
    rows.push({
      schedule: schedule.name,
      schedule_id: schedule.scheduleId,
      when: schedule.when,
      paused: description.state.paused,
      next_run: description.info.nextActionTimes[0]?.toISOString() ?? null,
      last_run: last ? `${last.scheduledAt.toISOString()} ${last.action.workflow.workflowId}` : null,
      last_status: lastStatus,
      running: description.info.runningActions.length,
      runs_taken: description.info.numActionsTaken,
      note: description.state.note || null,
    });
  }
  return rows;
}

/** Pauses or unpauses the schedules; a missing one is an error naming `apply`. */
export async function setPaused(client: Client, schedules: readonly PipelineSchedule[], paused: boolean, note: string): Promise<void> {
  for (const schedule of schedules) {
    const handle = client.schedule.getHandle(schedule.scheduleId);
    try {
      await (paused ? handle.pause(note) : handle.unpause(note));
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) throw new QpipeError(`schedule ${schedule.scheduleId} does not exist: run qpipe schedules apply`);
      throw error;
    }
  }
}

/** Deletes the schedules that exist (their past runs stay in Temporal); returns the ids deleted. */
export async function deleteSchedules(client: Client, schedules: readonly PipelineSchedule[]): Promise<string[]> {
  const deleted = [];
  for (const schedule of schedules) {
    try {
      await client.schedule.getHandle(schedule.scheduleId).delete();
      deleted.push(schedule.scheduleId);
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    }
  }
  return deleted;
}

/** `qpipe schedules apply | list | pause | unpause | delete [NAME...]`. */
export async function runSchedules(
  { config }: CommandContext,
  action: 'apply' | 'list' | 'pause' | 'unpause' | 'delete',
  names: readonly string[],
  options: { format?: OutputFormat; note?: string } = {},
): Promise<void> {
  const selected = selectSchedules(pipelineSchedules(config), names);
  const client = await createTemporalClient(config.temporal);
  try {
    switch (action) {
      case 'apply':
        for (const { scheduleId, outcome } of await applySchedules(client, selected)) process.stdout.write(`${outcome} ${scheduleId}\n`);
        process.stderr.write(`schedules: ${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/schedules\n`);
        break;
      case 'list':
        process.stdout.write(`${formatRows(listColumns, await listSchedules(client, selected), options.format ?? 'table')}\n`);
        break;
      case 'pause':
      case 'unpause':
        await setPaused(client, selected, action === 'pause', options.note ?? `${action}d with qpipe schedules ${action}`);
        for (const schedule of selected) process.stdout.write(`${action}d ${schedule.scheduleId}\n`);
        break;
      case 'delete':
        for (const scheduleId of await deleteSchedules(client, selected)) process.stdout.write(`deleted ${scheduleId}\n`);
        break;
    }
  } finally {
    await client.connection.close();
  }
}

