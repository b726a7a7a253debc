import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { processActivities, processBatchSteps, processSteps, type ProcessSummary } from '../../activities/process';
import { executeJob } from '../../lib/jobs';
import { sqlIdentifier } from '../../lib/pure/sql';
import { reportActivities } from '../../activities/reports';
import { readHistory } from '../../lib/delta-history';
import type { Row } from '../../lib/hive-client';
import { processedPath } from '../../lib/pure/batch';
import { deltaTables } from '../../lib/pure/delta';
import { runNamedQuery, type NamedQueryOptions } from '../../lib/reports';
import { isolatedConfig, realDataDir } from '../helpers/isolated';
import { commitBatch, type DropFile } from '../helpers/raw-batch';
import { realGroup, testWarehouse } from '../helpers/warehouse';

// The process step against the real stack (HDFS + Spark Thrift Server). Expected figures come from
// test/fixtures/expected/q-company-groups-1-5.json (an independent Python computation) and from
// hand counts of the small files in test/fixtures/rows; none is computed with the code under test.

const expected = JSON.parse(readFileSync(path.resolve(__dirname, '../fixtures/expected/q-company-groups-1-5.json'), 'utf8')) as Expected;
const rowsDir = path.resolve(__dirname, '../fixtures/rows');
const tables = ['sales_transactions_fact', 'customer_dim', 'product_dim', 'sales_agent_dim', 'branch_dim', 'rejected_rows'] as const;
const minutes = (n: number) => n * 60_000;

interface Expected {
  fact_rows: number;
  total_units: number;
  total_revenue: string;
  online_rows_null_city: number;
  offline_rows_unknown_agent_or_branch: number;
  email_warnings: number;
  new_fact_rows_per_group: Record<string, number>;
  replayed_rows_per_group: Record<string, number>;
  changed_rows_per_group: Record<string, number>;
  rejected_rows_per_group: Record<string, Record<string, number>>;
  new_agent_versions_per_group: Record<string, number>;
  new_branch_versions_per_group: Record<string, number>;
  new_customer_versions_per_group: Record<string, number>;
  agent_versions_count: number;
  branch_versions_count: number;
  customer_versions_count: number;
  current_customers_count: number;
  products_count: number;
  current_agent_names: Record<string, string>;
  most_selling_products: { product_id: number; product_name: string; total_units_sold: number; total_revenue: string }[];
  most_redeemed_offers: { offer_number: number; discount_percentage: number; redemptions: number }[];
  most_redeemed_offers_per_product: { product_id: number; product_name: string; offer_number: number; redemptions: number }[];
  lowest_online_cities: { shipping_city: string; shipping_state: string; online_revenue: string; online_orders: number }[];
  daily_sales_by_date: Record<string, { offline_sales: number; rows: { sales_agent_name: string; product_name: string; total_sold_units: number }[] }>;
  sales_agents_scd2: Record<string, Scd2Version[]>;
  branches_scd2: Record<string, Scd2Version[]>;
  sample_facts: Record<string, string | number | boolean | null>[];
  transaction_date_min: string;
  transaction_date_max: string;
  daily_sales_dates_with_same_name_products_for_one_agent: string[];
}
type Scd2Version = Record<string, string | number | boolean | null>;

const hourOf = (group: number) => `2026-01-01T${String(group).padStart(2, '0')}`;
/** The fixture numbers groups; the warehouse stamps versions with the group's logical hour. */
const groupOfTimestamp = (timestamp: unknown) => (timestamp === null ? null : Number(/^2026-01-01 (\d\d):00:00$/.exec(String(timestamp))?.[1]));
/** Code-point order, as the fixture's Python and Spark's binary string order sort. */
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/**
 * The named queries' keys in order, as specs/warehouse.md lists them (the fixture's objects have
 * their keys sorted). Ids are STRING columns in the warehouse, so the queries print them as text.
 */
const namedQueryKeys = {
  'most-selling-products': ['product_id', 'product_name', 'total_units_sold', 'total_revenue'],
  'most-redeemed-offers': ['offer_number', 'discount_percentage', 'redemptions'],
  'most-redeemed-offers-per-product': ['product_id', 'product_name', 'offer_number', 'redemptions'],
  'lowest-online-cities': ['shipping_city', 'shipping_state', 'online_revenue', 'online_orders'],
  'daily-sales': ['sales_agent_name', 'product_name', 'total_sold_units'],
} as const;
type NamedQueryKey = keyof typeof namedQueryKeys;

/** The fixture's rows of a named query, keys in the spec's order, ids as text. */
function expectedRows(name: NamedQueryKey, rows: readonly object[]): Row[] {
  return rows.map((row) => {
    const values = row as Record<string, string | number>;
    return Object.fromEntries(namedQueryKeys[name].map((key) => [key, key === 'product_id' ? String(values[key]) : values[key]!]));
  });
}

/** The fixture's figures of the four whole-warehouse queries. */
const wholeWarehouseQueries = () =>
  [
    ['most-selling-products', expected.most_selling_products],
    ['most-redeemed-offers', expected.most_redeemed_offers],
    ['most-redeemed-offers-per-product', expected.most_redeemed_offers_per_product],
    ['lowest-online-cities', expected.lowest_online_cities],
  ] as const;

/** The day before a YYYY-MM-DD date, and the day after. */
const dayBefore = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
const dayAfter = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

function rowsFixture(name: string): Buffer {
  return readFileSync(path.join(rowsDir, name));
}

