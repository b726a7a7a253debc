import { heartbeat, previousHeartbeat, statementOptions } from './heartbeat';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from './deps';
import { contractBrokenIsFinal, failureTypes } from './failures';
import { batchIdsIn } from '../lib/raw-zone';
import { pendingBatches } from '../lib/pipeline-state';
import { executeJob, queryJob as queryJobRows } from '../lib/jobs';
import { commitSettings } from '../lib/pure/delta';
import { ensureWarehouse } from '../lib/warehouse-setup';
import {
  datasets,
  hourTimestamp,
  manifestPath,
  manifestsDir,
  processedDir,
  processedPath,
  requiredColumns,
  type BatchManifest,
  type Dataset,
  type LogicalHour,
  type ManifestFile,
  isBatchId,
  revertsDir,
  decisionPath,
  decisionDir,
} from '../lib/pure/batch';
import { csvSchema, typedCells } from '../lib/pure/csv-schema';
import { batchTables, type CheckResult, type CheckStatus } from '../lib/pure/dq';
import { batchAuditor } from './audit';
import { recordDecision } from './decisions';
import { sqlIdentifier, type SqlParams } from '../lib/pure/sql';

/**
 * The process step of the hourly batch: one committed batch (its manifest) into the Delta star
 * schema, exactly once. The SQL is in `jobs/` (one file per table or step); this file only orders
 * the steps, fills their parameters from the manifest, tags each commit with the batch and step,
 * heartbeats between and during statements, and writes the processed marker last.
 *
 * Exactly once: each step that writes a published table is one atomic Delta commit (a MERGE), so
 * a crash leaves every table at its last commit; and each is idempotent (the stages are rebuilt
 * from the raw files, and a MERGE whose batch is already in finds nothing to change and commits
 * nothing), so a rerun after a crash at any moment converges to the tables a clean run gives. The marker `<root>/raw/_processed/<batch>.json` is written only after
 * the last step, and a batch with a marker is not touched again. Batches must be processed one at a
 * time, in batch order (the stages are shared and the type-2 dimensions are built forward in time):
 * a batch older than one already processed, or with an older one still pending, is refused with
 * `CONTRACT_BROKEN`.
 */

/** The steps of one batch, in order. */
export const processSteps = [
  'ddl',
  'stage',
  'audit',
  'rejected_rows',
  'branch_dim',
  'sales_agent_dim',
  'customer_dim',
  'product_dim',
  'fact_plan',
  'fact',
] as const;
export type ProcessStep = (typeof processSteps)[number];

/** The steps whose statement commits to a Delta table: each commit is tagged with the batch and step. */
const committingSteps: ReadonlySet<string> = new Set<ProcessStep>(['rejected_rows', 'branch_dim', 'sales_agent_dim', 'customer_dim', 'product_dim', 'fact']);

export interface ProcessSummary {
  readonly outcome?: 'published';
  readonly batchId: string;
  readonly hour: LogicalHour;
  /** Non-blank data lines read, per dataset (headers excluded). */
  readonly rowsRead: { readonly sales_transactions: number; readonly branches: number; readonly sales_agents: number };
  /** Rows written: fact rows new or changed; dimension versions (products: rows) opened or changed by this batch. */
  readonly rowsLoaded: {
    readonly sales_transactions_fact: number;
    readonly customer_dim: number;
    readonly sales_agent_dim: number;
    readonly branch_dim: number;
    readonly product_dim: number;
  };
  /** Rejected lines by reason, all datasets of the batch together. */
  readonly rowsRejected: Record<string, number>;
  /** Transaction ids already stored with the same content: nothing written. */
  readonly replayed: number;
  /** Transaction ids stored with other content: the stored row was replaced (and logged). */
  readonly changed: number;
  /** Transaction ids stored by a later batch: the later row stays. */
  readonly superseded: number;
  /** Accepted lines overridden by a later line of the same transaction id in this batch. */
  readonly duplicateLines: number;
  /** Data-quality warnings over the fact rows written: offline sale with an agent or branch not in its dimension, online sale without a city, a missing or invalid email. */
  readonly warnings: { readonly unknownAgentOrBranch: number; readonly nullCity: number; readonly invalidEmail: number };
  /** The data-quality checks' verdicts on the batch (dq_results), by status. */
  readonly checks?: Readonly<Record<CheckStatus, number>>;
}

