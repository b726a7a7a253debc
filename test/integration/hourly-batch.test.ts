import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runNamedQuery } from '../../lib/reports';
import { dailyDump } from '../../workflows/daily-dump';
import { hourlyBatch, type HourlyBatchResult } from '../../workflows/hourly-batch';
import { isolatedEnv } from '../helpers/isolated';
import { groupsFixture, landRealGroup } from '../helpers/warehouse';
import { activityRunning, retriedActivities, workerTestBed } from '../helpers/worker-process';

const expected = groupsFixture;
const bed = workerTestBed(isolatedEnv('hourly'), 'worker');
const { config, hive } = bed;
const db = config.hive.database;
const hours = [1, 2, 3, 4, 5].map((group) => `2026-01-01T0${group}`);

describe('hourlyBatch through Temporal on the real stack, with the real groups 1-5', () => {
  beforeAll(() => bed.open());
  afterAll(() => bed.close());

  const drop = (group: number) => landRealGroup(config.dirs.landing, group);

  async function runHour(hour: string): Promise<HourlyBatchResult> {
    return bed.client.workflow.execute(hourlyBatch, { workflowId: `hourly-batch-${hour}-${db}`, taskQueue: config.temporal.taskQueue, args: [{ hour }] });
  }

  it('loads five hours, surviving a worker killed in the middle of processing, to the independently computed figures', async () => {
    for (const [index, hour] of hours.entries()) {
      drop(index + 1);
      if (hour !== '2026-01-01T02') {
        const result = await runHour(hour);
        expect(result.ingest.ingested).toBe(3);
        continue;
      }
      // Hour 2: kill the worker with SIGKILL once processing has started, then start a new one.
      const handle = await bed.client.workflow.start(hourlyBatch, { workflowId: `hourly-batch-${hour}-${db}`, taskQueue: config.temporal.taskQueue, args: [{ hour }] });
      await activityRunning(handle, 'processBatch');
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await bed.killWorker();
      const result = await handle.result();
      expect(result.processed.map((batch) => batch.batchId)).toEqual([hour]);
      // The kill landed inside processBatch: the server timed that attempt out and the new worker ran it again.
      expect(await retriedActivities(handle)).toEqual(['processBatch']);
    }

    const totals = await hive.query(`SELECT count(*) AS facts, count(DISTINCT transaction_id) AS ids, sum(units) AS units, sum(total_paid_price) AS revenue FROM ${db}.sales_transactions_fact`);
    expect(totals.rows).toEqual([{ facts: expected.fact_rows, ids: expected.fact_rows, units: expected.total_units, revenue: expected.total_revenue }]);
    const products = await hive.query(
      `SELECT product_id, max(product_name) AS product_name, sum(units) AS total_units_sold, sum(total_paid_price) AS total_revenue
       FROM ${db}.sales_transactions_fact f JOIN ${db}.product_dim p USING (product_id) GROUP BY product_id ORDER BY total_units_sold DESC, CAST(product_id AS INT)`,
    );
    expect(products.rows.map((row) => ({ ...row, product_id: Number(row.product_id) }))).toEqual(
      expected.most_selling_products.map((row) => ({ ...row, product_id: Number(row.product_id) })),
    );
    const versions = await hive.query(`SELECT (SELECT count(*) FROM ${db}.sales_agent_dim) AS agents, (SELECT count(*) FROM ${db}.branch_dim) AS branches`);
    expect(versions.rows).toEqual([{ agents: expected.agent_versions_count, branches: expected.branch_versions_count }]);
  }, 1_200_000);

  it('reruns an hour to identical tables', async () => {
    const snapshot = async () =>
      (await hive.query(`SELECT count(*) AS n, sum(hash(*)) AS h FROM ${db}.sales_transactions_fact`)).rows.concat(
        (await hive.query(`SELECT count(*) AS n, sum(hash(*)) AS h FROM ${db}.customer_dim`)).rows,
        (await hive.query(`SELECT count(*) AS n, sum(hash(*)) AS h FROM ${db}.sales_agent_dim`)).rows,
      );
    const before = await snapshot();
    const rerun = await bed.client.workflow.execute(hourlyBatch, { workflowId: `hourly-batch-2026-01-01T03-${db}-rerun`, taskQueue: config.temporal.taskQueue, args: [{ hour: '2026-01-01T03' }] });
    expect(rerun.ingest.resumed).toBe(true);
    expect(rerun.processed).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it('answers the daily-sales query and writes the dump through the worker, on a warehouse the ingest fed', async () => {
    // A date filter on the fact (Delta skips files by their date statistics) over a warehouse the ingest fed.
    for (const [date, day] of Object.entries(expected.daily_sales_by_date)) {
      const { rows } = await runNamedQuery(hive, db, 'daily-sales', { date });
      expect(rows).toEqual(day.rows.map((row) => ({ sales_agent_name: row.sales_agent_name, product_name: row.product_name, total_sold_units: row.total_sold_units })));
    }
    const [date, day] = Object.entries(expected.daily_sales_by_date)[0]!;
    const dump = await bed.client.workflow.execute(dailyDump, { workflowId: `daily-dump-${date}-${db}`, taskQueue: config.temporal.taskQueue, args: [{ date }] });
    const csv = ['sales_agent_name,product_name,total_sold_units', ...day.rows.map((row) => `${row.sales_agent_name},${row.product_name},${row.total_sold_units}`)].map((line) => `${line}\r\n`).join('');
    expect(readFileSync(dump.path, 'utf8')).toBe(csv);
  });
});