describe('processBatch on the real groups 1-5', () => {
  const w = testWarehouse(isolatedConfig('process'));
  const summaries = new Map<number, ProcessSummary>();

  beforeAll(async () => {
    await w.open();
    for (let group = 1; group <= 5; group += 1) await commitBatch(w.hdfs, w.config.hdfs.root, hourOf(group), realGroup(group));
  }, minutes(5));

  afterAll(async () => {
    await w.close();
  }, minutes(5));

  it('lists the committed batches that have no processed marker, oldest first', async () => {
    expect(await w.listPendingBatches()).toEqual([1, 2, 3, 4, 5].map(hourOf));
  });

  it('processes groups 1-4 in order with the expected counts per batch (group 3 is a replay of group 1)', async () => {
    for (const group of [1, 2, 3, 4]) {
      const started = Date.now();
      const summary = await w.processBatch(hourOf(group));
      console.log(`processed group ${group} in ${Date.now() - started} ms`, JSON.stringify(summary));
      summaries.set(group, summary);
      expectGroupSummary(group, summary);
    }
    expect(await w.listPendingBatches()).toEqual([hourOf(5)]);
  }, minutes(40));

  it('finishes an interrupted run of group 5 (steps through the fact write, no marker) as a clean run would', async () => {
    await processBatchSteps(w.deps, hourOf(5), 'fact');
    expect(await w.hdfs.exists(processedPath(w.config.hdfs.root, hourOf(5)))).toBe(false);
    expect(await w.listPendingBatches()).toEqual([hourOf(5)]);
    const summary = await w.processBatch(hourOf(5));
    summaries.set(5, summary);
    expectGroupSummary(5, summary);
    expect(await w.listPendingBatches()).toEqual([]);
  }, minutes(20));

  it('loads exactly the fixture: 6,000 facts, units, revenue, products, offers, cities and daily sales', async () => {
    const [totals] = await w.query(
      `SELECT count(*) AS facts, count(DISTINCT transaction_id) AS ids, sum(units) AS units, CAST(sum(total_paid_price) AS STRING) AS revenue FROM ${w.db}.sales_transactions_fact`,
    );
    expect(totals).toEqual({ facts: expected.fact_rows, ids: expected.fact_rows, units: expected.total_units, revenue: expected.total_revenue });

    const products = await w.query(
      `SELECT f.product_id, p.product_name, sum(f.units) AS total_units_sold, CAST(sum(f.total_paid_price) AS STRING) AS total_revenue
       FROM ${w.db}.sales_transactions_fact f JOIN ${w.db}.product_dim p ON f.product_key = p.product_key
       GROUP BY f.product_id, p.product_name`,
    );
    const sellers = products
      .sort((a, b) => Number(b.total_units_sold) - Number(a.total_units_sold) || Number(a.product_id) - Number(b.product_id))
      .map((row) => ({ ...row, product_id: Number(row.product_id) }));
    expect(sellers).toEqual(expected.most_selling_products);

    const offers = await w.query(
      `SELECT offer_number, discount_percentage, count(*) AS redemptions FROM ${w.db}.sales_transactions_fact
       WHERE offer_number IS NOT NULL GROUP BY offer_number, discount_percentage`,
    );
    expect(offers.sort((a, b) => Number(b.redemptions) - Number(a.redemptions) || Number(a.offer_number) - Number(b.offer_number))).toEqual(expected.most_redeemed_offers);

    const perProduct = await w.query(
      `SELECT f.product_id, p.product_name, f.offer_number, count(*) AS redemptions
       FROM ${w.db}.sales_transactions_fact f JOIN ${w.db}.product_dim p ON f.product_key = p.product_key
       WHERE f.offer_number IS NOT NULL GROUP BY f.product_id, p.product_name, f.offer_number`,
    );
    expect(
      perProduct
        .sort((a, b) => Number(b.redemptions) - Number(a.redemptions) || Number(a.product_id) - Number(b.product_id) || Number(a.offer_number) - Number(b.offer_number))
        .map((row) => ({ ...row, product_id: Number(row.product_id) })),
    ).toEqual(expected.most_redeemed_offers_per_product);

    const cities = await w.query(
      `SELECT shipping_city, shipping_state, CAST(sum(total_paid_price) AS STRING) AS online_revenue, count(*) AS online_orders
       FROM ${w.db}.sales_transactions_fact WHERE is_online AND shipping_city IS NOT NULL GROUP BY shipping_city, shipping_state`,
    );
    expect(
      cities.sort(
        (a, b) =>
          Number(a.online_revenue) - Number(b.online_revenue) || byCodePoint(String(a.shipping_city), String(b.shipping_city)) || byCodePoint(String(a.shipping_state), String(b.shipping_state)),
      ),
    ).toEqual(expected.lowest_online_cities);

    for (const [date, day] of Object.entries(expected.daily_sales_by_date)) {
      const rows = await w.query(
        `SELECT a.name AS sales_agent_name, p.product_name, f.product_id, sum(f.units) AS total_sold_units
         FROM ${w.db}.sales_transactions_fact f
         JOIN ${w.db}.sales_agent_dim a ON f.sales_agent_id = a.sales_agent_id AND a.is_current
         JOIN ${w.db}.product_dim p ON f.product_key = p.product_key
         WHERE NOT f.is_online AND f.transaction_date = DATE '${date}'
         GROUP BY a.name, p.product_name, f.product_id`,
      );
      const sorted = rows.sort(
        (a, b) =>
          byCodePoint(String(a.sales_agent_name), String(b.sales_agent_name)) ||
          byCodePoint(String(a.product_name), String(b.product_name)) ||
          Number(b.total_sold_units) - Number(a.total_sold_units) ||
          Number(a.product_id) - Number(b.product_id),
      );
      expect({ date, rows: sorted.map(({ product_id: _id, ...row }) => row) }).toEqual({ date, rows: day.rows });
      const [{ offline }] = (await w.query(`SELECT count(*) AS offline FROM ${w.db}.sales_transactions_fact WHERE NOT is_online AND transaction_date = DATE '${date}'`)) as [{ offline: number }];
      expect({ date, offline }).toEqual({ date, offline: day.offline_sales });
    }

    const [quality] = await w.query(
      `SELECT count_if(is_online AND shipping_city IS NULL) AS null_city,
              count_if(NOT is_online AND (sales_agent_key IS NULL OR branch_key IS NULL)) AS unknown_store,
              count_if(is_online AND (sales_agent_id IS NOT NULL OR branch_id IS NOT NULL OR sales_agent_key IS NOT NULL)) AS online_with_store,
              count_if(NOT is_online AND (shipping_street IS NOT NULL OR shipping_city IS NOT NULL)) AS offline_with_shipping
       FROM ${w.db}.sales_transactions_fact`,
    );
    expect(quality).toEqual({ null_city: expected.online_rows_null_city, unknown_store: expected.offline_rows_unknown_agent_or_branch, online_with_store: 0, offline_with_shipping: 0 });
    // The batches' warnings count the rows each wrote: over groups 1-5 they add up to the fixture's counts
    // (email_warnings counts every accepted line, replays too; both are 0 for these files).
    const warnings = [...summaries.values()].map((summary) => summary.warnings);
    expect({
      nullCity: sum(warnings.map((warning) => warning.nullCity)),
      unknownAgentOrBranch: sum(warnings.map((warning) => warning.unknownAgentOrBranch)),
      invalidEmail: sum(warnings.map((warning) => warning.invalidEmail)),
    }).toEqual({ nullCity: expected.online_rows_null_city, unknownAgentOrBranch: expected.offline_rows_unknown_agent_or_branch, invalidEmail: expected.email_warnings });
  }, minutes(10));

  it('answers the four whole-warehouse named queries with the fixture\'s rows, keys in the spec\'s order', async () => {
    for (const [name, rows] of wholeWarehouseQueries()) {
      const result = await runNamedQuery(w.hive, w.db, name);
      const want = expectedRows(name, rows);
      expect({ name, columns: result.columns.map((column) => column.name) }).toEqual({ name, columns: namedQueryKeys[name] });
      expect({ name, keys: result.rows.map((row) => Object.keys(row)) }).toEqual({ name, keys: want.map((row) => Object.keys(row)) });
      expect({ name, rows: result.rows }).toEqual({ name, rows: want });
    }
    // money prints with its two decimals (e.g. 19.99, 799.90), never as a float
    const [cheapest] = expected.lowest_online_cities;
    expect(cheapest!.online_revenue).toMatch(/^\d+\.\d\d$/);
  }, minutes(10));

  it('answers daily-sales for each fixture date with its rows: in-store only, current agent names, same-name products apart', async () => {
    for (const [date, day] of Object.entries(expected.daily_sales_by_date)) {
      const { rows } = await runNamedQuery(w.hive, w.db, 'daily-sales', { date });
      const want = expectedRows('daily-sales', day.rows);
      expect({ date, keys: rows.map((row) => Object.keys(row)) }).toEqual({ date, keys: want.map((row) => Object.keys(row)) });
      expect({ date, rows }).toEqual({ date, rows: want });
    }
    // a one-day range is the same as --date
    for (const date of ['2023-05-20', expected.daily_sales_dates_with_same_name_products_for_one_agent[0]!]) {
      const { rows } = await runNamedQuery(w.hive, w.db, 'daily-sales', { from: date, to: date });
      expect({ date, rows }).toEqual({ date, rows: expectedRows('daily-sales', expected.daily_sales_by_date[date]!.rows) });
    }
  }, minutes(10));

  it('caps the rows with --limit, keeping the first ones in the query\'s order', async () => {
    const cases: [NamedQueryKey, NamedQueryOptions, Row[]][] = [
      ['most-selling-products', { limit: 5 }, expectedRows('most-selling-products', expected.most_selling_products.slice(0, 5))],
      ['most-redeemed-offers-per-product', { limit: 7 }, expectedRows('most-redeemed-offers-per-product', expected.most_redeemed_offers_per_product.slice(0, 7))],
      ['lowest-online-cities', { limit: 3 }, expectedRows('lowest-online-cities', expected.lowest_online_cities.slice(0, 3))],
      ['daily-sales', { date: '2022-06-20', limit: 4 }, expectedRows('daily-sales', expected.daily_sales_by_date['2022-06-20']!.rows.slice(0, 4))],
      ['most-redeemed-offers', { limit: 100 }, expectedRows('most-redeemed-offers', expected.most_redeemed_offers)],
    ];
    for (const [name, options, want] of cases) {
      const { rows } = await runNamedQuery(w.hive, w.db, name, options);
      expect({ name, options, rows }).toEqual({ name, options, rows: want });
    }
  }, minutes(10));

  it('bounds the transaction date with --from/--to: the whole span gives every row, a span without sales none', async () => {
    const first = expected.transaction_date_min;
    const last = expected.transaction_date_max;
    for (const [name, rows] of wholeWarehouseQueries()) {
      const whole = await runNamedQuery(w.hive, w.db, name, { from: first, to: last });
      expect({ name, rows: whole.rows }).toEqual({ name, rows: expectedRows(name, rows) });
    }
    const openStart = await runNamedQuery(w.hive, w.db, 'most-selling-products', { to: last });
    expect(openStart.rows).toEqual(expectedRows('most-selling-products', expected.most_selling_products));
    expect((await runNamedQuery(w.hive, w.db, 'most-selling-products', { to: dayBefore(first) })).rows).toEqual([]);
    expect((await runNamedQuery(w.hive, w.db, 'lowest-online-cities', { from: dayAfter(last) })).rows).toEqual([]);
    expect((await runNamedQuery(w.hive, w.db, 'daily-sales', { from: dayAfter(last), to: '2099-12-31' })).rows).toEqual([]);
  }, minutes(10));

  it('writes the B2B dump of a date as the fixture\'s rows in RFC 4180 CSV with CRLF, and a rerun gives the same bytes', async () => {
    const dump = reportActivities(w.deps);
    const sameNameDate = expected.daily_sales_dates_with_same_name_products_for_one_agent[0]!;
    for (const date of ['2023-05-20', sameNameDate]) {
      // Built from the fixture by hand: none of these names holds a character that needs quoting
      // or neutralising, so each record is its three cells joined by commas.
      const { rows } = expected.daily_sales_by_date[date]!;
      for (const row of rows) expect(`${row.sales_agent_name}${row.product_name}`).not.toMatch(/[",\r\n]|^[=+\-@\t\r]/);
      const bytes = Buffer.from(
        ['sales_agent_name,product_name,total_sold_units', ...rows.map((row) => `${row.sales_agent_name},${row.product_name},${row.total_sold_units}`)].map((line) => `${line}\r\n`).join(''),
      );
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const file = path.join(w.config.dirs.reports, 'b2b', `daily_sales_${date}.csv`);

      const first = await dump.writeDailyDump(date);
      expect(first).toEqual({ date, path: file, rows: rows.length, bytes: bytes.length, sha256 });
      expect(readFileSync(file)).toEqual(bytes);

      const second = await dump.writeDailyDump(date);
      expect(second).toEqual(first);
      expect(readFileSync(file)).toEqual(bytes);
    }
    expect(readFileSync(path.join(w.config.dirs.reports, 'b2b', `daily_sales_${sameNameDate}.csv`), 'utf8')).toContain('Michael Johnson,Sandals,6\r\nMichael Johnson,Sandals,4\r\n');

    // a date without sales: the header alone; and no temporary file is left beside the dumps
    const empty = await dump.writeDailyDump(dayBefore(expected.transaction_date_min));
    expect(readFileSync(empty.path, 'utf8')).toBe('sales_agent_name,product_name,total_sold_units\r\n');
    expect(empty.rows).toBe(0);
    expect(readdirSync(path.join(w.config.dirs.reports, 'b2b')).sort()).toEqual(
      ['2023-05-20', sameNameDate, dayBefore(expected.transaction_date_min)].map((date) => `daily_sales_${date}.csv`).sort(),
    );
  }, minutes(10));

  it('links every sample fact to the dimension versions that were current when it was loaded', async () => {
    for (const sample of expected.sample_facts) {
      const [row] = await w.query(
        `SELECT f.*, c.first_name, c.last_name, c.email, p.product_name, p.product_category
         FROM ${w.db}.sales_transactions_fact f
         JOIN ${w.db}.customer_dim c ON f.customer_key = c.customer_key
         JOIN ${w.db}.product_dim p ON f.product_key = p.product_key
         WHERE f.transaction_id = '${String(sample.transaction_id)}'`,
      );
      const id = (value: unknown) => (value === null || value === undefined ? null : Number(value));
      expect({
        transaction_id: row!.transaction_id,
        transaction_date: row!.transaction_date,
        batch_group: groupOfTimestamp(`${String(row!.batch_id).replace('T', ' ')}:00:00`),
        customer_id: id(row!.customer_id),
        customer_fname: row!.first_name,
        customer_lname: row!.last_name,
        customer_email: row!.email,
        sales_agent_id: id(row!.sales_agent_id),
        branch_id: id(row!.branch_id),
        product_id: id(row!.product_id),
        product_name: row!.product_name,
        product_category: row!.product_category,
        offer_number: row!.offer_number,
        discount_percentage: row!.discount_percentage,
        units: row!.units,
        unit_price: row!.unit_price,
        total_paid_price: row!.total_paid_price,
        is_online: row!.is_online,
        payment_method: row!.payment_method,
        shipping_street: row!.shipping_street,
        shipping_city: row!.shipping_city,
        shipping_state: row!.shipping_state,
        shipping_postal_code: row!.shipping_postal_code,
      }).toEqual(sample);
    }
  });

  it('keeps type-2 histories of agents (32 versions) and branches (6) stamped with the batch hours, and 505 customer versions', async () => {
    const agents = await w.query(
      `SELECT sales_agent_id, name, CAST(hire_date AS STRING) AS hire_date, valid_from, valid_to, is_current FROM ${w.db}.sales_agent_dim ORDER BY valid_from`,
    );
    expect(agents).toHaveLength(expected.agent_versions_count);
    expect(scd2(agents, 'sales_agent_id', ['hire_date', 'name'])).toEqual(expected.sales_agents_scd2);

    const branches = await w.query(
      `SELECT branch_id, location, CAST(establish_date AS STRING) AS establish_date, class, valid_from, valid_to, is_current FROM ${w.db}.branch_dim ORDER BY valid_from`,
    );
    expect(branches).toHaveLength(expected.branch_versions_count);
    expect(scd2(branches, 'branch_id', ['class', 'establish_date', 'location'])).toEqual(expected.branches_scd2);

    const current = await w.query(`SELECT sales_agent_id, name FROM ${w.db}.sales_agent_dim WHERE is_current`);
    expect(Object.fromEntries(current.map((row) => [row.sales_agent_id, row.name]))).toEqual(expected.current_agent_names);

    const [customers] = await w.query(
      `SELECT count(*) AS versions, count_if(is_current) AS current, count(DISTINCT customer_key) AS keys,
              count_if(is_current AND valid_to IS NOT NULL) + count_if(NOT is_current AND valid_to IS NULL) AS inconsistent
       FROM ${w.db}.customer_dim`,
    );
    expect(customers).toEqual({ versions: expected.customer_versions_count, current: expected.current_customers_count, keys: expected.customer_versions_count, inconsistent: 0 });
    const [products] = await w.query(`SELECT count(*) AS products, count(DISTINCT product_key) AS keys FROM ${w.db}.product_dim`);
    expect(products).toEqual({ products: expected.products_count, keys: expected.products_count });
  });

  it('returns the recorded summary for a processed batch and touches no table', async () => {
    const before = await w.snapshot();
    expect(await w.processBatch(hourOf(5))).toEqual(summaries.get(5));
    expect(await w.snapshot()).toEqual(before);
  }, minutes(10));

  it('reprocessing a batch whose marker is gone leaves every table identical, commits nothing to any of them, and reports the same summary', async () => {
    const before = await w.snapshot();
    const versions = async () => Promise.all(deltaTables.map(async (table) => [table, (await readHistory(w.hive, w.db, table))[0]!.version] as const));
    const versionsBefore = await versions();
    await w.hdfs.delete(processedPath(w.config.hdfs.root, hourOf(5)));
    expect(await w.processBatch(hourOf(5))).toEqual(summaries.get(5));
    expect(await w.snapshot()).toEqual(before);
    expect(await versions()).toEqual(versionsBefore);
  }, minutes(20));

  it('a retry resumes after the last step its failed attempt completed (the heartbeat\'s details; the DDL checked first), and from the first step when the stages changed since', async () => {
    const before = await w.snapshot();
    const marker = processedPath(w.config.hdfs.root, hourOf(5));
    /** Runs processBatch(5) as an activity attempt: the steps it ran, its heartbeats, its summary or error. */
    async function attempt(heartbeatDetails: unknown, failFact: boolean) {
      const lines: { msg?: string; step?: string }[] = [];
      const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg?: string; step?: string }) });
      const hive = new Proxy(w.hive, {
        get(target, property, receiver) {
          if (property !== 'execute') return Reflect.get(target, property, receiver) as unknown;
          return (sql: string, ...rest: unknown[]) => {
            if (failFact && /MERGE INTO \S+\.sales_transactions_fact AS f/.test(sql)) return Promise.reject(new Error('injected: the fact MERGE failed'));
            return (target.execute as (sql: string, ...rest: unknown[]) => Promise<unknown>).call(target, sql, ...rest);
          };
        },
      });
      const env = new MockActivityEnvironment({ heartbeatDetails });
      const beats: unknown[] = [];
      env.on('heartbeat', (details: unknown) => beats.push(details));
      const outcome = await env.run(() => processActivities({ ...w.deps, hive, log }).processBatch(hourOf(5))).then(
        (summary) => ({ summary }),
        (error: unknown) => ({ error }),
      );
      return { ...outcome, beats, steps: lines.filter((line) => line.msg === 'process step done').map((line) => line.step) };
    }

    await w.hdfs.delete(marker);
    const failed = await attempt(undefined, true);
    expect(String((failed as { error: unknown }).error)).toContain('injected');
    expect(failed.steps).toEqual(processSteps.slice(0, processSteps.indexOf('fact')));
    const last = failed.beats[failed.beats.length - 1];
    expect(last).toMatchObject({ batchId: hourOf(5), completed: 'fact_plan', stage: { transactions: 1500, other_batches: 0 } });

    const resumed = await attempt(last, false);
    expect(resumed.steps).toEqual(['ddl', 'fact']);
    expect(resumed).toMatchObject({ summary: summaries.get(5) });
    expect(await w.snapshot()).toEqual(before);

    // The same failure, then the stages emptied before the retry (as another run's stage step would): every step runs again.
    await w.hdfs.delete(marker);
    const failedAgain = await attempt(undefined, true);
    await executeJob(w.hive, 'stage_reset', { database: sqlIdentifier(w.db) });
    const restarted = await attempt(failedAgain.beats[failedAgain.beats.length - 1], false);
    expect(restarted.steps).toEqual([...processSteps]);
    expect(restarted).toMatchObject({ summary: summaries.get(5) });
    expect(await w.snapshot()).toEqual(before);
  }, minutes(20));

  it('refuses a batch older than one already processed', async () => {
    await commitBatch(w.hdfs, w.config.hdfs.root, '2026-01-01T00', realGroup(1));
    await expect(w.processBatch('2026-01-01T00')).rejects.toMatchObject({ type: 'CONTRACT_BROKEN' });
    await w.hdfs.delete(`${w.config.hdfs.root}/raw/_manifests/2026-01-01T00.json`);
  });

  it('replaces a sale sent again with other content, counts it as changed, and a replay of that changes nothing', async () => {
    const sample = expected.sample_facts.find((fact) => fact.transaction_id === 'trx-152546429674')!;
    const lines = readFileSync(path.join(realDataDir, 'group1', 'sales_transactions_SS_raw_1.csv'), 'utf8').split('\n');
    const line = lines.find((candidate) => candidate.includes(',trx-152546429674,'))!;
    const fields = line.split(',');
    const unitsAt = lines[0]!.split(',').indexOf('units');
    expect(fields[unitsAt]).toBe(String(sample.units)); // 10 units at 79.99, no offer: 799.90
    fields[unitsAt] = '3';
    const changedFile = (group: number): DropFile => ({ fileName: `sales_transactions_SS_raw_${group}.csv`, content: Buffer.from(`${lines[0]}\n${fields.join(',')}\n`) });

    await commitBatch(w.hdfs, w.config.hdfs.root, hourOf(6), [changedFile(6)]);
    const summary = await w.processBatch(hourOf(6));
    expect(summary).toMatchObject({ changed: 1, replayed: 0, rowsLoaded: { sales_transactions_fact: 1, product_dim: 0, sales_agent_dim: 0, branch_dim: 0 }, rowsRejected: {} });
    const rows = await w.query(
      `SELECT units, CAST(total_paid_price AS STRING) AS total, batch_id, replaced_batch_id, CAST(transaction_date AS STRING) AS transaction_date
       FROM ${w.db}.sales_transactions_fact WHERE transaction_id = 'trx-152546429674'`,
    );
    expect(rows).toEqual([{ units: 3, total: '239.97', batch_id: hourOf(6), replaced_batch_id: hourOf(1), transaction_date: sample.transaction_date }]);
    // 5,743,119.25 − 799.90 + 239.97, by hand
    const [totals] = await w.query(`SELECT count(*) AS facts, CAST(sum(total_paid_price) AS STRING) AS revenue FROM ${w.db}.sales_transactions_fact`);
    expect(totals).toEqual({ facts: 6000, revenue: '5742559.32' });

    const before = await w.snapshot();
    await commitBatch(w.hdfs, w.config.hdfs.root, hourOf(7), [changedFile(7)]);
    expect(await w.processBatch(hourOf(7))).toMatchObject({
      changed: 0,
      replayed: 1,
      rowsLoaded: { sales_transactions_fact: 0, customer_dim: 0, product_dim: 0, sales_agent_dim: 0, branch_dim: 0 },
    });
    expect(await w.snapshot()).toEqual(before);
  }, minutes(10));

  it('moves a sale whose date changed, keeping one row of its id, and the rerun of an interrupted run commits nothing twice', async () => {
    const lines = readFileSync(path.join(realDataDir, 'group2', 'sales_transactions_SS_raw_2.csv'), 'utf8').split('\n');
    const fields = lines[1]!.split(',');
    const transactionId = fields[1]!;
    const withDate = (date: string): DropFile[] => {
      fields[0] = date;
      return [{ fileName: 'sales_transactions_SS_raw_8.csv', content: Buffer.from(`${lines[0]}\n${fields.join(',')}\n`) }];
    };
    const stored = () => w.query(`SELECT CAST(transaction_date AS STRING) AS transaction_date, batch_id, replaced_batch_id FROM ${w.db}.sales_transactions_fact WHERE transaction_id = '${transactionId}'`);
    const factCommitsOf = async (batchId: string) =>
      (await readHistory(w.hive, w.db, 'sales_transactions_fact')).filter((commit) => commit.tag?.kind === 'batch' && commit.tag.batch_id === batchId);

    // to a date no sale has: the stored row is replaced where it was, in one MERGE commit of the batch
    await commitBatch(w.hdfs, w.config.hdfs.root, hourOf(8), withDate('2021-6-15'));
    expect(await w.processBatch(hourOf(8))).toMatchObject({ changed: 1, rowsLoaded: { sales_transactions_fact: 1 } });
    expect(await stored()).toEqual([{ transaction_date: '2021-06-15', batch_id: hourOf(8), replaced_batch_id: hourOf(2) }]);
    expect(await factCommitsOf(hourOf(8))).toEqual([expect.objectContaining({ operation: 'MERGE', tag: { kind: 'batch', batch_id: hourOf(8), step: 'fact' }, rowsAdded: 1, rowsRemoved: 1 })]);

    // and on again, interrupted after the fact's commit (no marker): the rerun's MERGE finds nothing to change
    await commitBatch(w.hdfs, w.config.hdfs.root, hourOf(9), withDate('2021-6-16'));
    await processBatchSteps(w.deps, hourOf(9), 'fact');
    expect(await factCommitsOf(hourOf(9))).toHaveLength(1);
    expect(await w.processBatch(hourOf(9))).toMatchObject({ changed: 1, replayed: 0, rowsLoaded: { sales_transactions_fact: 1 } });
    expect(await factCommitsOf(hourOf(9))).toHaveLength(1);
    expect(await stored()).toEqual([{ transaction_date: '2021-06-16', batch_id: hourOf(9), replaced_batch_id: hourOf(8) }]);
    const [totals] = await w.query(`SELECT count(*) AS facts, count(DISTINCT transaction_id) AS ids FROM ${w.db}.sales_transactions_fact`);
    expect(totals).toEqual({ facts: 6000, ids: 6000 });
  }, minutes(10));
});

