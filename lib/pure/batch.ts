/**
 * The hourly batch's names and paths: pure functions of the logical hour, shared by the workflow
 * (which may import only lib/pure) and the activities. Layout (root `QPIPE_HDFS_ROOT`, default /qpipe):
 *
 *   <root>/raw/batch/<dataset>/ingest_date=YYYY-MM-DD/ingest_hour=HH/<batch_id>/<original file name>
 *   <root>/raw/_manifests/<batch_id>.json     written last by ingest: the batch's commit marker
 *   <root>/raw/_processed/<batch_id>.json     written last by process: the batch is in the warehouse
 *   <root>/raw/_reverts/<batch_id>.json        a revert of the batch under way: no batch is processed meanwhile
 *   <root>/meta/ingested_files/batch_id=<batch_id>/files.json   the `ingested_files` table's rows, staged
 */

import { requiredColumnsOf } from './schemas';

/** A logical hour, `YYYY-MM-DDTHH` (UTC): the input of an hourly run and the name of its batch. */
export type LogicalHour = string;

const hourPattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})$/;

/** Validates a logical hour (a real date, hour 00–23); throws a RangeError naming the input otherwise. */
export function parseLogicalHour(hour: string): { date: string; hourOfDay: string; epochMs: number } {
  const match = hourPattern.exec(hour);
  if (!match) throw new RangeError(`"${hour}" is not a logical hour (YYYY-MM-DDTHH)`);
  const [, year, month, day, hourOfDay] = match as unknown as [string, string, string, string, string];
  const epochMs = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hourOfDay));
  const check = new Date(epochMs);
  if (check.getUTCFullYear() !== Number(year) || check.getUTCMonth() + 1 !== Number(month) || check.getUTCDate() !== Number(day) || Number(hourOfDay) > 23) {
    throw new RangeError(`"${hour}" is not a real hour`);
  }
  return { date: `${year}-${month}-${day}`, hourOfDay, epochMs };
}

/** Whether a text is a batch id: a real logical hour. */
export function isBatchId(batchId: string): boolean {
  try {
    parseLogicalHour(batchId);
    return true;
  } catch {
    return false;
  }
}

/** The logical hour that contains an instant (UTC). */
export function logicalHourOf(epochMs: number): LogicalHour {
  return new Date(epochMs).toISOString().slice(0, 13);
}

/** The hour `offset` hours after `hour`. */
export function addHours(hour: LogicalHour, offset: number): LogicalHour {
  return logicalHourOf(parseLogicalHour(hour).epochMs + offset * 3_600_000);
}

/** `YYYY-MM-DD HH:00:00`: the hour as a Spark/Hive TIMESTAMP literal's text (UTC). */
export function hourTimestamp(hour: LogicalHour): string {
  const { date, hourOfDay } = parseLogicalHour(hour);
  return `${date} ${hourOfDay}:00:00`;
}

/** One batch per logical hour: its id is the hour itself, which sorts in time order. */
export function batchIdOf(hour: LogicalHour): string {
  parseLogicalHour(hour);
  return hour;
}

/** The three file families the source system drops, by the dataset name used in paths and tables. */
export const datasets = ['branches', 'sales_agents', 'sales_transactions'] as const;
export type Dataset = (typeof datasets)[number];

/** Family of a landing file by name (`branches_SS_raw_4.csv` …), or undefined for an unknown file. */
export function datasetOf(fileName: string): Dataset | undefined {
  const match = /^(branches|sales_agents|sales_transactions)_SS_raw_\d+\.csv$/.exec(fileName);
  return match ? (match[1] as Dataset) : undefined;
}

/** Required header columns of each family, as the source spells them (typos included): the current contract's (schemas/csv/). */
export const requiredColumns: Record<Dataset, readonly string[]> = {
  branches: requiredColumnsOf('branches'),
  sales_agents: requiredColumnsOf('sales_agents'),
  sales_transactions: requiredColumnsOf('sales_transactions'),
};

