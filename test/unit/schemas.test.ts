import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { requiredColumns } from '../../lib/pure/batch';
import { mappedEventFields, parseEvent } from '../../lib/pure/events';
import { csvColumnSqlType, csvColumns, csvSchema, typedCells } from '../../lib/pure/csv-schema';
import { renderSql } from '../../lib/pure/sql';
import { appEventsColumns, appEventsContract, appEventsSchemaVersion, appEventsSql, backwardProblems, csvContracts, type JsonSchema } from '../../lib/pure/schemas';
import { checkSchemas } from '../../lib/schema-registry';

const schemasDir = path.resolve(__dirname, '../../schemas');
const draft = 'https://json-schema.org/draft/2020-12/schema';
const object = (properties: Record<string, JsonSchema>, required: string[] = [], extra: Partial<JsonSchema> = {}): JsonSchema => ({ $schema: draft, type: 'object', properties, required, ...extra });

describe('schema contracts (schemas/)', () => {
  it('give the header check its required columns, as specs/raw-files.md names them (typos included)', () => {
    expect(requiredColumns).toEqual({
      branches: ['branch_id', 'location', 'establish_date', 'class'],
      sales_agents: ['sales_person_id', 'name', 'hire_date'],
      sales_transactions: [
        'transaction_date', 'transaction_id', 'customer_id', 'customer_fname', 'cusomter_lname', 'cusomter_email',
        'sales_agent_id', 'branch_id', 'product_id', 'product_name', 'product_category',
        'offer_1', 'offer_2', 'offer_3', 'offer_4', 'offer_5', 'units', 'unit_price', 'is_online', 'payment_method', 'shipping_address',
      ],
    });
  });

  it('give the event validation its known fields: the contract lists exactly the fields parseEvent maps to columns', () => {
    expect(Object.keys(appEventsContract.properties ?? {}).sort()).toEqual([...mappedEventFields].sort());
    expect(Object.keys(appEventsContract.properties?.metadata?.properties ?? {}).sort()).toEqual(['category', 'source']);
    expect(appEventsContract.required).toEqual(['eventType', 'timestamp']);
  });

  it('are read by the code at their newest version', () => {
    const newest = (subject: string) => {
      const { versions } = checkSchemas(schemasDir).find((candidate) => candidate.subject === subject)!;
      return (JSON.parse(readFileSync(path.join(schemasDir, subject, `v${versions[versions.length - 1]}.json`), 'utf8')) as JsonSchema).$id;
    };
    expect(appEventsContract.$id).toBe(newest('app_events'));
    expect(appEventsContract.$id).toMatch(new RegExp(`/v${appEventsSchemaVersion}\\.json$`));
    for (const family of Object.keys(csvContracts) as (keyof typeof csvContracts)[]) expect(csvContracts[family].$id).toBe(newest(`csv/${family}`));
  });

  it('ship versions that pass qpipe schema check', () => {
    const subjects = checkSchemas(schemasDir);
    expect(subjects.map((subject) => subject.subject)).toEqual(['app_events', 'csv/branches', 'csv/sales_agents', 'csv/sales_transactions']);
    expect(subjects.flatMap((subject) => subject.problems)).toEqual([]);
  });
});