/** A batch the audit held: nothing of it is published until `qpipe batch release` (or it is discarded). */
export interface HeldBatch {
  readonly outcome: 'held';
  readonly batchId: string;
  readonly hour: LogicalHour;
  readonly heldAt: string;
  /** The checks that hold it (a breached or broken check of severity fail). */
  readonly holding: readonly Pick<CheckResult, 'table_name' | 'check_name' | 'status' | 'observed' | 'threshold' | 'failing_rows' | 'message'>[];
}

/** What processBatch returns: the batch published, or held by its audit. */
export type ProcessOutcome = ProcessSummary | HeldBatch;

/** The rows of the shared scratch tables (jobs/stage_counts.sql): this batch's per table, and other batches'. */
interface StageCounts {
  readonly transactions: number;
  readonly branches: number;
  readonly sales_agents: number;
  readonly fact_plan: number;
  readonly other_batches: number;
}

/**
 * What every heartbeat of processBatch carries: the last step it completed, and the scratch tables'
 * rows when that step left them. A retry reads it from the previous attempt's last heartbeat and
 * resumes after `completed` (see `resumePoint`).
 */
interface Progress {
  readonly batchId: string;
  readonly completed?: ProcessStep;
  readonly stage?: StageCounts;
}

/** The steps that (re)build the scratch tables: their counts are recorded after them. */
const scratchSteps: ReadonlySet<ProcessStep> = new Set<ProcessStep>(['stage', 'fact_plan']);

/** How many replaced transactions are logged one by one per batch (the count is always in the summary). */
const maxLoggedChanges = 100;

const { contractBroken, invalidInput } = failureTypes;

interface SummaryRow {
  fact_new: number;
  fact_changed: number;
  fact_replayed: number;
  fact_superseded: number;
  unknown_agent_or_branch: number;
  null_city: number;
  invalid_email: number;
  transaction_lines: number;
  transaction_lines_accepted: number;
  transaction_ids: number;
  branch_lines: number;
  sales_agent_lines: number;
  customer_versions: number;
  sales_agent_versions: number;
  branch_versions: number;
  product_rows: number;
}

/** One raw file of the batch to parse, in batch order. */
interface RawFile {
  readonly dataset: Dataset;
  readonly fileName: string;
  readonly rawPath: string;
  readonly columns: readonly string[];
}

/** The process activities the worker registers: listPendingBatches and processBatch. */
export function processActivities(deps: ActivityDeps) {
  const { listPendingBatches, processBatch } = batchProcessor(deps);
  return { listPendingBatches, processBatch };
}

/**
 * Runs the steps of a batch through `through` without writing the marker: what a run interrupted
 * after that step leaves behind. For tests and operators; not an activity.
 */
export function processBatchSteps(deps: ActivityDeps, batchId: string, through: ProcessStep): Promise<void> {
  return batchProcessor(deps).processBatchSteps(batchId, through);
}

