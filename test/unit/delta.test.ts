import { describe, expect, it } from '@jest/globals';
import { commitOf, commitSettings, parseCommitTag, revertPlan, type Commit, type CommitTag, type HistoryRow } from '../../lib/pure/delta';
import { tableFacts } from '../../lib/warehouse-setup';

// DESCRIBE HISTORY rows as the Spark Thrift Server returned them for Delta 4.0.1 (copied from a
// session on the local stack), and revert plans over histories written by hand.

const row = (version: number, operation: string, fields: Partial<HistoryRow> = {}): HistoryRow => ({
  version,
  timestamp: `2026-12-04 16:${String(version).padStart(2, '0')}:00.000`,
  operation,
  operationParameters: null,
  operationMetrics: null,
  userMetadata: null,
  ...fields,
});
const batch = (batchId: string, step = 'fact'): string => JSON.stringify({ kind: 'batch', batch_id: batchId, step } satisfies CommitTag);

describe('commit tags', () => {
  it('round-trips every kind through the session setting Delta writes into userMetadata', () => {
    const tags: CommitTag[] = [
      { kind: 'batch', batch_id: '2026-01-01T01', step: 'branch_dim' },
      { kind: 'maintenance', date: '2026-01-02', step: 'optimize' },
      { kind: 'migration', step: 'copy' },
      { kind: 'revert', batch_id: '2026-01-01T03' },
    ];
    for (const tag of tags) {
      const settings = commitSettings(tag);
      expect(Object.keys(settings)).toEqual(['spark.databricks.delta.commitInfo.userMetadata']);
      expect(parseCommitTag(Object.values(settings)[0])).toEqual(tag);
    }
  });

  it('reads metadata qpipe did not write as no tag', () => {
    for (const text of [null, '', 'hand-made', '{"kind":"batch"}', '{"kind":"other","step":"x"}', '[1]']) expect(parseCommitTag(text)).toBeUndefined();
  });
});

describe('commitOf', () => {
  it('counts a MERGE\'s inserted and updated rows as added, its updated and deleted rows as removed', () => {
    const merge = row(3, 'MERGE', {
      operationMetrics: '{"numTargetRowsInserted":"1499","numTargetRowsUpdated":"1","numTargetRowsDeleted":"0","numOutputRows":"1500","executionTimeMs":"2381"}',
      userMetadata: batch('2026-01-01T02'),
    });
    expect(commitOf('sales_transactions_fact', merge)).toEqual({
      table: 'sales_transactions_fact',
      version: 3,
      timestamp: '2026-12-04 16:03:00.000',
      operation: 'MERGE',
      tag: { kind: 'batch', batch_id: '2026-01-01T02', step: 'fact' },
      rowsAdded: 1500,
      rowsRemoved: 1,
    });
  });

  it('reads a REPLACE WHERE write, an append, an OPTIMIZE and the version a RESTORE brought back', () => {
    const replace = row(2, 'WRITE', {
      operationParameters: '{"mode":"Overwrite","partitionBy":"[]","predicate":"(batch_id = \'b1\')"}',
      operationMetrics: '{"numAddedChangeFiles":"0","numCopiedRows":"0","numDeletedRows":"1","numFiles":"1","numOutputBytes":"719","numOutputRows":"1"}',
    });
    expect(commitOf('rejected_rows', replace)).toMatchObject({ rowsAdded: 1, rowsRemoved: 1 });
    const append = row(1, 'WRITE', { operationParameters: '{"mode":"Append","partitionBy":"[]"}', operationMetrics: '{"numFiles":"2","numOutputBytes":"1854","numOutputRows":"2"}' });
    expect(commitOf('t', append)).toMatchObject({ rowsAdded: 2, rowsRemoved: 0 });
    expect(commitOf('t', row(5, 'OPTIMIZE', { operationParameters: '{"auto":"false","clusterBy":"["d"]","isFull":"false"}' }))).toMatchObject({ rowsAdded: 0, rowsRemoved: 0 });
    const restore = commitOf('t', row(4, 'RESTORE', { operationParameters: '{"version":"2","timestamp":null}' }));
    expect(restore).toMatchObject({ restoredVersion: 2 });
    expect(restore.rowsAdded).toBeUndefined();
  });
});