describe('column types from the contracts', () => {
  /** A stage table's column types as jobs/ddl.sql creates them. */
  const stageTableTypes = (table: string): Record<string, string> => {
    const ddl = readFileSync(path.resolve(__dirname, '../../jobs/ddl.sql'), 'utf8');
    const body = new RegExp(`CREATE TABLE IF NOT EXISTS :database\\.${table} \\(([^;]*?)\\)\\s*USING`).exec(ddl)![1]!;
    return Object.fromEntries(body.split(',\n').map((line) => line.trim().split(/\s+/) as [string, string]));
  };

  it('type each stage column as the stage table stores it (every typed contract column is in its stage table)', () => {
    const tables = { branches: '_stage_branches', sales_agents: '_stage_sales_agents', sales_transactions: '_stage_transactions' } as const;
    for (const family of Object.keys(tables) as (keyof typeof tables)[]) {
      const stored = stageTableTypes(tables[family]);
      for (const column of csvColumns(csvContracts[family])) {
        // flags and the raw email and address are read by the stage SQL, not stored
        if (column.type === 'flag' || !(column.name in stored)) continue;
        expect([family, column.name, csvColumnSqlType(column)]).toEqual([family, column.name, stored[column.name]]);
      }
    }
    expect(csvColumns(csvContracts.sales_transactions).filter((column) => column.type !== 'string').map((column) => `${column.name} ${csvColumnSqlType(column)}`)).toEqual([
      'transaction_date DATE', 'offer_1 BOOLEAN', 'offer_2 BOOLEAN', 'offer_3 BOOLEAN', 'offer_4 BOOLEAN', 'offer_5 BOOLEAN', 'units INT', 'unit_price DECIMAL(10,2)', 'is_online BOOLEAN',
    ]);
  });

  it('generate the stage SQL\'s typed cells: by source name, as the stage name, an optional column a file lacks as a typed NULL', () => {
    const contract = object(
      { id: { type: 'string', 'x-qpipe-type': 'string', 'x-qpipe-column': 'item_id' }, day: { type: 'string', 'x-qpipe-type': 'date' }, price: { type: 'string', 'x-qpipe-type': 'decimal(8,3)' }, note: { type: 'string' } },
      ['id', 'day'],
    );
    const cell = (name: string) => `nullif(trim(BOTH ' \\t' FROM r.${name}), '')`;
    expect(renderSql('SELECT :cells FROM t', { cells: typedCells('branches', ['day', 'id', 'extra'], contract) })).toBe(
      `SELECT ${cell('id')} AS item_id,\n    CASE WHEN ${cell('day')} RLIKE '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$' THEN CAST(try_to_timestamp(${cell('day')}, 'yyyy-M-d') AS DATE) END AS day,\n    CAST(NULL AS DECIMAL(8,3)) AS price,\n    CAST(NULL AS STRING) AS note FROM t`,
    );
    // an optional column is named in from_csv's schema when the file has it
    expect(csvSchema('branches', ['note', 'id', 'day', 'extra'], contract)).toBe('`note` STRING, `id` STRING, `day` STRING, `_unused_3` STRING');
  });

  it('refuse an unknown type and a column name that is not an identifier', () => {
    expect(() => csvColumns(object({ id: { type: 'string', 'x-qpipe-type': 'money' } }))).toThrow('unknown x-qpipe-type "money" (known: string, date, integer, yes/no, flag, decimal(p,s))');
    expect(() => csvColumns(object({ id: { type: 'string', 'x-qpipe-column': 'a b' } }))).toThrow('contract column "id" (as "a b") is not a plain identifier');
    expect(() => appEventsColumns(object({ eventType: { type: 'string', 'x-qpipe-column': 'event_type', 'x-qpipe-type': 'varchar' } }))).toThrow('event field eventType: x-qpipe-type "varchar" is not one of string, timestamp, integer, bigint, decimal(p,s)');
    expect(() => appEventsColumns(object({ eventType: { type: 'string' } }))).toThrow('event field eventType: x-qpipe-column undefined is not a column name');
    expect(() => appEventsColumns(object({ a: { type: 'string', 'x-qpipe-column': 'extra', 'x-qpipe-type': 'string' } }))).toThrow('app_events column extra is named twice');
  });

  it('give app_events its columns as specs/events.md types them, in the order of the rows the stream worker writes', () => {
    const columns = appEventsColumns();
    expect(columns.map(({ name, type }) => `${name} ${type}`)).toEqual([
      'event_type STRING', 'customer_id STRING', 'product_id STRING', 'event_ts TIMESTAMP', 'category STRING', 'source STRING', 'quantity INT', 'total_amount DECIMAL(10,2)',
      'payment_method STRING', 'recommended_product_id STRING', 'algorithm STRING', 'extra STRING', 'kafka_topic STRING', 'kafka_partition INT', 'kafka_offset BIGINT',
      'ingested_at TIMESTAMP', 'schema_version INT',
    ]);
    const parsed = parseEvent('{"eventType":"purchase","timestamp":"2026-01-01T10:00:00"}', { topic: 't', partition: 0, offset: '1' }, 0);
    expect(parsed.ok && Object.keys(parsed.row)).toEqual(columns.map((column) => column.name));
    const sql = appEventsSql(columns.filter((column) => ['event_ts', 'quantity', 'kafka_offset'].includes(column.name)));
    expect(renderSql('CREATE (:definitions) (:live_columns) SELECT :typed_columns, :columns', { ...sql })).toBe('CREATE (event_ts TIMESTAMP,\n  quantity INT,\n  kafka_offset BIGINT) (event_ts STRING,\n  quantity INT,\n  kafka_offset STRING) SELECT CAST(event_ts AS TIMESTAMP) AS event_ts,\n    quantity,\n    CAST(kafka_offset AS BIGINT) AS kafka_offset, event_ts, quantity, kafka_offset');
  });
});

