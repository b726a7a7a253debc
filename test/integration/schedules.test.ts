import { randomInt } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ScheduleOverlapPolicy, type Client, type ScheduleHandle } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { DailyDumpResult } from '../../activities/reports';
import { backfill } from '../../client/backfill';
import { applySchedules, listSchedules, pipelineSchedules, setPaused } from '../../client/schedules';
import { HdfsClient } from '../../lib/hdfs-client';
import { HiveClient } from '../../lib/hive-client';
import { silentLogger } from '../../lib/log';
import { addHours, manifestsDir, parseLogicalHour } from '../../lib/pure/batch';
import { addDays } from '../../lib/pure/slots';
import { createTemporalClient } from '../../lib/temporal';
import { createQpipeWorker, type QpipeWorker } from '../../workers/temporal-worker';
import { isolatedConfig, realDataDir } from '../helpers/isolated';

// The durable schedules and the backfill on the real stack (Temporal dev server, HDFS, Spark).
// Each environment has its own task queue (so its own schedule ids), HDFS root and database; the
// hours are drawn at random in a far year, so workflow ids never meet an earlier run's.

Runtime.install({ logger: new DefaultLogger('WARN') });

const starTables = ['sales_transactions_fact', 'customer_dim', 'product_dim', 'sales_agent_dim', 'branch_dim'] as const;
const base = addHours('2031-01-01T00', 24 * randomInt(0, 3_000));
const hours = [1, 2, 3].map((offset) => addHours(base, offset));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(1_000);
  }
}

/** An isolated environment: config, clients, an in-process worker, and cleanup. */
function environment(name: string) {
  const config = isolatedConfig(name);
  const hdfs = new HdfsClient(config.hdfs, silentLogger);
  const hive = new HiveClient(config.hive, silentLogger);
  let worker: QpipeWorker | undefined;
  let running: Promise<void> | undefined;
  return {
    config,
    hdfs,
    hive,
    async startWorker(): Promise<void> {
      worker = await createQpipeWorker(config, silentLogger);
      running = worker.run();
    },
    async stopWorker(): Promise<void> {
      worker?.shutdown();
      await running;
      await worker?.close();
      worker = undefined;
    },
    /** Copies real groups into the landing dir. */
    land(...groups: number[]): void {
      mkdirSync(config.dirs.landing, { recursive: true });
      for (const group of groups) {
        const dir = path.join(realDataDir, `group${group}`);
        for (const file of readdirSync(dir)) copyFileSync(path.join(dir, file), path.join(config.dirs.landing, file));
      }
    },
    async committedBatches(): Promise<string[]> {
      return (await hdfs.listIfExists(manifestsDir(config.hdfs.root))).map((entry) => entry.name).filter((file) => file.endsWith('.json')).sort();
    },
    /** Every row of the star tables, sorted: equal snapshots mean equal tables. */
    async snapshot(): Promise<Record<string, string[]>> {
      const out: Record<string, string[]> = {};
      for (const table of starTables) out[table] = (await hive.query(`SELECT * FROM ${config.hive.database}.${table}`)).rows.map((row) => JSON.stringify(row)).sort();
      return out;
    },
    async cleanup(client: Client): Promise<void> {
      await this.stopWorker();
      for (const schedule of pipelineSchedules(config)) await client.schedule.getHandle(schedule.scheduleId).delete().catch(() => undefined);
      await hive.execute(`DROP DATABASE IF EXISTS ${config.hive.database} CASCADE`).catch(() => undefined);
      await hive.close();
      await hdfs.delete(config.hdfs.root, { recursive: true }).catch(() => undefined);
    },
  };
}

/** The runs a schedule started, oldest scheduled time first. */
async function scheduledRuns(client: Client, scheduleId: string) {
  const runs = [];
  for await (const run of client.workflow.list({ query: `TemporalScheduledById = '${scheduleId}'` })) {
    const scheduledAt = run.searchAttributes.TemporalScheduledStartTime?.[0] as Date | undefined;
    runs.push({ workflowId: run.workflowId, status: run.status.name, scheduledAt: scheduledAt?.getTime() ?? NaN, startTime: run.startTime.getTime(), closeTime: run.closeTime?.getTime() });
  }
  return runs.sort((a, b) => a.scheduledAt - b.scheduledAt);
}