function batchProcessor(deps: ActivityDeps) {
  const { hdfs, hive, config, log, metrics } = deps;
  const root = config.hdfs.root;
  const database = sqlIdentifier(config.hive.database);
  const auditBatch = batchAuditor(deps);

  async function readManifest(batchId: string): Promise<BatchManifest> {
    const file = manifestPath(root, batchId);
    if (!(await hdfs.exists(file))) throw ApplicationFailure.nonRetryable(`batch ${batchId} has no manifest at ${file}`, contractBroken);
    let manifest: BatchManifest;
    try {
      manifest = JSON.parse(await hdfs.readText(file)) as BatchManifest;
    } catch (error) {
      throw ApplicationFailure.create({ message: `the manifest ${file} is not JSON: ${(error as Error).message}`, type: contractBroken, nonRetryable: true, cause: error as Error });
    }
    if (manifest.batchId !== batchId || manifest.hour !== batchId || !Array.isArray(manifest.files)) {
      throw ApplicationFailure.nonRetryable(`the manifest ${file} does not describe batch ${batchId}`, contractBroken);
    }
    return manifest;
  }

  /** The manifest's ingested files, checked, per dataset in batch order (the source's group number, then the name). */
  function rawFilesOf(manifest: BatchManifest): RawFile[] {
    const files = manifest.files.filter((file) => file.status === 'ingested').map((file) => checkedRawFile(manifest.batchId, file));
    return files.sort((a, b) => datasets.indexOf(a.dataset) - datasets.indexOf(b.dataset) || groupOf(a.fileName) - groupOf(b.fileName) || a.fileName.localeCompare(b.fileName));
  }

  function checkedRawFile(batchId: string, file: ManifestFile): RawFile {
    const { dataset, rawPath, columns, fileName } = file;
    const broken = (why: string) => ApplicationFailure.nonRetryable(`batch ${batchId}, file ${fileName}: ${why}`, contractBroken);
    if (!dataset || !datasets.includes(dataset)) throw broken(`unknown dataset ${String(dataset)}`);
    if (typeof rawPath !== 'string' || !rawPath.startsWith(`${root}/raw/`)) throw broken(`raw path ${String(rawPath)} is not under ${root}/raw/`);
    // Spark expands glob characters in a data source path: such a path would read other files.
    if (/[*?[\]{}\\]/.test(rawPath)) throw broken(`raw path ${rawPath} holds glob characters`);
    if (!Array.isArray(columns) || columns.length === 0) throw broken('the manifest lists no header columns');
    const missing = requiredColumns[dataset].filter((column) => !columns.includes(column));
    if (missing.length > 0) throw broken(`the header lacks ${missing.join(', ')}`);
    return { dataset, fileName, rawPath, columns };
  }

  /** Runs a job of a step; a Delta commit it makes names the batch and the step (DESCRIBE HISTORY's userMetadata). */
  async function runJob(progress: Progress, step: string, job: string, params: SqlParams): Promise<void> {
    const { batchId } = progress;
    const settings = committingSteps.has(step) ? commitSettings({ kind: 'batch', batch_id: batchId, step }) : undefined;
    await executeJob(hive, job, params, { ...statementOptions({ ...progress, step }), ...(settings ? { settings } : {}) });
  }

  async function queryJob<T>(progress: Progress, step: string, job: string, params: SqlParams): Promise<T[]> {
    return queryJobRows<T>(hive, job, params, statementOptions({ ...progress, step }));
  }

  async function runStep(manifest: BatchManifest, step: ProcessStep, progress: Progress): Promise<HeldBatch | void> {
    const { batchId, hour } = manifest;
    const validFrom = `${hourTimestamp(hour)}Z`; // UTC whatever the session's time zone
    switch (step) {
      case 'ddl': {
        await contractBrokenIsFinal(() => ensureWarehouse({ hive, database: config.hive.database, log, statementOptions: statementOptions({ ...progress, step }) }));
        return;
      }
      case 'stage': {
        await runJob(progress, step, 'stage_reset', { database });
        const files = rawFilesOf(manifest);
        for (const [index, file] of files.entries()) {
          await runJob(progress, step, 'raw_lines', { raw_path: file.rawPath });
          await runJob(progress, step, `stage_${file.dataset}`, {
            database,
            batch_id: batchId,
            file_seq: index,
            source_file: file.fileName,
            csv_schema: csvSchema(file.dataset, file.columns),
            typed_cells: typedCells(file.dataset, file.columns),
          });
          heartbeat({ ...progress, step, file: file.fileName });
        }
        return;
      }
      case 'audit': {
        const { holding } = await auditBatch(batchId, hour, batchTables, statementOptions({ ...progress, step }));
        if (holding.length === 0) return;
        if (await hdfs.exists(decisionPath(root, 'release', batchId))) {
          log.warn({ batchId, holding: holding.map((result) => `${result.table_name}.${result.check_name}`) }, 'the audit would hold the batch, but it was released: publishing it');
          return;
        }
        return hold(manifest, holding, progress);
      }
      case 'rejected_rows':
        return runJob(progress, step, 'rejected_rows', { database, batch_id: batchId, rejected_at: manifest.ingestedAt });
      case 'branch_dim':
      case 'sales_agent_dim':
      case 'customer_dim':
        return runJob(progress, step, step, { database, batch_id: batchId, valid_from: validFrom });
      case 'product_dim':
        return runJob(progress, step, step, { database, batch_id: batchId });
      case 'fact_plan':
        return runJob(progress, step, 'sales_transactions_fact_plan', { database, batch_id: batchId });
      case 'fact':
        return runJob(progress, step, 'sales_transactions_fact', { database });
    }
  }

  /**
   * Runs the steps of a batch in order, after `from.completed` (default: from the first) through
   * `through` (default: all). No marker. Returns the progress of the last step.
   */
  async function runSteps(
    manifest: BatchManifest,
    through: ProcessStep = processSteps[processSteps.length - 1]!,
    from: Progress = { batchId: manifest.batchId },
  ): Promise<{ progress: Progress; held?: HeldBatch }> {
    let progress = from;
    const first = from.completed === undefined ? 0 : processSteps.indexOf(from.completed) + 1;
    const steps = processSteps.slice(first, processSteps.indexOf(through) + 1);
    // A resumed run checks the tables again first (a migration may have run on the lane meanwhile): the DDL is cheap and idempotent.
    if (first > 0) steps.unshift('ddl');
    for (const step of steps) {
      const started = performance.now();
      const held = await runStep(manifest, step, progress);
      if (held) return { progress, held };
      // The DDL of a resumed run completes nothing new: its progress stays where the run resumed.
      if (step !== 'ddl' || progress.completed === undefined) {
        progress = { batchId: manifest.batchId, completed: step, stage: scratchSteps.has(step) ? await stageCounts(progress) : progress.stage };
      }
      heartbeat(progress);
      const ms = performance.now() - started;
      metrics?.step(step, ms / 1000);
      log.info({ batchId: manifest.batchId, step, ms: Math.round(ms) }, 'process step done');
    }
    return { progress };
  }

  /** Holds the batch: its marker names the checks that hold it, and batch_decisions records the hold. */
  async function hold(manifest: BatchManifest, holding: readonly CheckResult[], progress: Progress): Promise<HeldBatch> {
    const held: HeldBatch = {
      outcome: 'held',
      batchId: manifest.batchId,
      hour: manifest.hour,
      heldAt: new Date().toISOString(),
      holding: holding.map(({ table_name, check_name, status, observed, threshold, failing_rows, message }) => ({ table_name, check_name, status, observed, threshold, failing_rows, message })),
    };
    const reason = holding.map((result) => `${result.table_name}.${result.check_name} ${result.status} (observed ${result.observed ?? 'none'}, threshold ${result.threshold})`).join('; ');
    await recordDecision(deps, { batchId: manifest.batchId, decision: 'hold', decidedBy: 'qpipe audit', decidedAt: held.heldAt, reason }, statementOptions({ ...progress, step: 'audit' }));
    await hdfs.putAtomic(decisionPath(root, 'hold', manifest.batchId), JSON.stringify(held, null, 2) + '\n', { overwrite: true });
    log.warn({ batchId: manifest.batchId, reason }, 'batch held by its audit: nothing of it is published; release or discard it (qpipe batch release|discard)');
    return held;
  }

  async function stageCounts(progress: Progress): Promise<StageCounts> {
    const [counts] = await queryJob<StageCounts>(progress, 'resume', 'stage_counts', { database, batch_id: progress.batchId });
    if (!counts) throw new Error('jobs/stage_counts.sql returned no row');
    return counts;
  }

  /**
   * Where a retry of processBatch starts: after the last step its previous attempt completed (its
   * last heartbeat), when that attempt was of this batch and, for a step after the stage, the
   * scratch tables still hold what that step left (nothing rebuilt them since). Else from the start.
   */
  async function resumePoint(batchId: string): Promise<Progress> {
    const previous = previousHeartbeat() as Partial<Progress> | undefined;
    const completed = previous?.completed;
    if (previous?.batchId !== batchId || completed === undefined || !processSteps.includes(completed)) return { batchId };
    if (processSteps.indexOf(completed) >= processSteps.indexOf('stage')) {
      // A failed count (a table gone) is no reason to fail the attempt: the first step rebuilds everything.
      const now = await stageCounts({ batchId }).catch((error: unknown) => ({ error: String(error) }));
      if (JSON.stringify(now) !== JSON.stringify(previous.stage)) {
        log.warn({ batchId, completed, recorded: previous.stage, now }, 'the scratch tables changed since the previous attempt: the batch is processed from its first step');
        return { batchId };
      }
    }
    log.info({ batchId, completed }, 'resuming the batch after the last step its previous attempt completed');
    return { batchId, completed, stage: previous.stage };
  }

  async function summarize(manifest: BatchManifest, progress: Progress): Promise<ProcessSummary> {
    const { batchId, hour } = manifest;
    const [counts] = await queryJob<SummaryRow>(progress, 'summary', 'process_summary', { database, batch_id: batchId });
    const checks = await queryJob<{ status: CheckStatus; checks: number }>(progress, 'summary', 'dq_batch_counts', { database, batch_id: batchId });
    if (!counts) throw new Error(`jobs/process_summary.sql returned no row for batch ${batchId}`);
    const rejections = await queryJob<{ reason: string; rejected: number }>(progress, 'summary', 'process_rejections', { database, batch_id: batchId });
    const changes = await queryJob<{ transaction_id: string; replaced_batch_id: string | null; transaction_date: string }>(progress, 'summary', 'process_changes', {
      database,
      max_rows: maxLoggedChanges,
    });
    for (const change of changes) {
      log.warn({ batchId, transactionId: change.transaction_id, replacedBatchId: change.replaced_batch_id, transactionDate: change.transaction_date }, 'transaction replaced by a later version');
    }
    return {
      outcome: 'published',
      batchId,
      hour,
      rowsRead: { sales_transactions: counts.transaction_lines, branches: counts.branch_lines, sales_agents: counts.sales_agent_lines },
      rowsLoaded: {
        sales_transactions_fact: counts.fact_new + counts.fact_changed,
        customer_dim: counts.customer_versions,
        sales_agent_dim: counts.sales_agent_versions,
        branch_dim: counts.branch_versions,
        product_dim: counts.product_rows,
      },
      rowsRejected: Object.fromEntries(rejections.map((row) => [row.reason, row.rejected])),
      replayed: counts.fact_replayed,
      changed: counts.fact_changed,
      superseded: counts.fact_superseded,
      duplicateLines: counts.transaction_lines_accepted - counts.transaction_ids,
      warnings: { unknownAgentOrBranch: counts.unknown_agent_or_branch, nullCity: counts.null_city, invalidEmail: counts.invalid_email },
      checks: { pass: 0, warn: 0, fail: 0, error: 0, ...Object.fromEntries(checks.map((row) => [row.status, Number(row.checks)])) },
    };
  }

  async function prepare(batchId: string): Promise<BatchManifest> {
    if (!isBatchId(batchId)) throw ApplicationFailure.nonRetryable(`"${batchId}" is not a batch id (YYYY-MM-DDTHH)`, invalidInput);
    const processed = await batchIdsIn(hdfs, processedDir(root));
    const later = processed.filter((other) => other > batchId);
    if (later.length > 0) {
      throw ApplicationFailure.nonRetryable(`batch ${batchId} is older than the processed batch ${later[later.length - 1]}: batches are processed in time order`, contractBroken);
    }
    const reverting = await batchIdsIn(hdfs, revertsDir(root));
    if (reverting.length > 0) {
      throw ApplicationFailure.nonRetryable(`a revert of batch ${reverting[0]} is unfinished: run qpipe batch revert ${reverting[0]} again before any batch is processed`, contractBroken);
    }
    // A revert makes earlier batches pending again; one listed before it must wait for them. A discarded batch is done.
    const done = new Set([...processed, ...(await batchIdsIn(hdfs, decisionDir(root, 'discard')))]);
    const earlier = (await batchIdsIn(hdfs, manifestsDir(root))).filter((other) => other < batchId && !done.has(other));
    if (earlier.length > 0) {
      throw ApplicationFailure.nonRetryable(`batch ${batchId} has an older batch still pending (${earlier[0]}): batches are processed in time order`, contractBroken);
    }
    return readManifest(batchId);
  }

  return {
    /** Committed batches (a manifest) not yet processed (no marker), oldest first. */
    async listPendingBatches(): Promise<string[]> {
      return pendingBatches(hdfs, root);
    },

    /**
     * Processes one committed batch into the warehouse and writes its processed marker last. A
     * batch that already has a marker is not touched: its recorded summary is returned.
     */
    async processBatch(batchId: string): Promise<ProcessOutcome> {
      const marker = processedPath(root, batchId);
      if (await hdfs.exists(marker)) {
        log.info({ batchId }, 'batch already processed; returning its recorded summary');
        return JSON.parse(await hdfs.readText(marker)) as ProcessSummary;
      }
      if (isBatchId(batchId) && (await hdfs.exists(decisionPath(root, 'discard', batchId)))) {
        throw ApplicationFailure.nonRetryable(`batch ${batchId} was discarded: it is never processed`, invalidInput);
      }
      const heldMarker = isBatchId(batchId) ? decisionPath(root, 'hold', batchId) : undefined;
      if (heldMarker && (await hdfs.exists(heldMarker)) && !(await hdfs.exists(decisionPath(root, 'release', batchId)))) {
        log.warn({ batchId }, 'batch held by its audit: it waits for qpipe batch release or discard, and later batches wait behind it');
        return JSON.parse(await hdfs.readText(heldMarker)) as HeldBatch;
      }
      const started = performance.now();
      const manifest = await prepare(batchId);
      const { progress, held } = await runSteps(manifest, undefined, await resumePoint(batchId));
      if (held) {
        metrics?.held();
        return held;
      }
      const summary = await summarize(manifest, progress);
      await hdfs.putAtomic(marker, JSON.stringify(summary, null, 2) + '\n', { overwrite: true });
      metrics?.published(summary);
      log.info({ ...summary, ms: Math.round(performance.now() - started) }, 'batch processed');
      return summary;
    },

    async processBatchSteps(batchId: string, through: ProcessStep): Promise<void> {
      const { held } = await runSteps(await prepare(batchId), through);
      if (held) throw new Error(`batch ${batchId} was held by its audit`);
    },
  };
}

/** The source's group number in a file name (`…_SS_raw_12.csv` → 12); files without one sort last. */
function groupOf(fileName: string): number {
  const match = /_(\d+)\.csv$/.exec(fileName);
  return match ? Number(match[1]) : Number.MAX_SAFE_INTEGER;
}