describe('BACKWARD compatibility (Confluent\'s rules)', () => {
  const v1 = object({ eventType: { type: 'string' }, quantity: { type: 'integer' }, metadata: object({ source: { type: 'string' } }, ['source']) }, ['eventType']);

  it('takes an added optional field and a widened type', () => {
    expect(backwardProblems(v1, object({ ...v1.properties, coupon: { type: 'string' }, quantity: { type: ['number', 'string'] } }, ['eventType']))).toEqual([]);
  });

  it('refuses a required field removed, a field retyped or narrowed, a field newly required, a nested change and a closed object', () => {
    expect(backwardProblems(v1, object({ quantity: { type: 'integer' }, metadata: v1.properties!.metadata! }, []))).toEqual([{ path: 'eventType', problem: 'a required field removed' }]);
    expect(backwardProblems(v1, object({ ...v1.properties, quantity: { type: 'string' } }, ['eventType']))).toEqual([{ path: 'quantity', problem: 'retyped from integer to string' }]);
    expect(backwardProblems(object({ amount: { type: 'number' } }), object({ amount: { type: 'integer' } }))).toEqual([{ path: 'amount', problem: 'retyped from number to integer' }]);
    expect(backwardProblems(v1, object({ ...v1.properties, coupon: { type: 'string' } }, ['eventType', 'coupon']))).toEqual([{ path: 'coupon', problem: 'newly required: data of the version before may lack it' }]);
    expect(backwardProblems(v1, object({ ...v1.properties, metadata: object({ source: { type: 'integer' } }, ['source']) }, ['eventType']))).toEqual([{ path: 'metadata.source', problem: 'retyped from string to integer' }]);
    expect(backwardProblems(v1, object(v1.properties!, ['eventType'], { additionalProperties: false }))).toEqual([{ path: '(top)', problem: 'closed to fields it did not list (additionalProperties: false)' }]);
    expect(backwardProblems(object({ d: { type: 'string', 'x-qpipe-type': 'date' } }), object({ d: { type: 'string', 'x-qpipe-type': 'integer' } }))).toEqual([{ path: 'd', problem: 'x-qpipe-type changed from date to integer' }]);
  });

  it('fails qpipe schema check on a version that removes a required field, naming it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'qpipe-schemas-'));
    mkdirSync(path.join(dir, 'app_events'));
    writeFileSync(path.join(dir, 'app_events', 'v1.json'), JSON.stringify(v1));
    writeFileSync(path.join(dir, 'app_events', 'v2.json'), JSON.stringify(object({ ...v1.properties, coupon: { type: 'string' } }, ['eventType'])));
    writeFileSync(path.join(dir, 'app_events', 'v3.json'), JSON.stringify(object({ quantity: { type: 'integer' }, coupon: { type: 'string' } })));
    const failure = await promisify(execFile)(path.resolve(__dirname, '../../bin/qpipe'), ['schema', 'check', '--dir', dir]).catch((error: unknown) => error as { code: number; stdout: string; stderr: string });
    expect(failure).toMatchObject({ code: 1 });
    const { stdout, stderr } = failure as { stdout: string; stderr: string };
    expect(stdout).toBe('app_events: v3\n  v3 against v2: eventType: a required field removed\n');
    expect(stderr).toBe(`qpipe: 1 BACKWARD compatibility problem in ${dir}\n`);
  }, 60_000);
});
