import type { ActivityDeps } from './deps';
import { HiveError } from '../lib/errors';
import { loadChecks } from '../lib/dq-checks';
import { executeJob, queryJob } from '../lib/jobs';
import { addHours, dqStagingDir, hourTimestamp, type LogicalHour } from '../lib/pure/batch';
import { countByStatus, customCheckSql, errorResult, evaluate, holds, measureSql, sampleSql, sampledTypes, type AuditedTable, type Check, type CheckResult, type CheckStatus, type HistoryPoint, type Measures } from '../lib/pure/dq';
import { isDeterministicSqlState } from '../lib/pure/failures';
import { renderSql, sqlIdentifier, sqlString } from '../lib/pure/sql';
import type { StatementOptions } from '../lib/hive-client';
import { commitSettings } from '../lib/pure/delta';

/** One failing row's keys, as dq_failed_rows stores it. */
interface FailedRow {
  readonly table_name: string;
  readonly check_name: string;
  readonly source_file: string | null;
  readonly line_number: number | null;
  readonly row_id: string | null;
  readonly value: string | null;
}

export interface AuditOutcome {
  readonly results: readonly CheckResult[];
  /** The results that hold the batch (a breached or broken check of severity fail). */
  readonly holding: readonly CheckResult[];
  readonly counts: Readonly<Record<CheckStatus, number>>;
}

/**
 * The audit of write-audit-publish: measures a batch's staged rows with every declared check
 * (`checks/*.yml`, reread at each audit), records each verdict in `dq_results` and up to
 * `QPIPE_DQ_SAMPLE_ROWS` failing rows' keys per check in `dq_failed_rows` (one MERGE each, from JSON
 * lines staged on HDFS: a rerun commits nothing), and says which results hold the batch.
 *
 * A check whose query Spark refuses (a custom SQL check with a typo) is recorded as `error`; one of
 * severity fail holds the batch, as a check that cannot say yes must not publish. Other failures
 * (the Thrift Server away) throw, and the activity retries.
 */