describe('durable schedules and backfills on the real stack', () => {
  let client: Client;
  const scheduled = environment('sched');
  const backfilled = environment('backfill');
  const stopped = environment('catchup');

  beforeAll(async () => {
    client = await createTemporalClient(scheduled.config.temporal);
    for (const env of [scheduled, backfilled, stopped]) await env.hive.connect();
  });

  afterAll(async () => {
    for (const env of [scheduled, backfilled, stopped]) await env.cleanup(client);
    await client.connection.close();
  }, 120_000);

  it('apply twice leaves one schedule per pipeline, with the chosen policies, and keeps a pause', async () => {
    const { config } = scheduled;
    const wanted = pipelineSchedules(config);
    expect((await applySchedules(client, wanted)).map((result) => result.outcome)).toEqual(['created', 'created', 'created', 'created']);
    await setPaused(client, wanted.filter((schedule) => schedule.name === 'daily-dump'), true, 'paused by the test');
    expect((await applySchedules(client, wanted)).map((result) => result.outcome)).toEqual(['updated', 'updated', 'updated', 'updated']);

    const ids: string[] = [];
    for await (const schedule of client.schedule.list()) if (schedule.scheduleId.startsWith(`${config.temporal.taskQueue}-`)) ids.push(schedule.scheduleId);
    expect(ids.sort()).toEqual(['daily-dump', 'hourly-batch', 'stream-maintenance', 'warehouse-maintenance'].map((name) => `${config.temporal.taskQueue}-${name}`));

    const hourly = await client.schedule.getHandle(`${config.temporal.taskQueue}-hourly-batch`).describe();
    expect(hourly.policies).toEqual({ overlap: ScheduleOverlapPolicy.BUFFER_ALL, catchupWindow: 3 * 24 * 3_600_000, pauseOnFailure: false });
    expect(hourly.state.paused).toBe(false);
    expect(hourly.info.nextActionTimes[0]!.getUTCMinutes()).toBe(config.schedules.hourlyAtMinute);
    const daily = await client.schedule.getHandle(`${config.temporal.taskQueue}-daily-dump`).describe();
    expect(daily.state).toMatchObject({ paused: true, note: 'paused by the test' });
    expect(daily.spec.timezone).toBe(config.schedules.timeZone);

    const rows = await listSchedules(client, wanted);
    expect(rows.map((row) => [row.schedule, row.paused])).toEqual([
      ['hourly-batch', false],
      ['daily-dump', true],
      ['stream-maintenance', false],
      ['warehouse-maintenance', false],
    ]);
    const maintenance = await client.schedule.getHandle(`${config.temporal.taskQueue}-stream-maintenance`).describe();
    expect(maintenance.policies).toEqual(hourly.policies);
    expect(maintenance.action).toMatchObject({ type: 'startWorkflow', workflowType: 'streamMaintenance' });
    const warehouse = await client.schedule.getHandle(`${config.temporal.taskQueue}-warehouse-maintenance`).describe();
    expect(warehouse.policies).toEqual({ overlap: ScheduleOverlapPolicy.BUFFER_ALL, catchupWindow: 24 * 3_600_000, pauseOnFailure: false });
    expect(warehouse.action).toMatchObject({ type: 'startWorkflow', workflowType: 'warehouseMaintenance', args: [{ timeZone: config.schedules.timeZone }] });
    expect(warehouse.spec.calendars).toEqual([expect.objectContaining({ hour: [{ start: 2, end: 2, step: 1 }], minute: [{ start: 0, end: 0, step: 1 }] })]);
    expect(warehouse.spec.timezone).toBe(config.schedules.timeZone);
  });

  it('scheduled runs take their hour from the action time, and a backfill of the range leaves the same warehouse', async () => {
    // Scheduled: the hourly schedule (paused, so only these runs happen) takes the actions of three
    // past hours, as a schedule does after an outage; the first one finds groups 1 and 2 landed.
    scheduled.land(1, 2);
    await scheduled.startWorker();
    const handle: ScheduleHandle = client.schedule.getHandle(`${scheduled.config.temporal.taskQueue}-hourly-batch`);
    await handle.pause('backfilled by the test');
    await handle.backfill({ start: new Date(parseLogicalHour(hours[0]!).epochMs), end: new Date(parseLogicalHour(hours[2]!).epochMs + 3_599_000), overlap: ScheduleOverlapPolicy.BUFFER_ALL });
    const runs = await until(
      'three scheduled runs',
      async () => {
        const found = await scheduledRuns(client, handle.scheduleId);
        return found.length === 3 && found.every((run) => run.status === 'COMPLETED') ? found : undefined;
      },
      600_000,
    );
    expect(runs.map((run) => new Date(run.scheduledAt).toISOString())).toEqual(hours.map((hour) => `${hour}:05:00.000Z`));
    const results = await Promise.all(runs.map((run) => client.workflow.getHandle(run.workflowId).result()));
    expect(results.map((result) => (result as { hour: string }).hour)).toEqual(hours);
    // BUFFER_ALL: one after the other, in order.
    for (let i = 1; i < runs.length; i += 1) expect(runs[i]!.startTime).toBeGreaterThanOrEqual(runs[i - 1]!.closeTime!);
    await scheduled.stopWorker();

    // Backfilled: the same landing files, `qpipe backfill hourly-batch` over the same hours.
    backfilled.land(1, 2);
    await backfilled.startWorker();
    const progress: number[] = [];
    const first = await backfill(client, backfilled.config, 'hourly-batch', { from: hours[0]!, to: hours[2]! }, (p) => progress.push(p.ran + p.alreadyDone + p.failed));
    expect(first.slots.map((slot) => [slot.slot, slot.outcome])).toEqual(hours.map((hour) => [hour, 'ran']));
    expect(progress.at(-1)).toBe(3);
    // Resumable: a second backfill of a wider range runs only the slot not done yet.
    const again = await backfill(client, backfilled.config, 'hourly-batch', { from: hours[0]!, to: addHours(hours[2]!, 1) });
    expect(again.slots.map((slot) => slot.outcome)).toEqual(['already-done', 'already-done', 'already-done', 'ran']);
    await backfilled.stopWorker();

    expect((await backfilled.committedBatches()).slice(0, 3)).toEqual(await scheduled.committedBatches());
    expect(await scheduled.committedBatches()).toEqual(hours.map((hour) => `${hour}.json`));
    const [a, b] = [await scheduled.snapshot(), await backfilled.snapshot()];
    expect(a.sales_transactions_fact).toHaveLength(3_000);
    expect(b).toEqual(a);
  }, 1_200_000);

  it('a scheduled daily dump writes the day before its action time, in the schedule\'s time zone', async () => {
    await scheduled.startWorker();
    const handle = client.schedule.getHandle(`${scheduled.config.temporal.taskQueue}-daily-dump`);
    // Actions at 01:00 UTC on two days: the dumps of the days before.
    const day = hours[0]!.slice(0, 10);
    await handle.backfill({ start: new Date(`${day}T00:30:00Z`), end: new Date(`${addDays(day, 1)}T01:30:00Z`), overlap: ScheduleOverlapPolicy.BUFFER_ALL });
    const runs = await until(
      'two scheduled dumps',
      async () => {
        const found = await scheduledRuns(client, handle.scheduleId);
        return found.length === 2 && found.every((run) => run.status === 'COMPLETED') ? found : undefined;
      },
      300_000,
    );
    const results = (await Promise.all(runs.map((run) => client.workflow.getHandle(run.workflowId).result()))) as DailyDumpResult[];
    expect(results.map((result) => result.date)).toEqual([addDays(day, -1), day]);
    expect(results.map((result) => path.basename(result.path))).toEqual([`daily_sales_${addDays(day, -1)}.csv`, `daily_sales_${day}.csv`]);

    // `qpipe backfill daily-dump` over the same days writes the same files; a second one skips them.
    const first = await backfill(client, scheduled.config, 'daily-dump', { from: addDays(day, -1), to: day });
    expect(first.slots.map((slot) => slot.outcome)).toEqual(['ran', 'ran']);
    const backfilled = (await Promise.all(first.slots.map((slot) => client.workflow.getHandle(slot.workflowId).result()))) as DailyDumpResult[];
    expect(backfilled.map(({ path: file, sha256 }) => ({ file, sha256 }))).toEqual(results.map(({ path: file, sha256 }) => ({ file, sha256 })));
    const again = await backfill(client, scheduled.config, 'daily-dump', { from: addDays(day, -1), to: day, concurrency: 2 });
    expect(again.slots.map((slot) => slot.outcome)).toEqual(['already-done', 'already-done']);
    await scheduled.stopWorker();
  }, 600_000);

  it('a worker that was down runs every missed run, in order, when it comes back', async () => {
    const [hourly] = pipelineSchedules(stopped.config);
    // The real hourly schedule, but every 15 s, so that "three hours" pass in a minute.
    await client.schedule.create({ ...hourly!.options, spec: { intervals: [{ every: '15 seconds' }] } });
    await sleep(50_000);
    const downUntil = Date.now();
    await stopped.startWorker();
    const runs = await until(
      'the missed runs',
      async () => {
        const found = (await scheduledRuns(client, hourly!.scheduleId)).filter((run) => run.scheduledAt < downUntil);
        return found.length >= 3 && found.every((run) => run.status === 'COMPLETED') ? found : undefined;
      },
      300_000,
    );
    await client.schedule.getHandle(hourly!.scheduleId).pause('test over');
    expect(runs.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < runs.length; i += 1) {
      expect(runs[i]!.scheduledAt).toBeGreaterThan(runs[i - 1]!.scheduledAt);
      expect(runs[i]!.startTime).toBeGreaterThanOrEqual(runs[i - 1]!.closeTime!);
    }
    // Nothing was dropped while the worker was away.
    expect((await client.schedule.getHandle(hourly!.scheduleId).describe()).info.numActionsSkippedOverlap).toBe(0);
  }, 600_000);
});
