import { copyFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { ActivityDeps } from '../../activities/deps';
import { processActivities, type ProcessSummary } from '../../activities/process';
import { warehouseActivities } from '../../activities/warehouse';
import type { Config } from '../../lib/config';
import { HdfsClient } from '../../lib/hdfs-client';
import { HiveClient, type Row } from '../../lib/hive-client';
import { silentLogger } from '../../lib/log';
import { deltaTables } from '../../lib/pure/delta';
import { realDataDir } from './isolated';
import type { DropFile } from './raw-batch';

/** The independently computed figures of the real groups 1-5 (test/fixtures/expected), the fields the batch tests read. */
export interface GroupsFixture {
  fact_rows: number;
  total_units: number;
  total_revenue: string;
  most_selling_products: { product_id: number; product_name: string; total_units_sold: number; total_revenue: string }[];
  agent_versions_count: number;
  branch_versions_count: number;
  customer_versions_count: number;
  current_customers_count: number;
  branches_scd2: Record<string, { location: string; establish_date: string; class: string; valid_from_group: number; valid_to_group: number | null }[]>;
  daily_sales_by_date: Record<string, { rows: { sales_agent_name: string; product_name: string; total_sold_units: number }[] }>;
}

export const groupsFixture = JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'expected', 'q-company-groups-1-5.json'), 'utf8')) as GroupsFixture;

/** The files of a real case-study group, as a drop. */
export function realGroup(group: number): DropFile[] {
  const dir = path.join(realDataDir, `group${group}`);
  return readdirSync(dir).map((fileName) => ({ fileName, content: readFileSync(path.join(dir, fileName)) }));
}

/** Copies a real group's files into a landing dir, as the source system drops them. */
export function landRealGroup(landingDir: string, group: number): void {
  mkdirSync(landingDir, { recursive: true });
  const dir = path.join(realDataDir, `group${group}`);
  for (const file of readdirSync(dir)) copyFileSync(path.join(dir, file), path.join(landingDir, file));
}

/** A test database of its own: the process and warehouse activities bound to it, a query helper, a full snapshot. */
export function testWarehouse(config: Config) {
  const hdfs = new HdfsClient(config.hdfs, silentLogger);
  const hive = new HiveClient(config.hive, silentLogger);
  const deps: ActivityDeps = { config, hdfs, hive, log: silentLogger };
  const db = config.hive.database;
  const processing = processActivities(deps);
  return {
    config,
    hdfs,
    hive,
    deps,
    db,
    ...processing,
    /** processBatch's outcome, held or published. */
    processOutcome: processing.processBatch,
    /** processBatch of a batch expected to be published: a held batch fails the test with its checks. */
    async processBatch(batchId: string): Promise<ProcessSummary> {
      const outcome = await processing.processBatch(batchId);
      if (outcome.outcome === 'held') throw new Error(`batch ${batchId} was held by its audit: ${JSON.stringify(outcome.holding)}`);
      return outcome;
    },
    ...warehouseActivities(deps),
    query: async (sql: string): Promise<Row[]> => (await hive.query(sql)).rows,
    /** Every row of the tables (default: every Delta table), sorted: two equal snapshots mean identical table contents. */
    async snapshot(tables: readonly string[] = deltaTables): Promise<Record<string, string[]>> {
      const out: Record<string, string[]> = {};
      for (const table of tables) out[table] = (await hive.query(`SELECT * FROM ${db}.${table}`)).rows.map((row) => JSON.stringify(row)).sort();
      return out;
    },
    async open(): Promise<void> {
      await hive.connect();
    },
    /** Drops the database and the HDFS root, and closes the session. */
    async close(): Promise<void> {
      try {
        await hive.execute(`DROP DATABASE IF EXISTS ${db} CASCADE`);
        await hdfs.delete(config.hdfs.root, { recursive: true });
      } finally {
        await hive.close();
      }
    },
  };
}
