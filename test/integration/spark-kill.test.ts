import { execFile, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { loadConfig } from '../../lib/config';
import { HdfsClient } from '../../lib/hdfs-client';
import { withHive, type HiveClient } from '../../lib/hive-client';
import { silentLogger } from '../../lib/log';
import { createTemporalClient } from '../../lib/temporal';
import { stackLayout } from '../../stack/layout';
import { runningPid } from '../../stack/processes';
import { hourlyBatch, type HourlyBatchResult } from '../../workflows/hourly-batch';
import { isolatedEnv } from '../helpers/isolated';
import { groupsFixture, landRealGroup, type GroupsFixture } from '../helpers/warehouse';
import { exited, retriedActivities, startWorkerProcess } from '../helpers/worker-process';

// The Spark Thrift Server is SIGKILLed inside a dimension MERGE and inside the fact MERGE of a real
// hourly run, then `bin/qpipe stack up` restarts it and the run completes. "Inside" is the moment
// the table's data files change on HDFS (a new file in its directory, polled every 10 ms): with the
// old layout that was when INSERT OVERWRITE had deleted a dimension's files. The test asserts the
// kill landed there (a new data file, no new commit in the table's log) and that the tables end
// equal to the independently computed figures of groups 1-5, with every SCD2 version.

const expected = groupsFixture;
const env = isolatedEnv('sparkkill');
const config = loadConfig(env);
const db = config.hive.database;
const root = path.resolve(__dirname, '..', '..');
const hourOf = (group: number) => `2026-01-01T0${group}`;

describe('hourlyBatch survives the Spark Thrift Server killed inside a MERGE', () => {
  let client: Client;
  let worker: ChildProcess;
  const hdfs = new HdfsClient(config.hdfs, silentLogger);
  const workerLog = path.join(tmpdir(), `qpipe-it-sparkkill-${process.pid}.log`);

  beforeAll(async () => {
    client = await createTemporalClient(config.temporal);
    worker = startWorkerProcess(env, workerLog);
  });

  afterAll(async () => {
    worker.kill('SIGTERM');
    await exited(worker);
    await withHive(config.hive, silentLogger, (hive) => hive.execute(`DROP DATABASE IF EXISTS ${db} CASCADE`)).catch(() => undefined);
    await hdfs.delete(config.hdfs.root, { recursive: true }).catch(() => undefined);
    await client.connection.close();
  });

  const drop = (group: number) => landRealGroup(config.dirs.landing, group);

  function start(group: number): Promise<WorkflowHandle<typeof hourlyBatch>> {
    return client.workflow.start(hourlyBatch, { workflowId: `hourly-batch-${hourOf(group)}-${db}`, taskQueue: config.temporal.taskQueue, args: [{ hour: hourOf(group) }] });
  }

  /** The table's directory on HDFS (its Delta log is `_delta_log` inside). */
  async function tableDir(table: string): Promise<string> {
    const { rows } = await withHive(config.hive, silentLogger, (hive) => hive.query<{ location: string }>(`DESCRIBE DETAIL ${db}.${table}`));
    return new URL(rows[0]!.location).pathname;
  }

  const names = async (dir: string) => new Set((await hdfs.list(dir)).map((entry) => entry.name));
  const commits = async (dir: string) => [...(await names(`${dir}/_delta_log`))].filter((name) => /^\d{20}\.json$/.test(name)).sort();

  /**
   * Runs one hour and SIGKILLs the Thrift Server the moment a new file appears in `table`'s
   * directory; restarts the stack; returns the run's result and what the kill found.
   */
  async function runKillingInside(group: number, table: string): Promise<{ result: HourlyBatchResult; newFiles: string[]; commitsAtKill: string[]; commitsBefore: string[] }> {
    const dir = await tableDir(table);
    const filesBefore = await names(dir);
    const commitsBefore = await commits(dir);
    const pid = await runningPid(stackLayout(config.stack.dir), 'spark-thrift');
    if (!pid) throw new Error('the Spark Thrift Server is not running');

    drop(group);
    const handle = await start(group);
    let newFiles: string[] = [];
    const deadline = Date.now() + 10 * 60_000;
    while (newFiles.length === 0) {
      if (Date.now() > deadline) throw new Error(`no new file appeared in ${dir} within 10 minutes`);
      newFiles = [...(await names(dir))].filter((name) => !filesBefore.has(name));
      if (newFiles.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    process.kill(pid, 'SIGKILL');
    while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
    const commitsAtKill = await commits(dir);

    await promisify(execFile)(path.join(root, 'bin', 'qpipe'), ['stack', 'up'], { env: process.env, timeout: 300_000 });
    const result = await handle.result();
    expect(await retriedActivities(handle)).toEqual(['processBatch']);
    return { result, newFiles, commitsAtKill, commitsBefore };
  }

  it('completes hours 4 and 5 after kills inside the customer_dim MERGE and the fact MERGE, to the fixture\'s figures with every SCD2 version', async () => {
    for (const group of [1, 2, 3]) {
      drop(group);
      await (await start(group)).result();
    }

    // (a) inside a dimension MERGE: group 4 changes all 101 customers (each current version closed,
    // a new one inserted), after its branch_dim MERGE (branch 6 opens) has committed
    const dimension = await runKillingInside(4, 'customer_dim');
    expect(dimension.newFiles.filter((name) => !/\.(parquet|bin)$/.test(name))).toEqual([]); // data or deletion-vector files
    expect(dimension.commitsAtKill).toEqual(dimension.commitsBefore); // data written, no commit: the kill landed inside the statement
    expect(dimension.result.processed.map((batch) => batch.batchId)).toEqual([hourOf(4)]);

    // (b) inside the fact MERGE: group 5's 1,500 sales
    const fact = await runKillingInside(5, 'sales_transactions_fact');
    expect(fact.newFiles.filter((name) => !/\.(parquet|bin)$/.test(name))).toEqual([]);
    expect(fact.commitsAtKill).toEqual(fact.commitsBefore);
    expect(fact.result.processed.map((batch) => batch.batchId)).toEqual([hourOf(5)]);

    await withHive(config.hive, silentLogger, (hive) => expectFixtureTables(hive));
  }, 30 * 60_000);

  async function expectFixtureTables(hive: HiveClient): Promise<void> {
    const [totals] = (await hive.query(`SELECT count(*) AS facts, count(DISTINCT transaction_id) AS ids, sum(units) AS units, CAST(sum(total_paid_price) AS STRING) AS revenue FROM ${db}.sales_transactions_fact`)).rows;
    expect(totals).toEqual({ facts: expected.fact_rows, ids: expected.fact_rows, units: expected.total_units, revenue: expected.total_revenue });
    const [versions] = (
      await hive.query(
        `SELECT (SELECT count(*) FROM ${db}.sales_agent_dim) AS agents, (SELECT count(DISTINCT sales_agent_key) FROM ${db}.sales_agent_dim) AS agent_keys,
                (SELECT count(*) FROM ${db}.branch_dim) AS branches, (SELECT count(DISTINCT branch_key) FROM ${db}.branch_dim) AS branch_keys,
                (SELECT count(*) FROM ${db}.customer_dim) AS customers, (SELECT count(DISTINCT customer_key) FROM ${db}.customer_dim) AS customer_keys,
                (SELECT count_if(is_current) FROM ${db}.customer_dim) AS current_customers,
                (SELECT count_if(is_current <> (valid_to IS NULL)) FROM ${db}.customer_dim) AS inconsistent_customers`,
      )
    ).rows;
    expect(versions).toEqual({
      agents: expected.agent_versions_count,
      agent_keys: expected.agent_versions_count,
      branches: expected.branch_versions_count,
      branch_keys: expected.branch_versions_count,
      customers: expected.customer_versions_count,
      customer_keys: expected.customer_versions_count,
      current_customers: expected.current_customers_count,
      inconsistent_customers: 0,
    });
    const branches = (await hive.query(`SELECT branch_id, location, CAST(establish_date AS STRING) AS establish_date, class, valid_from, valid_to FROM ${db}.branch_dim ORDER BY valid_from, branch_id`)).rows;
    const group = (timestamp: unknown) => (timestamp === null ? null : Number(/^2026-01-01 0(\d):00:00$/.exec(String(timestamp))?.[1]));
    const history: GroupsFixture['branches_scd2'] = {};
    for (const row of branches) {
      (history[String(row.branch_id)] ??= []).push({
        location: String(row.location),
        establish_date: String(row.establish_date),
        class: String(row.class),
        valid_from_group: group(row.valid_from)!,
        valid_to_group: group(row.valid_to),
      });
    }
    const wanted = Object.fromEntries(
      Object.entries(expected.branches_scd2).map(([id, list]) => [id, list.map(({ location, establish_date, class: klass, valid_from_group, valid_to_group }) => ({ location, establish_date, class: klass, valid_from_group, valid_to_group }))]),
    );
    expect(history).toEqual(wanted);
    // Every fact points at a version of its own customer, branch and agent that was current at its batch's hour.
    const current = (dim: string) => `${dim}.valid_from <= loaded AND (${dim}.valid_to IS NULL OR ${dim}.valid_to > loaded)`;
    const [links] = (
      await hive.query(
        `WITH facts AS (SELECT f.*, to_timestamp(f.batch_id, "yyyy-MM-dd'T'HH") AS loaded FROM ${db}.sales_transactions_fact f)
         SELECT count(c.customer_key) AS customers_linked,
                count_if(c.customer_id <> f.customer_id OR NOT (${current('c')})) AS customers_wrong,
                count_if(b.branch_id <> f.branch_id OR NOT (${current('b')})) AS branches_wrong,
                count_if(a.sales_agent_id <> f.sales_agent_id OR NOT (${current('a')})) AS agents_wrong
         FROM facts f
         LEFT JOIN ${db}.customer_dim c ON f.customer_key = c.customer_key
         LEFT JOIN ${db}.branch_dim b ON f.branch_key = b.branch_key
         LEFT JOIN ${db}.sales_agent_dim a ON f.sales_agent_key = a.sales_agent_key`,
      )
    ).rows;
    expect(links).toEqual({ customers_linked: expected.fact_rows, customers_wrong: 0, branches_wrong: 0, agents_wrong: 0 });
  }
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
