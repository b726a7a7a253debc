import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadChecks } from '../../lib/dq-checks';
import { CheckFileError, evaluate, holds, measureSql, median, parseCheckFile, sampleSql, type Check, type Measures } from '../../lib/pure/dq';

const shipped = loadChecks(path.resolve(__dirname, '../../checks'));
const shippedCheck = (table: string, name: string): Check => {
  const check = shipped.find((candidate) => candidate.table === table && candidate.name === name);
  if (!check) throw new Error(`no shipped check ${table}.${name}`);
  return check;
};
const measures = (rows: number, extra: Partial<Measures> = {}): Measures => ({ rows, linesRead: rows, linesRejected: 0, failing: {}, ...extra });

describe('check files', () => {
  it('ships the defaults the issue names, each valid', () => {
    expect(shippedCheck('sales_transactions_fact', 'reject_rate')).toMatchObject({ type: 'reject_rate', severity: 'fail', max: 0.5 });
    expect(shippedCheck('sales_transactions_fact', 'row_count_change')).toMatchObject({ severity: 'warn', minRatio: 0.2, maxRatio: 5 });
    expect(shippedCheck('sales_transactions_fact', 'total_paid_price_rule')).toMatchObject({ type: 'sql', severity: 'warn' });
    expect(shippedCheck('sales_transactions_fact', 'agent_in_dimension')).toMatchObject({ type: 'relationships', to: 'sales_agent_dim', severity: 'warn' });
    expect(shippedCheck('sales_transactions_fact', 'branch_in_dimension')).toMatchObject({ type: 'relationships', to: 'branch_dim', severity: 'warn' });
  });

  it('refuses a check file with a clear reason naming the file, the check and the key', () => {
    const file = 'checks/sales_transactions_fact.yml';
    const parse = (checks: unknown[], table = 'sales_transactions_fact') => () => parseCheckFile(file, { table, checks });
    expect(parse([], 'orders')).toThrow(/checks\/sales_transactions_fact.yml: table must be one of/);
    expect(parse([{ name: 'x', type: 'not_null', severity: 'warn', column: 'nope' }])).toThrow(/check "x": column must be a column of sales_transactions_fact/);
    expect(parse([{ name: 'x', type: 'not_null', severity: 'block', column: 'units' }])).toThrow(/check "x": severity must be warn or fail/);
    expect(parse([{ name: 'x', type: 'not_null', severity: 'warn', column: 'units', max: 3 }])).toThrow(/unknown key max for type not_null/);
    expect(parse([{ name: 'x', type: 'reject_rate', severity: 'fail', max: 1.5 }])).toThrow(/reject_rate needs max, a rate from 0 to 1/);
    expect(parse([{ name: 'x', type: 'sql', severity: 'warn', query: 'SELECT 1' }])).toThrow(/query must be a SELECT over \{\{rows\}\}/);
    expect(parse([{ name: 'x', type: 'relationships', severity: 'warn', column: 'branch_id', to: 'branch_dim', field: 'location_id' }])).toThrow(/field must be a column of branch_dim/);
    expect(parse([{ name: 'a', type: 'row_count', severity: 'warn', min: 1 }, { name: 'a', type: 'row_count', severity: 'warn', min: 1 }])).toThrow(/used twice/);
    expect(parse([{ name: 'Bad Name', type: 'row_count', severity: 'warn', min: 1 }])).toThrow(CheckFileError);
    expect(parse([{ name: 'x', type: 'sql', severity: 'warn', query: 'SELECT * FROM {{rows}} WHERE units > :min' }])).toThrow(/must not hold `:name` placeholders/);
    expect(parse([{ name: 'x', type: 'dead_letter_rate', severity: 'warn', max: 0.1 }])).toThrow(/type dead_letter_rate is for app_events only/);
    expect(parse([{ name: 'x', type: 'row_count_change', severity: 'warn', min_ratio: 0.5, last: 101 }])).toThrow(/last must be at most 100/);
  });

  it('refuses a file named after another table, and one that is not YAML', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'qpipe-checks-'));
    writeFileSync(path.join(dir, 'branch_dim.yml'), 'table: sales_agent_dim\nchecks: []\n');
    expect(() => loadChecks(dir)).toThrow(/declares table sales_agent_dim; a table's checks live in sales_agent_dim.yml/);
    writeFileSync(path.join(dir, 'branch_dim.yml'), 'table: [unclosed\n');
    expect(() => loadChecks(dir)).toThrow(/branch_dim.yml: not YAML/);
  });
});