export const fileStatuses = ['ingested', 'duplicate', 'rejected'] as const;
export type FileStatus = (typeof fileStatuses)[number];

export const fileRejectionReasons = ['EMPTY_FILE', 'FILE_SCHEMA_MISMATCH', 'UNKNOWN_FILE', 'BAD_FILE_NAME'] as const;
export type FileRejectionReason = (typeof fileRejectionReasons)[number];

/** One landing file as the batch saw it. */
export interface ManifestFile {
  readonly fileName: string;
  /** Undefined only for an UNKNOWN_FILE. */
  readonly dataset?: Dataset;
  readonly status: FileStatus;
  readonly reason?: FileRejectionReason | 'DUPLICATE_DELIVERY';
  /** A human sentence about the reason (which columns are missing, which batch had the file). */
  readonly detail?: string;
  readonly sha256: string;
  readonly bytes: number;
  /** HDFS path of the raw copy, for status `ingested`. */
  readonly rawPath?: string;
  /** The header's column names in file order (BOM removed), for status `ingested`. */
  readonly columns?: readonly string[];
  /** Whether the file starts with a UTF-8 BOM. */
  readonly bom?: boolean;
}

/** The batch's commit marker: present means every ingested file is in the raw zone, whole. */
export interface BatchManifest {
  readonly batchId: string;
  readonly hour: LogicalHour;
  /** When the ingest ran (audit; the manifest is written once, so reruns read the same value). */
  readonly ingestedAt: string;
  readonly files: readonly ManifestFile[];
}

export function rawBatchDir(root: string, dataset: Dataset, hour: LogicalHour): string {
  const { date, hourOfDay } = parseLogicalHour(hour);
  return `${root}/raw/batch/${dataset}/ingest_date=${date}/ingest_hour=${hourOfDay}/${batchIdOf(hour)}`;
}

export const manifestsDir = (root: string) => `${root}/raw/_manifests`;
export const manifestPath = (root: string, batchId: string) => `${manifestsDir(root)}/${batchId}.json`;
export const processedDir = (root: string) => `${root}/raw/_processed`;
export const processedPath = (root: string, batchId: string) => `${processedDir(root)}/${batchId}.json`;
export const revertsDir = (root: string) => `${root}/raw/_reverts`;
export const revertPath = (root: string, batchId: string) => `${revertsDir(root)}/${batchId}.json`;
export const ingestedFilesDir = (root: string) => `${root}/meta/ingested_files`;
export const ingestedFilesPath = (root: string, batchId: string) => `${ingestedFilesDir(root)}/batch_id=${batchId}/files.json`;

/**
 * Decisions on a batch the audit held (write, audit, publish), each a marker written once:
 * `_held/<batch>.json` (the audit held it: the failing checks), `_released/<batch>.json` (an operator
 * publishes it anyway), `_discarded/<batch>.json` (an operator dropped it: never processed).
 */
export const batchDecisions = ['hold', 'release', 'discard'] as const;
export type BatchDecision = (typeof batchDecisions)[number];
const decisionDirs: Record<BatchDecision, string> = { hold: '_held', release: '_released', discard: '_discarded' };
export const decisionDir = (root: string, decision: BatchDecision) => `${root}/raw/${decisionDirs[decision]}`;
export const decisionPath = (root: string, decision: BatchDecision, batchId: string) => `${decisionDir(root, decision)}/${batchId}.json`;

/** What a decision marker (and its batch_decisions row) records: who, when, why. */
export interface DecisionRecord {
  readonly batchId: string;
  readonly decision: BatchDecision;
  readonly decidedBy: string;
  readonly decidedAt: string;
  readonly reason: string;
}

/** Where the audit stages a batch's results as JSON lines for their MERGE (a `stream:<hour>` id spelled without its colon). */
export const dqStagingDir = (root: string, batchId: string) => `${root}/meta/dq/batch_id=${batchId.replace(/:/g, '_')}`;
