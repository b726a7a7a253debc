import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { batchAuditor } from '../../activities/audit';
import { decisionActivities } from '../../activities/decisions';
import { ingestActivities } from '../../activities/ingest';
import { processBatchSteps, type HeldBatch } from '../../activities/process';
import { loadChecks } from '../../lib/dq-checks';
import { batchTables } from '../../lib/pure/dq';
import { isolatedEnv } from '../helpers/isolated';
import { commitBatch, type DropFile } from '../helpers/raw-batch';
import { testWarehouse } from '../helpers/warehouse';
import { loadConfig } from '../../lib/config';

// Write, audit, publish on the real stack (HDFS + Spark Thrift Server): every batch's staged rows
// are checked by checks/*.yml before anything reaches the star tables. The drops are written here,
// line by line, so every expected figure is counted from the lines themselves.

const env = isolatedEnv('dq');
const config = loadConfig(env);
const w = testWarehouse(config);
const minutes = (n: number) => n * 60_000;
const hour = (n: number) => `2026-02-01T${String(n).padStart(2, '0')}`;
const shippedChecks = loadChecks(config.dq.checksDir).filter((check) => check.table !== 'app_events');

const salesHeader =
  'transaction_date,transaction_id,customer_id,customer_fname,cusomter_lname,cusomter_email,sales_agent_id,branch_id,product_id,product_name,product_category,offer_1,offer_2,offer_3,offer_4,offer_5,units,unit_price,is_online,payment_method,shipping_address';

interface Sale {
  readonly id: string;
  readonly date?: string;
  readonly agent?: string;
  readonly branch?: string;
  readonly email?: string;
  readonly payment?: string;
}

/** In-store sales: agent 1 at branch 1 unless told, 2 units at 10.00, offer 2 (10 %). */
function salesFile(sales: readonly Sale[]): Buffer {
  const lines = sales.map(
    (sale, index) =>
      `${sale.date ?? '2026-1-31'},${sale.id},${9000 + index},Ann,Lee,${sale.email ?? `ann.lee${index}@gmail.com`},${sale.agent ?? '1'},${sale.branch ?? '1'},22,Coffee Maker,Appliances,,True,,,,2,10.00,no,${sale.payment ?? 'Cash'},`,
  );
  return Buffer.from([salesHeader, ...lines].join('\n') + '\n');
}
const clean = (tag: string, count: number): Sale[] => Array.from({ length: count }, (_, index) => ({ id: `trx-${tag}-${index}` }));
const branches = (lines = ['1,New York,2017-01-15,A', '2,Chicago,2015-03-10,B']) => Buffer.from(['branch_id,location,establish_date,class', ...lines].join('\n') + '\n');
const agents = (lines = ['1,John Doe,2020-6-3', '2,Jane Smith,2018-5-13']) => Buffer.from(['sales_person_id,name,hire_date', ...lines].join('\n') + '\n');
const drop = (n: number, sales: readonly Sale[], branchLines?: string[], agentLines?: string[]): DropFile[] => [
  { fileName: `branches_SS_raw_${n}.csv`, content: branches(branchLines) },
  { fileName: `sales_agents_SS_raw_${n}.csv`, content: agents(agentLines) },
  { fileName: `sales_transactions_SS_raw_${n}.csv`, content: salesFile(sales) },
];

async function results(batchId: string): Promise<Record<string, { status: string; observed: number | null; failing_rows: number }>> {
  const rows = await w.query(`SELECT table_name, check_name, status, observed, failing_rows FROM ${w.db}.dq_results WHERE batch_id = '${batchId}'`);
  return Object.fromEntries(rows.map((row) => [`${String(row.table_name)}.${String(row.check_name)}`, { status: String(row.status), observed: row.observed as number | null, failing_rows: Number(row.failing_rows) }]));
}
const factRowsOf = async (batchId: string) => Number((await w.query(`SELECT count(*) AS n FROM ${w.db}.sales_transactions_fact WHERE batch_id = '${batchId}'`))[0]!.n);

