/**
 * The warehouse's Delta Lake commits, as pure data: the tag each qpipe commit carries in its
 * `userMetadata` (the batch, or the maintenance, migration or revert that made it), a history row
 * read back into a commit, and the version a batch revert restores. Workflows and the CLI share it.
 */

/** The Delta tables of the star schema, in the order a revert reports them. */
export const starTables = ['branch_dim', 'sales_agent_dim', 'customer_dim', 'product_dim', 'sales_transactions_fact'] as const;
export type StarTable = (typeof starTables)[number];

/** Every Delta table of `q_dwh`: the star schema and the operational tables. */
export const deltaTables = [...starTables, 'rejected_rows', 'ingested_files'] as const;
export type DeltaTable = (typeof deltaTables)[number];

/** The data-quality tables (checks' verdicts, failing rows, decisions): Delta, created by ddl.sql, never in the old layout. */
export const qualityTables = ['dq_results', 'dq_failed_rows', 'batch_decisions'] as const;

/** Every Delta table the daily maintenance keeps and `qpipe history` shows. */
export const maintainedTables = [...deltaTables, ...qualityTables] as const;
export type MaintainedTable = (typeof maintainedTables)[number];

/** The Spark session setting whose value Delta writes into the next commit's `userMetadata`. */
export const commitMetadataSetting = 'spark.databricks.delta.commitInfo.userMetadata';

/** What made a commit: qpipe writes one of these as JSON into each commit it makes. */
export type CommitTag =
  | { readonly kind: 'batch'; readonly batch_id: string; readonly step: string }
  | { readonly kind: 'maintenance'; readonly date: string; readonly step: string }
  | { readonly kind: 'migration'; readonly step: string }
  | { readonly kind: 'revert'; readonly batch_id: string };

/** The statement settings that tag the commit a statement makes (for `StatementOptions.settings`). */
export function commitSettings(tag: CommitTag): Record<string, string> {
  return { [commitMetadataSetting]: JSON.stringify(tag) };
}

/** A commit's tag from its `userMetadata`, or undefined when qpipe did not write it. */
export function parseCommitTag(userMetadata: string | null | undefined): CommitTag | undefined {
  if (!userMetadata) return undefined;
  try {
    const tag = JSON.parse(userMetadata) as Partial<Record<string, unknown>>;
    const text = (key: string) => typeof tag[key] === 'string';
    if (tag.kind === 'batch' && text('batch_id') && text('step')) return tag as CommitTag;
    if (tag.kind === 'maintenance' && text('date') && text('step')) return tag as CommitTag;
    if (tag.kind === 'migration' && text('step')) return tag as CommitTag;
    if (tag.kind === 'revert' && text('batch_id')) return tag as CommitTag;
  } catch {
    // not ours
  }
  return undefined;
}

/** A row of `DESCRIBE HISTORY` (the columns qpipe reads). */
export interface HistoryRow {
  readonly version: number;
  readonly timestamp: string;
  readonly operation: string;
  /** Spark renders this map as text that is not always JSON (nested values are not escaped). */
  readonly operationParameters: string | null;
  /** A JSON object of string values. */
  readonly operationMetrics: string | null;
  readonly userMetadata: string | null;
}

/** One commit of a table, as `qpipe history` shows it. */
export interface Commit {
  readonly table: string;
  readonly version: number;
  readonly timestamp: string;
  readonly operation: string;
  readonly tag?: CommitTag;
  /** For a RESTORE: the version whose content it brought back. */
  readonly restoredVersion?: number;
  /** Rows the commit added and removed (an updated row counts once in each); undefined when Delta does not say. */
  readonly rowsAdded?: number;
  readonly rowsRemoved?: number;
}

