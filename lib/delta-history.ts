import { queryJob } from './jobs';
import type { StatementOptions, Warehouse } from './hive-client';
import { commitOf, type Commit, type HistoryRow } from './pure/delta';
import { sqlIdentifier } from './pure/sql';

/** Every commit of one Delta table still in its log, newest first (`DESCRIBE HISTORY`). */
export async function readHistory(hive: Warehouse, database: string, table: string, options?: StatementOptions): Promise<Commit[]> {
  const rows = await queryJob<HistoryRow>(hive, 'table_history', { database: sqlIdentifier(database), table: sqlIdentifier(table) }, options);
  return rows.map((row) => commitOf(table, row));
}
