import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { requiredColumns } from '../../lib/pure/batch';
import { mappedEventFields } from '../../lib/pure/events';
import { appEventsContract, appEventsSchemaVersion, backwardProblems, csvContracts, type JsonSchema } from '../../lib/pure/schemas';
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