export function batchAuditor({ hdfs, hive, config, log, metrics }: ActivityDeps) {
  const database = sqlIdentifier(config.hive.database);
  const limit = config.dq.sampleRows;

  /**
   * Audits `tables` for audit id `batchId` (a batch id, or `stream:<hour>` for a compacted stream
   * hour); `hour` is the logical hour whose end freshness is measured from. `deadLetters` are the
   * stream hour's Kafka counts, for its dead_letter_rate checks.
   */
  return async function audit(
    batchId: string,
    hour: LogicalHour,
    tables: readonly AuditedTable[],
    options: StatementOptions,
    { step = 'audit', deadLetters }: { step?: string; deadLetters?: Measures['deadLetters'] } = {},
  ): Promise<AuditOutcome> {
    const checks = loadChecks(config.dq.checksDir);
    const run = <T>(sql: string) => hive.query<T>(renderSql(sql, { database }), options).then((result) => result.rows);
    // The anomaly check's history is read only when a check needs it.
    const history = checks.some((check) => check.type === 'row_count_change' && tables.includes(check.table)) ? await historyOf(batchId, options) : new Map<string, HistoryPoint[]>();
    const hourEnd = hourTimestamp(addHours(hour, 1));
    const results: CheckResult[] = [];
    const failedRows: FailedRow[] = [];

    // Every table's measuring query and every sql check's count in one statement (a statement costs
    // the Thrift Server about half a second of its own); if Spark refuses it, each runs on its own below.
    const parts = tables.flatMap((table) => {
      const tableChecks = checks.filter((check) => check.table === table);
      const measured = tableChecks.filter((check) => check.type !== 'sql');
      return [
        ...(measured.length > 0 ? [{ key: `m:${table}`, sql: measureSql(table, measured, batchId, hourEnd) }] : []),
        ...tableChecks.filter((check) => check.type === 'sql').map((check) => ({ key: `s:${table}:${check.name}`, sql: customCheckSql(check, batchId, limit).count })),
      ];
    });
    const prefetched = new Map<string, Record<string, number | null>>();
    if (parts.length > 1) {
      const union = parts.map(({ key, sql }) => `SELECT ${sqlString(key)} AS k, to_json(struct(*)) AS v FROM (\n${sql}\n)`).join('\nUNION ALL\n');
      try {
        for (const { k, v } of await run<{ k: string; v: string }>(union)) prefetched.set(k, JSON.parse(v) as Record<string, number | null>);
      } catch (error) {
        if (!refused(error)) throw error;
        log.warn({ batchId, error: (error as Error).message }, 'a check\'s query was refused: the checks are measured one statement at a time');
      }
    }

    for (const table of tables) {
      const tableChecks = checks.filter((check) => check.table === table);
      if (tableChecks.length === 0) continue;
      const measured = tableChecks.filter((check) => check.type !== 'sql');
      const measure = async (subset: readonly Check[]): Promise<Measures> => {
        const [row] = subset === measured && prefetched.has(`m:${table}`) ? [prefetched.get(`m:${table}`)!] : await run<Record<string, number | null>>(measureSql(table, subset, batchId, hourEnd));
        if (!row) throw new Error(`the audit query of ${table} returned no row`);
        // A NULL is absent from the prefetched JSON.
        const value = (key: string) => (row[key] === null || row[key] === undefined ? null : Number(row[key]));
        return {
          rows: Number(row.rows),
          linesRead: Number(row.lines_read),
          linesRejected: Number(row.lines_rejected),
          failing: Object.fromEntries(subset.map((check, index) => [check.name, value(`c${index}`)])),
          ...(deadLetters ? { deadLetters } : {}),
        };
      };
      const verdict = (check: Check, measures: Measures) => evaluate(check, batchId, measures, measures.failing[check.name] ?? null, history.get(`${table}\u0000${check.name}`));
      let measures: Measures | undefined;
      const verdicts: CheckResult[] = [];
      try {
        measures = await measure(measured);
        verdicts.push(...measured.map((check) => verdict(check, measures!)));
      } catch (error) {
        if (!refused(error)) throw error;
        // One broken check (a range on a text column) must not take the table's others with it: each alone.
        for (const check of measured) {
          try {
            const alone = await measure([check]);
            measures ??= alone;
            verdicts.push(verdict(check, alone));
          } catch (single) {
            if (!refused(single)) throw single;
            verdicts.push(errorResult(check, batchId, (single as Error).message));
          }
        }
      }
      results.push(...verdicts);
      const toSample = measured.filter((check, index) => {
        const result = verdicts[index]!;
        return result.status !== 'pass' && result.status !== 'error' && result.failing_rows > 0 && sampledTypes.has(check.type);
      });
      if (toSample.length > 0) {
        const sql = sampleSql(table, toSample, batchId, toSample.map((_, index) => index), limit);
        const rows = await run<{ check_index: number } & Omit<FailedRow, 'table_name' | 'check_name'>>(sql).catch((error: unknown) => {
          if (!refused(error)) throw error;
          log.warn({ batchId, table, error: (error as Error).message }, 'the failing rows of the checks could not be sampled; their verdicts stand');
          return [];
        });
        for (const row of rows) failedRows.push(failedRow(table, toSample[Number(row.check_index)]!.name, row));
      }
      for (const check of tableChecks.filter((candidate) => candidate.type === 'sql')) {
        const sql = customCheckSql(check, batchId, limit);
        let result: CheckResult;
        try {
          const [count] = prefetched.has(`s:${table}:${check.name}`) ? [prefetched.get(`s:${table}:${check.name}`) as { failing: number }] : await run<{ failing: number }>(sql.count);
          result = evaluate(check, batchId, measures ?? { rows: 0, linesRead: 0, linesRejected: 0, failing: {} }, Number(count?.failing ?? 0));
        } catch (error) {
          if (!refused(error)) throw error;
          results.push(errorResult(check, batchId, (error as Error).message));
          continue;
        }
        results.push(result);
        if (result.status === 'pass' || result.failing_rows === 0) continue;
        // The sample needs the rows' file, line and id columns: a query that drops them still has its verdict.
        const rows = await run<Omit<FailedRow, 'table_name' | 'check_name'>>(sql.sample).catch((error: unknown) => {
          if (!refused(error)) throw error;
          log.warn({ batchId, table, check: check.name, error: (error as Error).message }, 'the failing rows of a sql check could not be sampled (does it return source_file, line_number and the id?); its verdict stands');
          return [];
        });
        for (const row of rows) failedRows.push(failedRow(table, check.name, row));
      }
    }

    await record(batchId, results, failedRows, options, step);
    metrics?.audited(results);
    const holding = results.filter(holds);
    const counts = countByStatus(results);
    log.info({ batchId, checks: results.length, ...counts, holding: holding.map((result) => `${result.table_name}.${result.check_name}`) }, 'batch audited');
    for (const result of results.filter((candidate) => candidate.status !== 'pass')) {
      log.warn({ batchId, table: result.table_name, check: result.check_name, status: result.status, observed: result.observed, threshold: result.threshold, failingRows: result.failing_rows, message: result.message }, 'data-quality check not passed');
    }
    return { results, holding, counts };
  };

  /** Earlier batches' rows per row_count_change check (`table\0check`), newest first. */
  async function historyOf(batchId: string, options: StatementOptions): Promise<Map<string, HistoryPoint[]>> {
    const rows = await queryJob<{ table_name: string; check_name: string; batch_id: string; rows_checked: number }>(
      hive,
      'dq_history',
      { database, batch_id: batchId, stream: batchId.startsWith('stream:') },
      options,
    );
    return rows.reduce((history, row) => {
      const key = `${row.table_name}\u0000${row.check_name}`;
      history.set(key, [...(history.get(key) ?? []), { batch_id: row.batch_id, rows_checked: Number(row.rows_checked) }]);
      return history;
    }, new Map<string, HistoryPoint[]>());
  }

  async function record(batchId: string, results: readonly CheckResult[], failedRows: readonly FailedRow[], options: StatementOptions, step: string): Promise<void> {
    const tag = batchId.startsWith('stream:') ? { kind: 'batch' as const, batch_id: batchId, step: 'stream-audit' } : { kind: 'batch' as const, batch_id: batchId, step };
    const dir = dqStagingDir(config.hdfs.root, batchId);
    const checkedAt = new Date().toISOString();
    const lines = (rows: readonly object[]) => rows.map((row) => JSON.stringify(row)).join('\n') + '\n';
    const unique = [...new Map(failedRows.map((row) => [JSON.stringify([row.table_name, row.check_name, row.source_file, row.line_number]), row])).values()];
    await hdfs.putAtomic(`${dir}/results.json`, lines(results.map(({ batch_id: _batch, ...result }) => ({ ...result, checked_at: checkedAt }))), { overwrite: true });
    await hdfs.putAtomic(`${dir}/failed_rows.json`, unique.length === 0 ? '' : lines(unique), { overwrite: true });
    await executeJob(
      hive,
      'dq_results',
      { database, batch_id: batchId, results_path: `${dir}/results.json`, failed_rows_path: `${dir}/failed_rows.json` },
      { ...options, settings: commitSettings(tag) },
    );
  }
}

function failedRow(table: string, check: string, row: Omit<FailedRow, 'table_name' | 'check_name'>): FailedRow {
  return {
    table_name: table,
    check_name: check,
    source_file: row.source_file ?? null,
    line_number: row.line_number === null || row.line_number === undefined ? null : Number(row.line_number),
    row_id: row.row_id ?? null,
    value: row.value === null || row.value === undefined ? null : String(row.value).slice(0, 1000),
  };
}

/** Whether Spark refused a statement for a reason its rerun meets again (the check, not the service, is broken). */
function refused(error: unknown): boolean {
  return error instanceof HiveError && isDeterministicSqlState(error.sqlState);
}