export function commitOf(table: string, row: HistoryRow): Commit {
  const metrics = parseMetrics(row.operationMetrics);
  const count = (...keys: string[]) => (keys.every((key) => metrics[key] !== undefined) ? keys.reduce((total, key) => total + metrics[key]!, 0) : undefined);
  let rowsAdded: number | undefined;
  let rowsRemoved: number | undefined;
  switch (row.operation) {
    case 'MERGE':
      rowsAdded = count('numTargetRowsInserted', 'numTargetRowsUpdated');
      rowsRemoved = count('numTargetRowsUpdated', 'numTargetRowsDeleted');
      break;
    case 'WRITE':
    case 'CREATE TABLE AS SELECT':
    case 'REPLACE TABLE AS SELECT':
    case 'CREATE OR REPLACE TABLE AS SELECT':
      rowsAdded = count('numOutputRows');
      rowsRemoved = count('numDeletedRows') ?? (row.operationParameters?.includes('"mode":"Append"') ? 0 : undefined);
      break;
    case 'DELETE':
      rowsAdded = 0;
      rowsRemoved = count('numDeletedRows');
      break;
    case 'UPDATE':
      rowsAdded = rowsRemoved = count('numUpdatedRows');
      break;
    case 'CREATE TABLE':
    case 'OPTIMIZE':
    case 'VACUUM START':
    case 'VACUUM END':
    case 'SET TBLPROPERTIES':
      rowsAdded = rowsRemoved = 0;
      break;
  }
  const restored = row.operation === 'RESTORE' ? /"version":"?(\d+)/.exec(row.operationParameters ?? '') : null;
  const tag = parseCommitTag(row.userMetadata);
  return {
    table,
    version: row.version,
    timestamp: row.timestamp,
    operation: row.operation,
    ...(tag ? { tag } : {}),
    ...(restored ? { restoredVersion: Number(restored[1]) } : {}),
    ...(rowsAdded !== undefined ? { rowsAdded } : {}),
    ...(rowsRemoved !== undefined ? { rowsRemoved } : {}),
  };
}

function parseMetrics(text: string | null): Record<string, number> {
  if (!text) return {};
  try {
    const metrics = JSON.parse(text) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(metrics).flatMap(([key, value]) => (/^\d+$/.test(String(value)) ? [[key, Number(value)]] : [])));
  } catch {
    return {};
  }
}

/** What a commit's tag says of it, in one short phrase: the batch id, or what else made it. */
export function describeTag(tag: CommitTag | undefined): string {
  switch (tag?.kind) {
    case 'batch':
      return tag.batch_id;
    case 'maintenance':
      return `maintenance ${tag.date} (${tag.step})`;
    case 'migration':
      return `migration (${tag.step})`;
    case 'revert':
      return `revert of ${tag.batch_id}`;
    default:
      return '';
  }
}

/** What reverting a batch does to one table. */
export type RevertPlan =
  /** Restore the table to `version`: its content before the batch's first commit (and before every later batch's). */
  | { readonly action: 'restore'; readonly version: number }
  /** Nothing of the batch or a later one is in the table's current content. */
  | { readonly action: 'none'; readonly version: number };

/**
 * The version of a table to restore so that its content holds nothing of batch `batchId` or of any
 * later batch, keeping everything before it: the version just before the batch's first commit. The
 * walk goes back along the table's effective history (a RESTORE stands for the version it restored)
 * to a stop: a commit of an earlier batch, the table's creation or the migration's copy. Commits that
 * change no rows (OPTIMIZE, VACUUM, properties) are stepped over. Throws when the history does not
 * reach back that far (the log was cleaned up), and when a write qpipe did not make lies after the
 * batch's first commit: restoring would silently undo it, and keeping it would keep the batch.
 */
export function revertPlan(commits: readonly Commit[], batchId: string): RevertPlan {
  const byVersion = new Map(commits.map((commit) => [commit.version, commit]));
  let version = Math.max(...commits.map((commit) => commit.version));
  /** The commits of the batch or a later one passed so far, and the hand-made writes. */
  const undone: Commit[] = [];
  const foreign: Commit[] = [];
  for (;;) {
    const commit = byVersion.get(version);
    if (!commit) throw new RangeError(`version ${version} is no longer in the table's history (Delta keeps 30 days of log by default)`);
    const tag = commit.tag;
    if (commit.restoredVersion !== undefined) {
      version = commit.restoredVersion;
      continue;
    }
    if (tag?.kind === 'batch' && tag.batch_id >= batchId) {
      // a hand-made write passed already lies after this commit of the batch (or of a later one)
      const write = foreign[foreign.length - 1];
      if (write) throw new RangeError(`version ${write.version} (${write.operation}) changed rows after batch ${tag.batch_id}'s commit at version ${version} without qpipe: a revert would undo it`);
      undone.push(commit);
    } else if (tag?.kind === 'batch' || tag?.kind === 'migration' || version === 0 || /^(CREATE|REPLACE)/.test(commit.operation)) {
      const first = undone[undone.length - 1];
      return first === undefined ? { action: 'none', version } : { action: 'restore', version: first.version - 1 };
    } else if (changesRows(commit)) {
      foreign.push(commit);
    }
    version -= 1;
    if (version < 0) throw new RangeError(`the table's history ends before a version without batch ${batchId}`);
  }
}

/** Whether a commit qpipe did not tag may have changed rows (a write by hand): OPTIMIZE, VACUUM and the like do not. */
function changesRows(commit: Commit): boolean {
  return !commit.tag && (commit.rowsAdded !== 0 || commit.rowsRemoved !== 0);
}
