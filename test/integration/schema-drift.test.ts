import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../lib/config';
import { streamMaintenanceActivities } from '../../activities/stream-maintenance';
import { executeJob } from '../../lib/jobs';
import { appEventsTableDir } from '../../lib/pure/stream';
import { sqlIdentifier } from '../../lib/pure/sql';
import { appEventsSql } from '../../lib/pure/schemas';
import { isolatedEnv } from '../helpers/isolated';
import { commitBatch } from '../helpers/raw-batch';
import { testWarehouse } from '../helpers/warehouse';

// `qpipe schema drift` on the real stack: the manifests of committed batches on HDFS (their header
// columns) and app_events rows with keys in `extra`, both written here, so every figure is counted
// from what the test wrote.

const env = isolatedEnv('drift');
const config = loadConfig(env);
const w = testWarehouse(config);
const qpipe = (...args: string[]) => promisify(execFile)(path.resolve(__dirname, '../../bin/qpipe'), args, { env });

describe('qpipe schema drift', () => {
  beforeAll(async () => {
    await w.open();
  });

  afterAll(async () => {
    await w.close();
  }, 120_000);

  it('lists the CSV columns and event fields beyond the contracts, with counts and first and last seen', async () => {
    expect(JSON.parse((await qpipe('schema', 'drift', '--format', 'json')).stdout)).toEqual([]);

    const sales = (extra: string) =>
      Buffer.from(
        `transaction_date,transaction_id,customer_id,customer_fname,cusomter_lname,cusomter_email,sales_agent_id,branch_id,product_id,product_name,product_category,offer_1,offer_2,offer_3,offer_4,offer_5,units,unit_price,is_online,payment_method,shipping_address${extra}\n`,
      );
    const branches = Buffer.from('branch_id,location,establish_date,class,manager\n1,New York,2017-01-15,A,Ann\n');
    await commitBatch(w.hdfs, config.hdfs.root, '2026-02-01T01', [{ fileName: 'sales_transactions_SS_raw_1.csv', content: sales(',coupon_code') }, { fileName: 'branches_SS_raw_1.csv', content: branches }]);
    await commitBatch(w.hdfs, config.hdfs.root, '2026-02-01T02', [{ fileName: 'sales_transactions_SS_raw_2.csv', content: sales(',coupon_code,channel') }]);
    await commitBatch(w.hdfs, config.hdfs.root, '2026-02-01T03', [{ fileName: 'sales_transactions_SS_raw_3.csv', content: sales('') }]);

    const database = sqlIdentifier(config.hive.database);
    await executeJob(w.hive, 'app_events_ddl', { database, location: appEventsTableDir(config.hdfs.root), columns: appEventsSql().definitions });
    const event = (ts: string, extra: string | null) =>
      `('purchase', '1', '2', TIMESTAMP'${ts}', NULL, NULL, 1, 2.00, NULL, NULL, NULL, ${extra === null ? 'NULL' : `'${extra}'`}, 'app_logs', 0, ${Date.parse(`${ts}Z`) / 1000}, TIMESTAMP'${ts}', 1)`;
    await w.hive.execute(
      `INSERT INTO ${config.hive.database}.app_events PARTITION (event_date = '2026-02-01', event_hour = 7) VALUES ` +
        [event('2026-02-01 07:10:00', '{"coupon":"X","metadata.campaign":"y"}'), event('2026-02-01 07:20:00', '{"coupon":"Z"}'), event('2026-02-01 07:30:00', '{"quantity":"three"}'), event('2026-02-01 07:40:00', null)].join(', '),
    );

    expect(JSON.parse((await qpipe('schema', 'drift', '--format', 'json')).stdout)).toEqual([
      { source: 'csv/branches', field: 'manager', note: 'a column the contract does not list', seen: 1, first_seen: '2026-02-01T01', last_seen: '2026-02-01T01' },
      { source: 'csv/sales_transactions', field: 'channel', note: 'a column the contract does not list', seen: 1, first_seen: '2026-02-01T02', last_seen: '2026-02-01T02' },
      { source: 'csv/sales_transactions', field: 'coupon_code', note: 'a column the contract does not list', seen: 2, first_seen: '2026-02-01T01', last_seen: '2026-02-01T02' },
      { source: 'app_events', field: 'coupon', note: 'a field the contract does not list', seen: 2, first_seen: '2026-02-01 07:10:00', last_seen: '2026-02-01 07:20:00' },
      { source: 'app_events', field: 'metadata.campaign', note: 'a field the contract does not list', seen: 1, first_seen: '2026-02-01 07:10:00', last_seen: '2026-02-01 07:10:00' },
      { source: 'app_events', field: 'quantity', note: 'listed, seen with another type', seen: 1, first_seen: '2026-02-01 07:30:00', last_seen: '2026-02-01 07:30:00' },
    ]);
  }, 300_000);
});

describe('app_events created before rows recorded their contract version', () => {
  const old = testWarehouse(loadConfig(isolatedEnv('drift_old')));

  beforeAll(async () => {
    await old.open();
  });

  afterAll(async () => {
    await old.close();
  }, 120_000);

  it('gets the contract\'s columns it lacks (schema_version, algorithm) from the next maintenance; its rows read NULL there', async () => {
    const table = `${old.db}.app_events`;
    await old.hive.execute(`CREATE DATABASE IF NOT EXISTS ${old.db}`);
    await old.hive.execute(
      `CREATE TABLE ${table} (event_type STRING, customer_id STRING, product_id STRING, event_ts TIMESTAMP, category STRING, source STRING, quantity INT, total_amount DECIMAL(10,2), ` +
        `payment_method STRING, recommended_product_id STRING, extra STRING, kafka_topic STRING, kafka_partition INT, kafka_offset BIGINT, ingested_at TIMESTAMP, event_date DATE, event_hour INT) ` +
        `USING parquet PARTITIONED BY (event_date, event_hour) LOCATION '${appEventsTableDir(old.config.hdfs.root)}'`,
    );
    await old.hive.execute(`INSERT INTO ${table} PARTITION (event_date = '2026-02-01', event_hour = 7) VALUES ('purchase', '1', '2', TIMESTAMP'2026-02-01 07:10:00', NULL, NULL, 1, 2.00, NULL, NULL, NULL, 'app_logs', 0, 1, TIMESTAMP'2026-02-01 07:10:01')`);
    const columns = async () => (await old.query(`DESCRIBE TABLE ${table}`)).map((row) => String(row.col_name));
    expect(await columns()).not.toContain('schema_version');
    expect(await columns()).not.toContain('algorithm');
    // The full repair checks the table first (and, no version being on disk, drops the hand-made partition).
    await streamMaintenanceActivities(old.deps).repairStreamPartitions();
    // added at the end, in the contract's order
    expect((await columns()).slice(0, 17)).toEqual([
      'event_type', 'customer_id', 'product_id', 'event_ts', 'category', 'source', 'quantity', 'total_amount', 'payment_method',
      'recommended_product_id', 'extra', 'kafka_topic', 'kafka_partition', 'kafka_offset', 'ingested_at', 'algorithm', 'schema_version',
    ]);
  }, 300_000);
});