function expectGroupSummary(group: number, summary: ProcessSummary): void {
  const g = String(group);
  expect(summary).toMatchObject({
    batchId: hourOf(group),
    rowsRead: { sales_transactions: 1500 },
    rowsLoaded: {
      sales_transactions_fact: expected.new_fact_rows_per_group[g]! + expected.changed_rows_per_group[g]!,
      customer_dim: expected.new_customer_versions_per_group[g],
      sales_agent_dim: expected.new_agent_versions_per_group[g],
      branch_dim: expected.new_branch_versions_per_group[g],
    },
    replayed: expected.replayed_rows_per_group[g],
    changed: expected.changed_rows_per_group[g],
    superseded: 0,
    duplicateLines: 0,
  });
  expect(summary.rowsRejected).toEqual(expected.rejected_rows_per_group[g]);
}

/** Dimension rows (ordered by valid_from) in the fixture's shape: id → versions with group numbers. */
function scd2(rows: Row[], idColumn: string, attributes: string[]): Record<string, Scd2Version[]> {
  const out: Record<string, Scd2Version[]> = {};
  for (const row of rows) {
    const version: Scd2Version = {};
    for (const attribute of attributes) version[attribute] = row[attribute] ?? null;
    version.is_current = row.is_current ?? null;
    version.valid_from_group = groupOfTimestamp(row.valid_from);
    version.valid_to_group = groupOfTimestamp(row.valid_to);
    (out[String(row[idColumn])] ??= []).push(version);
  }
  return out;
}