describe('data-quality checks: write, audit, publish', () => {
  beforeAll(async () => {
    await w.open();
  }, minutes(2));

  afterAll(async () => {
    await w.close();
  }, minutes(5));

  it('passes every shipped check on clean batches, recording one result row per check', async () => {
    for (const n of [1, 2, 3]) {
      await commitBatch(w.hdfs, config.hdfs.root, hour(n), drop(n, clean(`h${n}`, 100)));
      const summary = await w.processBatch(hour(n));
      expect(summary.checks).toEqual({ pass: shippedChecks.length, warn: 0, fail: 0, error: 0 });
    }
    const first = await results(hour(1));
    expect(Object.keys(first).sort()).toEqual(shippedChecks.map((check) => `${check.table}.${check.name}`).sort());
    expect(Object.values(first).every((result) => result.status === 'pass')).toBe(true);
    expect(first['sales_transactions_fact.reject_rate']).toEqual({ status: 'pass', observed: 0, failing_rows: 0 });
  }, minutes(10));

  it('warns on a drop of a tenth of the usual size (row_count_change), and still publishes it', async () => {
    await commitBatch(w.hdfs, config.hdfs.root, hour(4), drop(4, clean('h4', 10)));
    const summary = await w.processBatch(hour(4));
    expect(summary.checks).toMatchObject({ warn: 1, fail: 0 });
    expect((await results(hour(4)))['sales_transactions_fact.row_count_change']).toEqual({ status: 'warn', observed: 0.1, failing_rows: 0 });
    expect(await factRowsOf(hour(4))).toBe(10);
  }, minutes(5));

  it('holds a drop with 70 % broken sales: nothing published, later batches wait, its failed check and rows are queryable', async () => {
    const broken = clean('h5', 100).map((sale, index) => (index < 70 ? { ...sale, date: 'not-a-date' } : sale));
    mkdirSync(config.dirs.landing, { recursive: true });
    for (const file of drop(5, broken)) writeFileSync(path.join(config.dirs.landing, file.fileName), file.content);
    const { ingestLanding } = ingestActivities(w.deps);
    expect(await ingestLanding(hour(5))).toMatchObject({ ingested: 3, duplicate: 0 });
    await commitBatch(w.hdfs, config.hdfs.root, hour(6), drop(6, clean('h6', 100)));

    const outcome = (await w.processOutcome(hour(5))) as HeldBatch;
    expect(outcome.outcome).toBe('held');
    expect(outcome.holding).toEqual([expect.objectContaining({ table_name: 'sales_transactions_fact', check_name: 'reject_rate', status: 'fail', observed: 0.7, failing_rows: 70 })]);
    expect(await factRowsOf(hour(5))).toBe(0);
    expect(Number((await w.query(`SELECT count(*) AS n FROM ${w.db}.rejected_rows WHERE batch_id = '${hour(5)}'`))[0]!.n)).toBe(0);
    // The next run finds it held again (its marker), and the later batch waits behind it.
    expect(await w.processOutcome(hour(5))).toEqual(outcome);
    expect(await w.listPendingBatches()).toEqual([hour(5), hour(6)]);
    await expect(w.processOutcome(hour(6))).rejects.toThrow(/has an older batch still pending \(2026-02-01T05\)/);

    const failed = await w.query(`SELECT line_number, row_id, value FROM ${w.db}.dq_failed_rows WHERE batch_id = '${hour(5)}' AND check_name = 'reject_rate' ORDER BY line_number`);
    expect(failed).toHaveLength(config.dq.sampleRows);
    expect(failed[0]).toEqual({ line_number: 2, row_id: 'trx-h5-0', value: 'BAD_DATE' });

    const { stdout } = await promisify(execFile)(path.resolve(__dirname, '../../bin/qpipe'), ['dq', 'results', '--batch', hour(5), '--format', 'json'], { env });
    const printed = JSON.parse(stdout) as Record<string, unknown>[];
    expect(printed).toHaveLength(shippedChecks.length);
    expect(printed[0]).toMatchObject({ batch_id: hour(5), table: 'sales_transactions_fact', check: 'reject_rate', severity: 'fail', status: 'fail', observed: 0.7, threshold: 'rejected / read ≤ 0.5', failing_rows: 70 });
  }, minutes(10));

  it('discards the held batch: its files turn discarded, the waiting batch loads, and a corrected resend under the same names loads', async () => {
    const { decideBatch } = decisionActivities(w.deps);
    const record = await decideBatch({ batchId: hour(5), decision: 'discard', decidedBy: 'ana', reason: 'source resends a fixed file' });
    expect(record).toMatchObject({ batchId: hour(5), decision: 'discard', decidedBy: 'ana', reason: 'source resends a fixed file' });
    expect(await decideBatch({ batchId: hour(5), decision: 'discard', decidedBy: 'bob', reason: 'again' })).toEqual(record);
    const files = await w.query(`SELECT status FROM ${w.db}.ingested_files WHERE batch_id = '${hour(5)}'`);
    expect(files.map((row) => row.status)).toEqual(['discarded', 'discarded', 'discarded']);
    const decisions = await w.query(`SELECT decision, decided_by, reason FROM ${w.db}.batch_decisions WHERE batch_id = '${hour(5)}' ORDER BY decided_at`);
    expect(decisions.map((row) => [row.decision, row.decided_by])).toEqual([
      ['hold', 'qpipe audit'],
      ['discard', 'ana'],
    ]);
    await expect(w.processOutcome(hour(5))).rejects.toThrow(/was discarded/);
    expect(await w.listPendingBatches()).toEqual([hour(6)]);
    expect((await w.processBatch(hour(6))).rowsLoaded.sales_transactions_fact).toBe(100);

    // The resend: same names, the branches and agents files byte for byte the same, the sales corrected.
    for (const file of drop(5, clean('h5', 100))) writeFileSync(path.join(config.dirs.landing, file.fileName), file.content);
    const { ingestLanding } = ingestActivities(w.deps);
    expect(await ingestLanding(hour(7))).toMatchObject({ ingested: 3, duplicate: 0 });
    const summary = await w.processBatch(hour(7));
    expect(summary.checks).toMatchObject({ fail: 0 });
    expect(await factRowsOf(hour(7))).toBe(100);
  }, minutes(10));

  it('releases a held batch: published anyway, its accepted rows in the fact, the hold and release recorded', async () => {
    const broken = clean('h8', 100).map((sale, index) => (index < 60 ? { ...sale, id: '' } : sale));
    await commitBatch(w.hdfs, config.hdfs.root, hour(8), drop(8, broken));
    expect((await w.processOutcome(hour(8))).outcome).toBe('held');
    const { decideBatch } = decisionActivities(w.deps);
    await expect(decideBatch({ batchId: hour(9), decision: 'release', decidedBy: 'ana', reason: 'x' })).rejects.toThrow(/no committed batch/);
    await decideBatch({ batchId: hour(8), decision: 'release', decidedBy: 'ana', reason: 'the 60 lines are test traffic' });
    await expect(decideBatch({ batchId: hour(8), decision: 'discard', decidedBy: 'bob', reason: 'x' })).rejects.toThrow(/already released/);
    const summary = await w.processBatch(hour(8));
    expect(summary.rowsRejected).toEqual({ MISSING_KEY: 60 });
    expect(summary.checks).toMatchObject({ fail: 1 });
    expect(await factRowsOf(hour(8))).toBe(40);
    const decisions = await w.query(`SELECT decision FROM ${w.db}.batch_decisions WHERE batch_id = '${hour(8)}' ORDER BY decided_at`);
    expect(decisions.map((row) => row.decision)).toEqual(['hold', 'release']);
  }, minutes(10));

  it('breaches every other shipped check on a batch built to (and a stage row tampered for the two derived-value rules)', async () => {
    const sales: Sale[] = [
      { id: 'trx-h9-dup' },
      { id: 'trx-h9-dup' },
      { id: 'trx-h9-agent', agent: '77' },
      { id: 'trx-h9-branch', branch: '88' },
      { id: 'trx-h9-pay', payment: 'Bitcoin' },
      { id: 'trx-h9-mail', email: 'no-at-sign' },
      ...clean('h9', 4),
    ];
    // Branches and agents: a duplicate id, an unknown class, and more than half the lines rejected (bad dates).
    const branchLines = ['1,New York,2017-01-15,A', '1,New York,2017-01-15,Z', '5,Boston,bad,A', '6,Austin,bad,A', '7,Denver,bad,A'];
    const agentLines = ['1,John Doe,2020-6-3', '1,John Doe,2020-6-3', '5,Al,bad', '6,Bo,bad', '7,Cy,bad'];
    await commitBatch(w.hdfs, config.hdfs.root, hour(9), drop(9, sales, branchLines, agentLines));
    await processBatchSteps(w.deps, hour(9), 'stage');
    // A staging bug the two rules exist for: a discount past 25 % and a total that does not follow.
    await w.hive.execute(
      `INSERT INTO ${w.db}._stage_transactions (batch_id, file_seq, source_file, line_number, transaction_id, transaction_date, customer_id, product_id, sales_agent_id, branch_id, offer_number, discount_percentage, units, unit_price, total_paid_price, is_online, payment_method, email) ` +
        `VALUES ('${hour(9)}', 0, 'tampered.csv', 99, 'trx-h9-tampered', DATE'2026-01-31', '1', '22', '1', '1', 6, 30, 2, 10.00, 99.99, FALSE, 'Cash', 'x@y.com')`,
    );
    const { results: verdicts, holding } = await batchAuditor(w.deps)(hour(9), hour(9), batchTables, {});
    const status = Object.fromEntries(verdicts.map((result) => [`${result.table_name}.${result.check_name}`, [result.status, result.failing_rows]]));
    expect(status).toEqual({
      'branch_dim.reject_rate': ['fail', 3],
      'branch_dim.branch_id_unique': ['warn', 2],
      'branch_dim.class_known': ['warn', 1],
      'customer_dim.email_valid': ['warn', 1],
      'sales_agent_dim.reject_rate': ['fail', 3],
      'sales_agent_dim.sales_agent_id_unique': ['warn', 2],
      'sales_transactions_fact.reject_rate': ['pass', 0],
      'sales_transactions_fact.row_count_change': ['warn', 0],
      'sales_transactions_fact.total_paid_price_rule': ['warn', 1],
      'sales_transactions_fact.agent_in_dimension': ['warn', 1],
      'sales_transactions_fact.branch_in_dimension': ['warn', 1],
      'sales_transactions_fact.transaction_id_unique': ['warn', 2],
      'sales_transactions_fact.payment_method_known': ['warn', 1],
      'sales_transactions_fact.discount_range': ['warn', 1],
    });
    expect(holding.map((result) => result.table_name).sort()).toEqual(['branch_dim', 'sales_agent_dim']);
    const failed = await w.query(`SELECT check_name, row_id, value FROM ${w.db}.dq_failed_rows WHERE batch_id = '${hour(9)}' AND table_name = 'sales_transactions_fact' ORDER BY check_name, row_id`);
    expect(failed.filter((row) => row.check_name === 'agent_in_dimension')).toEqual([{ check_name: 'agent_in_dimension', row_id: 'trx-h9-agent', value: '77' }]);
    expect(failed.filter((row) => row.check_name === 'total_paid_price_rule').map((row) => row.row_id)).toEqual(['trx-h9-tampered']);

    // Broken checks: each is an error alone, the table's other checks still measured; a broken fail check holds.
    const checksDir = mkdtempSync(path.join(tmpdir(), 'qpipe-broken-checks-'));
    writeFileSync(
      path.join(checksDir, 'sales_transactions_fact.yml'),
      [
        'table: sales_transactions_fact',
        'checks:',
        '  - { name: flag_range, type: range, severity: warn, column: is_online, min: 0 }',
        '  - { name: rejects, type: reject_rate, severity: fail, max: 0.5 }',
        '  - { name: typo, type: sql, severity: fail, query: "SELECT * FROM {{rows}} WHERE unit_prize > 0" }',
        '  - { name: no_keys, type: sql, severity: warn, query: "SELECT units FROM {{rows}} WHERE units > 1 -- every sale" }',
      ].join('\n'),
    );
    const broken = await batchAuditor({ ...w.deps, config: { ...config, dq: { ...config.dq, checksDir } } })(hour(9), hour(9), batchTables, {});
    expect(Object.fromEntries(broken.results.map((result) => [result.check_name, [result.status, result.failing_rows]]))).toEqual({
      flag_range: ['error', 0],
      rejects: ['pass', 0],
      typo: ['error', 0],
      no_keys: ['warn', 11],
    });
    expect(broken.results.find((result) => result.check_name === 'typo')!.message).toMatch(/unit_prize/);
    expect(broken.holding.map((result) => result.check_name)).toEqual(['typo']);
  }, minutes(10));
});
