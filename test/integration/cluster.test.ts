import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { executorWorker, psql, sparkMasterState, thriftExecutors, type SparkExecutor } from '../../stack/cluster';
import { stackLayout } from '../../stack/layout';
import { runningPid } from '../../stack/processes';
import { lastProfile } from '../../stack/stack';
import { hourlyBatch, type HourlyBatchResult } from '../../workflows/hourly-batch';
import { isolatedEnv } from '../helpers/isolated';
import { groupsFixture, landRealGroup } from '../helpers/warehouse';
import { activityRunning, retriedActivities, workerTestBed } from '../helpers/worker-process';

// The cluster profile (`bin/qpipe stack up --profile cluster`): the hourly batch's Spark work runs on
// the standalone workers' executors (the driver's own REST API says which executor ran how many
// tasks, and which worker each executor lives on); a Spark worker SIGKILLed while its executor is
// seen running tasks of a batch (Spark's tasks last milliseconds: the kill lands inside the batch's
// processing, not necessarily inside a task) leaves the run to complete on the other worker, to the
// fixture's figures; and a
// second Spark application reads the same catalog from PostgreSQL while the Thrift Server runs.
// Skipped on the local profile: CI runs this file in its cluster step.

const expected = groupsFixture;
const bed = workerTestBed(isolatedEnv('cluster'), 'cluster');
const { config, hive } = bed;
const db = config.hive.database;
const root = path.resolve(__dirname, '..', '..');
const layout = stackLayout(config.stack.dir, 'cluster');
const hourOf = (group: number) => `2026-01-01T0${group}`;
const onCluster = lastProfile(config.stack.dir) === 'cluster';
const executors = () => thriftExecutors(config);
const workerOf = (executor: SparkExecutor) => executorWorker(config, executor);