describe('verdicts', () => {
  it('reject_rate: fails above its max, passes at it', () => {
    const check = shippedCheck('sales_transactions_fact', 'reject_rate');
    expect(evaluate(check, 'B', measures(30, { linesRead: 100, linesRejected: 70 }), null)).toMatchObject({ status: 'fail', observed: 0.7, failing_rows: 70 });
    expect(evaluate(check, 'B', measures(50, { linesRead: 100, linesRejected: 50 }), null)).toMatchObject({ status: 'pass', observed: 0.5 });
    expect(evaluate(check, 'B', measures(0, { linesRead: 0 }), null)).toMatchObject({ status: 'pass', observed: 0 });
    expect(holds(evaluate(check, 'B', measures(30, { linesRead: 100, linesRejected: 70 }), null))).toBe(true);
  });

  it('row_count_change: warns below 0.2 × and above 5 × the median of the last batches, and needs its history', () => {
    const check = shippedCheck('sales_transactions_fact', 'row_count_change');
    const history = [1400, 1500, 1600, 1000, 2000].map((rows, index) => ({ batch_id: `H${index}`, rows_checked: rows }));
    expect(evaluate(check, 'B', measures(150), null, history)).toMatchObject({ status: 'warn', observed: 0.1, message: 'median 1500 rows over 5 batches' });
    expect(evaluate(check, 'B', measures(7600), null, history)).toMatchObject({ status: 'warn' });
    expect(evaluate(check, 'B', measures(1450), null, history)).toMatchObject({ status: 'pass' });
    expect(evaluate(check, 'B', measures(10), null, history.slice(0, 2))).toMatchObject({ status: 'pass', observed: null, message: '2 earlier batches, 3 needed' });
    expect(holds(evaluate(check, 'B', measures(150), null, history))).toBe(false);
    // Hours without a drop (every file a duplicate) have no rows: they are no measure of a drop's size.
    const withEmpty = [0, 0, 0, 1400, 1500, 1600].map((rows, index) => ({ batch_id: `H${index}`, rows_checked: rows }));
    expect(evaluate(check, 'B', measures(450), null, withEmpty)).toMatchObject({ status: 'pass', observed: 0.3, message: 'median 1500 rows over 3 batches' });
  });

  it('row checks: a failing row over max_failing (default 0), or a share over max_rate, takes the severity', () => {
    const email = shippedCheck('customer_dim', 'email_valid');
    expect(evaluate(email, 'B', measures(100), 5)).toMatchObject({ status: 'pass', observed: 0.05 });
    expect(evaluate(email, 'B', measures(100), 6)).toMatchObject({ status: 'warn', observed: 0.06, failing_rows: 6 });
    const unique = shippedCheck('sales_transactions_fact', 'transaction_id_unique');
    expect(evaluate(unique, 'B', measures(100), 0)).toMatchObject({ status: 'pass', observed: 0 });
    expect(evaluate(unique, 'B', measures(100), 2)).toMatchObject({ status: 'warn', observed: 2, threshold: 'failing rows ≤ 0' });
  });

  it('freshness: the newest value older than max_age_hours before the hour\'s end', () => {
    const [check] = parseCheckFile('f.yml', { table: 'sales_transactions_fact', checks: [{ name: 'fresh', type: 'freshness', severity: 'fail', column: 'transaction_date', max_age_hours: 48 }] });
    expect(evaluate(check!, 'B', measures(10), 47.5)).toMatchObject({ status: 'pass' });
    expect(evaluate(check!, 'B', measures(10), 49)).toMatchObject({ status: 'fail', observed: 49 });
    expect(evaluate(check!, 'B', measures(0), null)).toMatchObject({ status: 'pass', message: 'no rows' });
  });

  it('dead_letter_rate: the hour\'s letters over its records, above max takes the severity', () => {
    const [check] = parseCheckFile('a.yml', { table: 'app_events', checks: [{ name: 'dlq', type: 'dead_letter_rate', severity: 'warn', max: 0.01 }] });
    expect(evaluate(check!, 'stream:H', measures(990, { deadLetters: { letters: 10, records: 1000 } }), null)).toMatchObject({ status: 'pass', observed: 0.01, failing_rows: 10 });
    expect(evaluate(check!, 'stream:H', measures(989, { deadLetters: { letters: 11, records: 1000 } }), null)).toMatchObject({ status: 'warn', observed: 0.011, message: '11 dead letters of 1000 records in the hour' });
    expect(evaluate(check!, 'stream:H', measures(0), null)).toMatchObject({ status: 'pass', observed: 0 });
  });

  it('takes the median of an odd and an even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('audit SQL', () => {
  it('measures all of a table\'s checks in one statement, with a join per relationship and a window per unique check', () => {
    const checks = shipped.filter((check) => check.table === 'sales_transactions_fact' && check.type !== 'sql');
    const sql = measureSql('sales_transactions_fact', checks, '2026-01-01T01', '2026-01-01 02:00:00');
    expect(sql.startsWith('WITH lines AS (')).toBe(true);
    expect(sql.match(/\nSELECT count\(\*\) AS rows/g)).toHaveLength(1);
    expect(sql).toContain('LEFT JOIN ref_');
    expect(sql).toContain('count(*) OVER (PARTITION BY rows.`transaction_id`)');
    expect(sql).toContain(":database._stage_transactions WHERE batch_id = '2026-01-01T01'");
    const sample = sampleSql('sales_transactions_fact', checks, '2026-01-01T01', [0, 5], 20);
    expect(sample.match(/LIMIT 20/g)).toHaveLength(2);
  });
});
