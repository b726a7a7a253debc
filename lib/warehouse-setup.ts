import { ContractError } from './errors';
import { executeJob, queryJob } from './jobs';
import type { StatementOptions, Warehouse } from './hive-client';
import type { Logger } from './log';
import { readHistory } from './delta-history';
import { commitSettings, deltaTables, type DeltaTable } from './pure/delta';
import { sqlIdentifier, sqlIdentifiers } from './pure/sql';

/**
 * The warehouse's tables, created or brought to the current layout: the ddl step of every batch
 * (and `qpipe warehouse migrate`) runs this before anything reads or writes them.
 *
 * A warehouse of the old layout (plain Parquet tables, the fact partitioned by date, ingested_files
 * a JSON table) is converted once, table by table, and nothing is lost: each old table is renamed
 * `<table>__pre_delta`, the Delta table is created by jobs/ddl.sql, every row is copied into it in
 * one commit tagged `migration`, the copy's row count and checksum are checked against the old
 * table's, and only then is the old table dropped. Every step is recognised on a rerun (the renamed
 * table, the migration commit in the Delta table's history), so a crash anywhere resumes where it
 * stopped. Staging tables of the old process step are dropped.
 */

/** Staging tables of the old process step (its dimension and fact copies), no longer used. */
const obsoleteTables = ['_stage_fact', '_stage_branch_dim', '_stage_sales_agent_dim', '_stage_customer_dim', '_stage_product_dim'] as const;

/** The suffix of an old-layout table moved aside during its migration. */
export const legacySuffix = '__pre_delta';

export interface MigratedTable {
  readonly table: DeltaTable;
  readonly rows: number;
  readonly checksum: string;
}

interface TableFacts {
  readonly provider: string;
  readonly columns: string[];
}

export interface WarehouseSetupDeps {
  readonly hive: Warehouse;
  readonly database: string;
  readonly log: Logger;
  /** Options of each statement (an activity's heartbeat and cancellation). */
  readonly statementOptions?: StatementOptions;
}

/** Creates what is missing and migrates what is in the old layout; returns the tables it migrated (none once done). */
export async function ensureWarehouse({ hive, database, log, statementOptions = {} }: WarehouseSetupDeps): Promise<MigratedTable[]> {
  const db = sqlIdentifier(database);
  const tables = await describeTables(hive, database, statementOptions);
  const legacyOf = (table: string) => `${table}${legacySuffix}`;

  for (const table of deltaTables) {
    const facts = tables.get(table);
    if (!facts || facts.provider === 'delta') continue;
    if (tables.has(legacyOf(table))) {
      throw new ContractError(`both ${database}.${table} (${facts.provider}) and ${database}.${legacyOf(table)} exist: an earlier migration was interrupted and the table was recreated; keep one of them by hand`, table);
    }
    log.info({ database, table, provider: facts.provider }, 'migrating a table of the old layout to Delta: moving it aside');
    await executeJob(hive, 'warehouse_rename_table', { database: db, table: sqlIdentifier(table), new_name: sqlIdentifier(legacyOf(table)) }, statementOptions);
    tables.set(legacyOf(table), facts);
    tables.delete(table);
  }

  const planStage = tables.get('_stage_fact_plan');
  const obsolete = [...obsoleteTables.filter((table) => tables.has(table)), ...(planStage && !planStage.columns.includes('written') ? ['_stage_fact_plan'] : [])];
  for (const table of obsolete) await executeJob(hive, 'warehouse_drop_table', { database: db, table: sqlIdentifier(table) }, statementOptions);

  await executeJob(hive, 'ddl', { database: db }, statementOptions);

  const migrated: MigratedTable[] = [];
  for (const table of deltaTables) {
    const legacy = tables.get(legacyOf(table));
    if (legacy) migrated.push(await copyLegacy(table, legacy.columns));
  }
  return migrated;

  async function copyLegacy(table: DeltaTable, columns: string[]): Promise<MigratedTable> {
    const legacy = legacyOf(table);
    const before = await fingerprint(legacy, columns);
    const copied = (await readHistory(hive, database, table, statementOptions)).some((commit) => commit.tag?.kind === 'migration');
    if (!copied) {
      const target = await fingerprint(table, columns);
      if (target.rows !== 0) throw new ContractError(`${database}.${table} has ${target.rows} rows that the migration did not copy, beside ${database}.${legacy}: resolve by hand`, table);
      await executeJob(
        hive,
        'warehouse_migrate_copy',
        { database: db, table: sqlIdentifier(table), legacy: sqlIdentifier(legacy), columns: sqlIdentifiers(columns) },
        { ...statementOptions, settings: commitSettings({ kind: 'migration', step: 'copy' }) },
      );
    }
    const after = await fingerprint(table, columns);
    if (after.rows !== before.rows || after.checksum !== before.checksum) {
      throw new ContractError(`the migration of ${database}.${table} copied ${after.rows} rows (checksum ${after.checksum}) of ${before.rows} (checksum ${before.checksum}); ${database}.${legacy} is kept`, table);
    }
    await executeJob(hive, 'warehouse_drop_table', { database: db, table: sqlIdentifier(legacy) }, statementOptions);
    log.info({ database, table, rows: after.rows, checksum: after.checksum }, 'migrated a table to Delta: every row copied and checked, the old table dropped');
    return { table, rows: after.rows, checksum: after.checksum };
  }

  async function fingerprint(table: string, columns: string[]): Promise<{ rows: number; checksum: string }> {
    const [row] = await queryJob<{ row_count: number; checksum: string }>(
      hive,
      'table_fingerprint',
      { database: db, table: sqlIdentifier(table), columns: sqlIdentifiers(columns) },
      statementOptions,
    );
    if (!row) throw new Error(`jobs/table_fingerprint.sql returned no row for ${database}.${table}`);
    return { rows: Number(row.row_count), checksum: row.checksum };
  }
}

/** The database's tables (created if missing) with their provider and column names, from one SHOW TABLE EXTENDED. */
async function describeTables(hive: Warehouse, database: string, options: StatementOptions): Promise<Map<string, TableFacts>> {
  const rows = await queryJob<{ tableName: string; isTemporary: boolean; information: string }>(hive, 'warehouse_tables', { database: sqlIdentifier(database) }, options);
  return new Map(rows.filter((row) => !row.isTemporary).map((row) => [row.tableName, tableFacts(row.information)]));
}

/** Provider and column names from SHOW TABLE EXTENDED's `information` text (`Provider: delta`, ` |-- name: type …`). */
export function tableFacts(information: string): TableFacts {
  const provider = /^Provider: (\S+)$/m.exec(information)?.[1]?.toLowerCase() ?? 'hive';
  const columns = [...information.matchAll(/^ \|-- ([A-Za-z_][A-Za-z0-9_]*): /gm)].map((match) => match[1]!);
  return { provider, columns };
}