describe('processBatch on hand-written files: rejections, quirks and replays', () => {
  // These files are mostly bad lines on purpose: no data-quality checks (an empty checks dir), or
  // the reject-rate checks would hold them (test/integration/dq.test.ts covers the checks).
  const w = testWarehouse(isolatedConfig('process_rows', { QPIPE_CHECKS_DIR: mkdtempSync(path.join(tmpdir(), 'qpipe-no-checks-')) }));
  const reasonFiles = {
    MISSING_KEY: 'missing-key.csv',
    BAD_DATE: 'bad-date.csv',
    BAD_NUMBER: 'bad-number.csv',
    NON_POSITIVE: 'non-positive.csv',
    MULTIPLE_OFFERS: 'multiple-offers.csv',
    BAD_FLAG: 'bad-flag.csv',
    MISSING_STORE_FIELDS: 'missing-store-fields.csv',
    MISSING_SHIPPING: 'missing-shipping.csv',
  } as const;

  beforeAll(async () => {
    await w.open();
  });

  afterAll(async () => {
    await w.close();
  }, minutes(5));

  it('quarantines the bad line of each file with its reason, line number and raw text, and loads the good lines', async () => {
    const reasons = Object.entries(reasonFiles);
    const files: DropFile[] = reasons.map(([, file], index) => ({ fileName: `sales_transactions_SS_raw_${11 + index}.csv`, content: rowsFixture(file) }));
    files.push({ fileName: 'branches_SS_raw_11.csv', content: rowsFixture('branches.csv') });
    files.push({ fileName: 'sales_agents_SS_raw_11.csv', content: rowsFixture('sales-agents.csv') });
    await commitBatch(w.hdfs, w.config.hdfs.root, hourOf(1), files);

    const summary = await w.processBatch(hourOf(1));
    expect(summary.rowsRejected).toEqual({
      MISSING_KEY: 3, // one sale, one branch, one agent
      BAD_DATE: 3, // one sale, one branch, one agent
      BAD_NUMBER: 1,
      NON_POSITIVE: 1,
      MULTIPLE_OFFERS: 1,
      BAD_FLAG: 1,
      MISSING_STORE_FIELDS: 1,
      MISSING_SHIPPING: 1,
    });
    expect(summary).toMatchObject({
      rowsRead: { sales_transactions: 24, branches: 3, sales_agents: 3 },
      rowsLoaded: { sales_transactions_fact: 16, customer_dim: 2, product_dim: 2, branch_dim: 1, sales_agent_dim: 1 },
      warnings: { unknownAgentOrBranch: 0, nullCity: 0, invalidEmail: 0 },
    });

    const rejected = await w.query(`SELECT dataset, source_file, line_number, reason, raw_line, rejected_at, batch_id FROM ${w.db}.rejected_rows`);
    const thirdLine = (file: string) => rowsFixture(file).toString('utf8').split('\n')[2];
    const rejectedAt = '2026-01-01 01:05:00';
    expect(rejected.sort((a, b) => byCodePoint(`${a.source_file}:${a.line_number}`, `${b.source_file}:${b.line_number}`))).toEqual(
      [
        ...reasons.map(([reason, file], index) => ({
          dataset: 'sales_transactions',
          source_file: `sales_transactions_SS_raw_${11 + index}.csv`,
          line_number: 3,
          reason,
          raw_line: thirdLine(file),
          rejected_at: rejectedAt,
          batch_id: hourOf(1),
        })),
        { dataset: 'branches', source_file: 'branches_SS_raw_11.csv', line_number: 3, reason: 'MISSING_KEY', raw_line: ',Nowhere,2017-01-15,B', rejected_at: rejectedAt, batch_id: hourOf(1) },
        { dataset: 'branches', source_file: 'branches_SS_raw_11.csv', line_number: 4, reason: 'BAD_DATE', raw_line: '3,Chicago,2015-13-10,A', rejected_at: rejectedAt, batch_id: hourOf(1) },
        { dataset: 'sales_agents', source_file: 'sales_agents_SS_raw_11.csv', line_number: 3, reason: 'BAD_DATE', raw_line: '2,Jane Smith,not-a-date', rejected_at: rejectedAt, batch_id: hourOf(1) },
        { dataset: 'sales_agents', source_file: 'sales_agents_SS_raw_11.csv', line_number: 4, reason: 'MISSING_KEY', raw_line: ',Nobody,2020-1-1', rejected_at: rejectedAt, batch_id: hourOf(1) },
      ].sort((a, b) => byCodePoint(`${a.source_file}:${a.line_number}`, `${b.source_file}:${b.line_number}`)),
    );

    const loaded = await w.query(`SELECT transaction_id FROM ${w.db}.sales_transactions_fact ORDER BY transaction_id`);
    const prefixes = ['mk', 'bd', 'bn', 'np', 'mo', 'bf', 'ms', 'mh'];
    expect(loaded.map((row) => row.transaction_id)).toEqual(prefixes.flatMap((prefix) => [`trx-${prefix}-1`, `trx-${prefix}-3`]).sort(byCodePoint));
  }, minutes(10));

  it('cleans the quirks of a plain file: quoted and junk emails, ragged rows, street with "/", missing city, half-up totals, unknown branch', async () => {
    await commitBatch(w.hdfs, w.config.hdfs.root, hourOf(2), [{ fileName: 'sales_transactions_SS_raw_21.csv', content: rowsFixture('plain.csv') }]);
    const summary = await w.processBatch(hourOf(2));
    expect(summary).toMatchObject({
      rowsRead: { sales_transactions: 5, branches: 0, sales_agents: 0 },
      rowsLoaded: { sales_transactions_fact: 5, customer_dim: 5 },
      rowsRejected: {},
      warnings: { unknownAgentOrBranch: 1, nullCity: 1, invalidEmail: 0 },
    });
    const facts = await w.query(
      `SELECT f.transaction_id, CAST(f.transaction_date AS STRING) AS transaction_date, c.email, f.sales_agent_id, f.sales_agent_key IS NOT NULL AS agent_known,
              f.branch_id, f.branch_key IS NOT NULL AS branch_known, f.offer_number, f.discount_percentage, f.units, f.unit_price, f.total_paid_price,
              f.is_online, f.shipping_street, f.shipping_city, f.shipping_state, f.shipping_postal_code
       FROM ${w.db}.sales_transactions_fact f JOIN ${w.db}.customer_dim c ON f.customer_key = c.customer_key
       WHERE f.transaction_id LIKE 'trx-pl-%' ORDER BY f.transaction_id`,
    );
    const offline = { shipping_street: null, shipping_city: null, shipping_state: null, shipping_postal_code: null };
    const online = { sales_agent_id: null, agent_known: false, branch_id: null, branch_known: false };
    expect(facts).toEqual([
      { transaction_id: 'trx-pl-1', transaction_date: '2023-05-20', email: 'alexander.brown@gmail.com', sales_agent_id: '1', agent_known: true, branch_id: '1', branch_known: true, offer_number: null, discount_percentage: 0, units: 10, unit_price: '79.99', total_paid_price: '799.90', is_online: false, ...offline },
      { transaction_id: 'trx-pl-2', transaction_date: '2023-05-27', email: 'alexander.williams@outlook.com', ...online, offer_number: null, discount_percentage: 0, units: 4, unit_price: '39.99', total_paid_price: '159.96', is_online: true, shipping_street: '421 1/2 6th Street Southeast', shipping_city: 'Washington', shipping_state: 'DC', shipping_postal_code: '20003' },
      { transaction_id: 'trx-pl-3', transaction_date: '2023-10-25', email: 'michael.johnson@gmail.com', ...online, offer_number: null, discount_percentage: 0, units: 9, unit_price: '499.99', total_paid_price: '4499.91', is_online: true, shipping_street: '841 Whittier Hill Road', shipping_city: null, shipping_state: 'VT', shipping_postal_code: '05647' },
      // 10 × 149.99 × 75 % = 1124.925 → 1124.93 (half-up); agent 9 and branch 2 are in no snapshot: kept by id, NULL keys
      { transaction_id: 'trx-pl-4', transaction_date: '2023-05-28', email: 'olivia.brown@outlook.com', sales_agent_id: '9', agent_known: false, branch_id: '2', branch_known: false, offer_number: 5, discount_percentage: 25, units: 10, unit_price: '149.99', total_paid_price: '1124.93', is_online: false, ...offline },
      // 3 × 49.99 × 90 % = 134.973 → 134.97
      { transaction_id: 'trx-pl-5', transaction_date: '2023-01-05', email: 'ava.miller@gmail.com', sales_agent_id: '1', agent_known: true, branch_id: '1', branch_known: true, offer_number: 2, discount_percentage: 10, units: 3, unit_price: '49.99', total_paid_price: '134.97', is_online: false, ...offline },
    ]);
  }, minutes(10));

  it('reads a CRLF file with a BOM and reordered columns as the same rows as the plain one: all replays', async () => {
    const content = rowsFixture('crlf-bom-reordered.csv');
    expect(content.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(content.toString('utf8')).toContain('\r\n');
    const before = await w.snapshot();
    await commitBatch(w.hdfs, w.config.hdfs.root, hourOf(3), [{ fileName: 'sales_transactions_SS_raw_31.csv', content }]);
    const summary = await w.processBatch(hourOf(3));
    expect(summary).toMatchObject({
      rowsRead: { sales_transactions: 5 },
      rowsLoaded: { sales_transactions_fact: 0, customer_dim: 0, product_dim: 0, sales_agent_dim: 0, branch_dim: 0 },
      rowsRejected: {},
      replayed: 5,
      changed: 0,
    });
    expect(await w.snapshot()).toEqual(before);
  }, minutes(10));
});

describe('an interrupted processBatch', () => {
  const clean = testWarehouse(isolatedConfig('process_clean'));
  const crashed = testWarehouse(isolatedConfig('process_crash'));
  const plain = rowsFixture('plain.csv').toString('utf8');
  // The second hour: group 4's snapshots (agent hire dates change, a branch and an agent appear),
  // trx-pl-4 again with another date and unit count, and a new sale.
  const secondTransactions = plain
    .split('\n')
    .filter((line) => line.startsWith('transaction_date') || line.includes(',trx-pl-4,'))
    .map((line) => line.replace('2023-5-28,trx-pl-4', '2023-7-1,trx-pl-4').replace(',10,149.99,', ',2,149.99,'))
    .concat(['2023-7-2,trx-pl-6,85106,Noah,Davis,noah.davis@gmail.com|,11,6,24,Blender,Appliances,,,,True,,1,49.99,no,Cash', ''])
    .join('\n');
  const hours = [hourOf(1), hourOf(2)];
  const drop = (hour: string): DropFile[] =>
    hour === hours[0]
      ? [...realGroup(1).filter((file) => !file.fileName.startsWith('sales_transactions')), { fileName: 'sales_transactions_SS_raw_1.csv', content: Buffer.from(plain) }]
      : [...realGroup(4).filter((file) => !file.fileName.startsWith('sales_transactions')), { fileName: 'sales_transactions_SS_raw_4.csv', content: Buffer.from(secondTransactions) }];

  beforeAll(async () => {
    await Promise.all([clean.open(), crashed.open()]);
    for (const w of [clean, crashed]) for (const hour of hours) await commitBatch(w.hdfs, w.config.hdfs.root, hour, drop(hour));
  }, minutes(5));

  afterAll(async () => {
    await Promise.all([clean.close(), crashed.close()]);
  }, minutes(5));

  it('converges, after being stopped at several steps, to the tables and summary of a clean run', async () => {
    const cleanSummaries = [];
    for (const hour of hours) cleanSummaries.push(await clean.processBatch(hour));
    expect(cleanSummaries[1]).toMatchObject({ changed: 1, rowsLoaded: { sales_transactions_fact: 2, sales_agent_dim: 11, branch_dim: 1 } });

    await crashed.processBatch(hours[0]!);
    for (const step of ['customer_dim', 'fact_plan', 'fact'] as const) await processBatchSteps(crashed.deps, hours[1]!, step);
    const crashedSummary = await crashed.processBatch(hours[1]!);

    expect(crashedSummary).toEqual(cleanSummaries[1]);
    const [cleanTables, crashedTables] = [await clean.snapshot(), await crashed.snapshot()];
    for (const table of tables) expect({ table, rows: crashedTables[table] }).toEqual({ table, rows: cleanTables[table] });
  }, minutes(20));
});