/** Resolves once the process is gone (or a zombie no one reaps: it runs nothing), within 30 s. */
async function gone(pid: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    let state: string | undefined;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch {
      return;
    }
    if (state === 'Z') return;
    if (Date.now() > deadline) throw new Error(`process ${pid} still runs 30 s after SIGKILL`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

(onCluster ? describe : describe.skip)('the cluster profile: Spark standalone workers and a PostgreSQL metastore', () => {
  beforeAll(() => bed.open());

  afterAll(async () => {
    // A failure between the kill and the restart leaves the next tests a Spark worker short: start it again.
    if ((await runningPid(layout, 'spark-worker-1')) === undefined) {
      await promisify(execFile)(path.join(root, 'bin', 'qpipe'), ['stack', 'up'], { env: process.env, timeout: 300_000 }).catch(() => undefined);
    }
    await bed.close();
  });

  const run = (group: number) => {
    landRealGroup(config.dirs.landing, group);
    return bed.client.workflow.start(hourlyBatch, { workflowId: `hourly-batch-${hourOf(group)}-${db}`, taskQueue: config.temporal.taskQueue, args: [{ hour: hourOf(group) }] });
  };

  it('runs the batches on the workers\' executors and completes an hour whose Spark worker was SIGKILLed while running its tasks, to the fixture\'s figures', async () => {
    const master = await sparkMasterState(config);
    expect(master.workers.filter((w) => w.state === 'ALIVE')).toHaveLength(config.stack.cluster.sparkWorkers);
    expect(master.activeapps.map((app) => [app.name, app.cores])).toEqual([['qpipe-thrift-server', config.stack.cluster.sparkWorkers]]);
    const before = new Map((await executors()).map((executor) => [executor.id, executor.totalTasks]));

    for (const group of [1, 2, 3]) await (await run(group)).result();

    // The tasks ran on executors of the standalone workers, and each worker's executor took part.
    const afterThree = await executors();
    const ran = afterThree.map((executor) => ({ id: executor.id, worker: workerOf(executor), tasks: executor.totalTasks - (before.get(executor.id) ?? 0) }));
    const perWorker = new Map<number, number>();
    for (const executor of ran.filter((e) => e.id !== 'driver')) perWorker.set(executor.worker!, (perWorker.get(executor.worker!) ?? 0) + executor.tasks);
    expect([...perWorker.keys()].sort()).toEqual(Array.from({ length: config.stack.cluster.sparkWorkers }, (_, index) => index + 1));
    for (const tasks of perWorker.values()) expect(tasks).toBeGreaterThan(0);

    // Hour 4: SIGKILL worker 1 the moment its executor runs a task of the batch.
    const handle = await run(4);
    await activityRunning(handle, 'processBatch');
    const pid = await runningPid(layout, 'spark-worker-1');
    if (!pid) throw new Error('spark-worker-1 is not running');
    let victim: SparkExecutor | undefined;
    const deadline = Date.now() + 5 * 60_000;
    while (!victim) {
      if (Date.now() > deadline) throw new Error('worker 1\'s executor ran no task of hour 4 within 5 minutes');
      victim = (await executors()).find((executor) => executor.isActive && workerOf(executor) === 1 && executor.activeTasks > 0);
      if (!victim) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    process.kill(pid, 'SIGKILL');
    await gone(pid);
    // The kill landed inside the batch: its processing was still running after it.
    const pending = (await handle.describe()).raw.pendingActivities ?? [];
    expect(pending.map((activity) => activity.activityType?.name)).toContain('processBatch');
    const survivorTasks = new Map((await executors()).filter((executor) => executor.isActive && executor.id !== victim.id).map((executor) => [executor.id, executor.totalTasks]));

    const result: HourlyBatchResult = await handle.result();
    expect(result.processed.map((batch) => batch.batchId)).toEqual([hourOf(4)]);
    // The driver lost the executor, the rest of the batch ran on the other worker's, and Temporal
    // retried nothing.
    const afterFour = await executors();
    const lost = afterFour.find((executor) => executor.id === victim.id)!;
    expect(lost.isActive).toBe(false);
    expect(lost.removeReason).toMatch(/worker lost|disassociated|exited/i);
    const survivors = afterFour.filter((executor) => survivorTasks.has(executor.id) && executor.totalTasks > survivorTasks.get(executor.id)!);
    expect(survivors.map(workerOf)).toEqual([2]);
    expect(await retriedActivities(handle)).toEqual([]);

    // The worker comes back with `stack up`, and hour 5 runs on both workers again.
    await promisify(execFile)(path.join(root, 'bin', 'qpipe'), ['stack', 'up'], { env: process.env, timeout: 300_000 });
    const beforeFive = new Map((await executors()).map((executor) => [executor.id, executor.totalTasks]));
    await (await run(5)).result();
    const ranFive = (await executors()).filter((executor) => executor.isActive && executor.id !== 'driver' && executor.totalTasks > (beforeFive.get(executor.id) ?? 0));
    expect(ranFive.map(workerOf).sort()).toEqual(Array.from({ length: config.stack.cluster.sparkWorkers }, (_, index) => index + 1));

    const totals = await hive.query(`SELECT count(*) AS facts, count(DISTINCT transaction_id) AS ids, sum(units) AS units, sum(total_paid_price) AS revenue FROM ${db}.sales_transactions_fact`);
    expect(totals.rows).toEqual([{ facts: expected.fact_rows, ids: expected.fact_rows, units: expected.total_units, revenue: expected.total_revenue }]);
    const versions = await hive.query(
      `SELECT (SELECT count(*) FROM ${db}.sales_agent_dim) AS agents, (SELECT count(*) FROM ${db}.branch_dim) AS branches, (SELECT count(*) FROM ${db}.customer_dim) AS customers`,
    );
    expect(versions.rows).toEqual([{ agents: expected.agent_versions_count, branches: expected.branch_versions_count, customers: expected.customer_versions_count }]);
  }, 1_800_000);

  it('lets a second Spark application (spark-sql) read the warehouse from the PostgreSQL metastore while the Thrift Server runs and answers', async () => {
    // The catalog is in PostgreSQL: its tables of this database, read with psql, not through Spark.
    const tables = (await psql(config, layout, 'metastore', `SELECT t."TBL_NAME" FROM "TBLS" t JOIN "DBS" d ON t."DB_ID" = d."DB_ID" WHERE d."NAME" = '${db}' ORDER BY 1`)).split('\n');
    expect(tables).toEqual(expect.arrayContaining(['branch_dim', 'customer_dim', 'product_dim', 'sales_agent_dim', 'sales_transactions_fact']));
    expect(existsSync(path.join(layout.state, 'spark', 'metastore_db'))).toBe(false);

    // The Thrift Server holds its metastore connections for its whole life (an embedded Derby
    // metastore would refuse spark-sql the database); it keeps answering until spark-sql is done.
    let reading = true;
    const reader = promisify(execFile)(
      path.join(root, 'bin', 'qpipe'),
      ['stack', 'spark-sql', '-S', '-e', `SELECT count(*), sum(units), sum(total_paid_price) FROM ${db}.sales_transactions_fact`],
      { env: process.env, timeout: 300_000 },
    ).finally(() => {
      reading = false;
    });
    const answers: unknown[] = [];
    while (reading) {
      answers.push(...(await hive.query(`SELECT count(*) AS facts FROM ${db}.sales_transactions_fact`)).rows);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const { stdout } = await reader;
    expect(stdout.trim().split('\n').at(-1)!.split('\t')).toEqual([String(expected.fact_rows), String(expected.total_units), expected.total_revenue]);
    expect(answers.length).toBeGreaterThan(3);
    expect(new Set(answers.map((answer) => JSON.stringify(answer)))).toEqual(new Set([JSON.stringify({ facts: expected.fact_rows })]));
  }, 600_000);
});