describe('revertPlan', () => {
  const commits = (...rows: HistoryRow[]): Commit[] => rows.map((history) => commitOf('t', history)).reverse();
  const created = row(0, 'CREATE TABLE');
  const optimize = (version: number) => row(version, 'OPTIMIZE', { userMetadata: JSON.stringify({ kind: 'maintenance', date: '2026-01-02', step: 'optimize' }) });
  const merge = (version: number, batchId: string) => row(version, 'MERGE', { userMetadata: batch(batchId), operationMetrics: '{"numTargetRowsInserted":"3","numTargetRowsUpdated":"0","numTargetRowsDeleted":"0"}' });

  it('restores the version before the batch\'s first commit, stepping over later batches and maintenance', () => {
    const history = commits(created, merge(1, 'H01'), merge(2, 'H02'), optimize(3), merge(4, 'H03'), merge(5, 'H04'));
    expect(revertPlan(history, 'H03')).toEqual({ action: 'restore', version: 3 });
    expect(revertPlan(history, 'H02')).toEqual({ action: 'restore', version: 1 });
    expect(revertPlan(history, 'H01')).toEqual({ action: 'restore', version: 0 });
  });

  it('leaves a table the batch never wrote (a dimension that did not change) as it is', () => {
    const history = commits(created, merge(1, 'H01'), optimize(2));
    expect(revertPlan(history, 'H02')).toEqual({ action: 'none', version: 1 });
  });

  it('follows a RESTORE to the version it brought back, so a second revert of the same batch does nothing', () => {
    const restored = row(4, 'RESTORE', { operationParameters: '{"version":"2","timestamp":null}', userMetadata: JSON.stringify({ kind: 'revert', batch_id: 'H03' }) });
    const history = commits(created, merge(1, 'H01'), merge(2, 'H02'), merge(3, 'H03'), restored);
    expect(revertPlan(history, 'H03')).toEqual({ action: 'none', version: 2 });
    // reprocessed after the revert: back to version 4, the revert's RESTORE, which holds version 2's content
    const reprocessed = commits(created, merge(1, 'H01'), merge(2, 'H02'), merge(3, 'H03'), restored, merge(5, 'H03'), merge(6, 'H04'));
    expect(revertPlan(reprocessed, 'H03')).toEqual({ action: 'restore', version: 4 });
    expect(revertPlan(reprocessed, 'H02')).toEqual({ action: 'restore', version: 1 });
  });

  it('stops at the migration\'s copy', () => {
    const history = commits(created, row(1, 'WRITE', { userMetadata: JSON.stringify({ kind: 'migration', step: 'copy' }), operationMetrics: '{"numOutputRows":"6000"}' }), merge(2, 'H07'));
    expect(revertPlan(history, 'H07')).toEqual({ action: 'restore', version: 1 });
    expect(revertPlan(history, 'H06')).toEqual({ action: 'restore', version: 1 });
  });

  it('refuses when a write qpipe did not make lies on top of the batch, and restores past one below it', () => {
    const byHand = (version: number) => row(version, 'DELETE', { operationMetrics: '{"numDeletedRows":"2"}' });
    expect(() => revertPlan(commits(created, merge(1, 'H01'), merge(2, 'H02'), byHand(3)), 'H02')).toThrow("version 3 (DELETE) changed rows after batch H02's commit at version 2 without qpipe");
    // between two commits of batches to revert: found however far back the batch's first commit is
    expect(() => revertPlan(commits(created, merge(1, 'H01'), merge(2, 'H02'), byHand(3), merge(4, 'H03')), 'H02')).toThrow("version 3 (DELETE) changed rows after batch H02's commit at version 2 without qpipe");
    expect(revertPlan(commits(created, merge(1, 'H01'), byHand(2), merge(3, 'H02')), 'H02')).toEqual({ action: 'restore', version: 2 });
    expect(revertPlan(commits(created, merge(1, 'H01'), byHand(2)), 'H02')).toEqual({ action: 'none', version: 1 });
  });

  it('refuses when the log no longer reaches the version before the batch', () => {
    const truncated = commits(merge(11, 'H01'), merge(12, 'H02')).filter((commit) => commit.version === 12);
    expect(() => revertPlan(truncated, 'H02')).toThrow('version 11 is no longer in the table\'s history');
  });
});

describe('tableFacts', () => {
  it('reads the provider and the column names of SHOW TABLE EXTENDED\'s information', () => {
    const information = [
      'Catalog: spark_catalog',
      'Database: q_dwh',
      'Table: sales_transactions_fact',
      'Type: MANAGED',
      'Provider: parquet',
      'Partition Provider: Catalog',
      'Schema: root',
      ' |-- transaction_id: string (nullable = true)',
      ' |-- unit_price: decimal(10,2) (nullable = true)',
      ' |-- transaction_date: date (nullable = true)',
      '',
    ].join('\n');
    expect(tableFacts(information)).toEqual({ provider: 'parquet', columns: ['transaction_id', 'unit_price', 'transaction_date'] });
    expect(tableFacts('Provider: delta\nSchema: root\n |-- a: int (nullable = true)\n')).toEqual({ provider: 'delta', columns: ['a'] });
  });
});
