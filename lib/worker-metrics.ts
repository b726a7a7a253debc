import { MetricsRegistry } from './metrics';
import { datasets } from './pure/batch';
import { auditedTables, batchTables, checkStatuses, type CheckResult } from './pure/dq';

/** What the metrics read of a published batch (activities/process.ts ProcessSummary). */
export interface ProcessedFigures {
  readonly rowsRead: Readonly<Record<string, number>>;
  readonly rowsLoaded: Readonly<Record<string, number>>;
  readonly rowsRejected: Readonly<Record<string, number>>;
  readonly replayed: number;
  readonly changed: number;
}

/** What the metrics read of an ingest (activities/ingest.ts IngestSummary). */
export interface IngestFigures {
  readonly ingested: number;
  readonly duplicate: number;
  readonly rejected: number;
}

/** Process steps last from a second to half an hour (a million-row fact MERGE). */
const stepBuckets = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800];

/**
 * The Temporal worker's own metrics (qpipe_…), next to the SDK's (temporal_…) on
 * `QPIPE_WORKER_METRICS_PORT`. The activities record into it as they finish their work; the
 * pipelines' last successful slots and the batch queue are set from Temporal and HDFS when scraped.
 */
export class WorkerMetrics {
  readonly registry = new MetricsRegistry();
  private readonly rows = this.registry.counter(
    'qpipe_batch_rows_total',
    'Rows of the batches this worker published: read (table: the raw dataset), loaded (the warehouse table), rejected (rejected_rows), replayed and changed (the fact).',
  );
  private readonly steps = this.registry.histogram('qpipe_batch_step_seconds', 'Duration of each process step of a batch.', stepBuckets);
  private readonly files = this.registry.counter('qpipe_batch_files_total', 'Files the ingest took, by status: ingested, duplicate, rejected.');
  private readonly batches = this.registry.counter('qpipe_batches_total', 'Batches processed by this worker, by outcome: published or held.');
  private readonly checks = this.registry.counter('qpipe_dq_checks_total', 'Data-quality verdicts (batches and stream hours), by table and status: pass, warn, fail, error (an audit a retry runs again counts again).');
  /** Set per pipeline when scraped. */
  readonly lastSuccessSlot = this.registry.gauge('qpipe_last_success_slot_timestamp_seconds', 'Start of the newest slot the pipeline completed (UTC epoch seconds).');
  /** Set when scraped. */
  readonly queue = this.registry.gauge('qpipe_batches_waiting', 'Batches committed and not processed: state pending (all) and held (by their audit, of the pending).');

  constructor() {
    // Every series it will have starts at 0: Prometheus's increase() counts a series' first increment only from a sample before it.
    for (const table of datasets) this.rows.inc({ table, outcome: 'read' }, 0);
    for (const table of batchTables) this.rows.inc({ table, outcome: 'loaded' }, 0);
    this.rows.inc({ table: 'rejected_rows', outcome: 'rejected' }, 0);
    for (const outcome of ['replayed', 'changed']) this.rows.inc({ table: 'sales_transactions_fact', outcome }, 0);
    for (const status of ['ingested', 'duplicate', 'rejected']) this.files.inc({ status }, 0);
    for (const outcome of ['published', 'held']) this.batches.inc({ outcome }, 0);
    for (const table of auditedTables) for (const status of checkStatuses) this.checks.inc({ table, status }, 0);
  }

  step(step: string, seconds: number): void {
    this.steps.observe({ step }, seconds);
  }

  published(summary: ProcessedFigures): void {
    this.batches.inc({ outcome: 'published' });
    for (const [table, rows] of Object.entries(summary.rowsRead)) this.rows.inc({ table, outcome: 'read' }, rows);
    for (const [table, rows] of Object.entries(summary.rowsLoaded)) this.rows.inc({ table, outcome: 'loaded' }, rows);
    this.rows.inc({ table: 'rejected_rows', outcome: 'rejected' }, Object.values(summary.rowsRejected).reduce((sum, rows) => sum + rows, 0));
    this.rows.inc({ table: 'sales_transactions_fact', outcome: 'replayed' }, summary.replayed);
    this.rows.inc({ table: 'sales_transactions_fact', outcome: 'changed' }, summary.changed);
  }

  held(): void {
    this.batches.inc({ outcome: 'held' });
  }

  ingested(summary: IngestFigures): void {
    for (const status of ['ingested', 'duplicate', 'rejected'] as const) this.files.inc({ status }, summary[status]);
  }

  audited(results: readonly Pick<CheckResult, 'table_name' | 'status'>[]): void {
    for (const result of results) this.checks.inc({ table: result.table_name, status: result.status });
  }
}
