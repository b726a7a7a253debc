import { userInfo } from 'node:os';
import type { Column, Row } from '../lib/hive-client';
import { withHive } from '../lib/hive-client';
import { loadChecks } from '../lib/dq-checks';
import { UsageError } from '../lib/errors';
import { loadJob } from '../lib/jobs';
import { isBatchId, parseLogicalHour } from '../lib/pure/batch';
import type { Check } from '../lib/pure/dq';
import { sqlIdentifier } from '../lib/pure/sql';
import { batchDecision, batchDecisionWorkflowId, type BatchDecisionResult } from '../workflows/batch-decision';
import type { CommandContext } from './context';
import { formatRows, type OutputFormat } from './format';
import { startOrJoin } from './run';
import { confirm } from './warehouse';

export interface BatchDecisionOptions {
  reason: string;
  by?: string;
  yes?: boolean;
}

/**
 * `qpipe batch release|discard BATCH_ID --reason WHY [--by WHO] [--yes]`: records the decision (who:
 * `--by`, else `QPIPE_OPERATOR`, else the login name; when; why) and processes the batches that
 * waited behind the held one; prints the decision and what was published. A discard asks first.
 */
export async function runBatchDecision({ config }: CommandContext, decision: 'release' | 'discard', batchId: string, options: BatchDecisionOptions): Promise<void> {
  if (!isBatchId(batchId)) throw new UsageError('BATCH_ID', `"${batchId}" is not a batch id (YYYY-MM-DDTHH)`);
  if (!options.reason.trim()) throw new UsageError('--reason', 'say why');
  if (decision === 'discard') {
    await confirm(`Discard batch ${batchId} in ${config.hive.database}: it is never published; its files stay archived and a resend of them is ingested as new.`, options.yes);
  }
  const decidedBy = options.by ?? config.dq.operator ?? userInfo().username;
  await startOrJoin(config, batchDecision, batchDecisionWorkflowId(decision, batchId), { batchId, decision, decidedBy, reason: options.reason }, true, formatBatchDecision);
}

export function formatBatchDecision(result: BatchDecisionResult, durationMs: number): string {
  const { decision } = result;
  const lines = [`batch ${decision.decision} ${decision.batchId}: by ${decision.decidedBy} at ${decision.decidedAt} (${decision.reason}); done in ${(durationMs / 1000).toFixed(1)} s`];
  for (const batch of result.processed) lines.push(`  published ${batch.batchId}: ${batch.rowsLoaded.sales_transactions_fact} fact rows`);
  if (result.processed.length === 0) lines.push('  published: none');
  if (result.held) lines.push(`  held again: ${result.held.batchId} (${result.held.holding.map((check) => `${check.table_name}.${check.check_name}`).join(', ')})`);
  return lines.join('\n') + '\n';
}

export interface DqResultsOptions {
  batch?: string;
  hour?: string;
  limit?: number;
  format: OutputFormat;
}

/** `qpipe dq results [--batch B | --hour H] [--limit N] [--format …]`: rows of dq_results, newest batch first. */
export async function runDqResults({ config, log }: CommandContext, options: DqResultsOptions): Promise<void> {
  if (options.batch !== undefined && options.hour !== undefined) throw new UsageError('--batch', 'give --batch or --hour, not both');
  if (options.hour !== undefined) {
    try {
      parseLogicalHour(options.hour);
    } catch (error) {
      throw new UsageError('--hour', (error as Error).message);
    }
  }
  const statements = loadJob('dq_results_list', {
    database: sqlIdentifier(config.hive.database),
    batch_id: options.batch ?? null,
    hour: options.hour ?? null,
    limit: options.limit ?? null,
  });
  const { columns, rows } = await withHive(config.hive, log.child({ component: 'hive' }), (hive) => hive.query(statements[0]!));
  process.stdout.write(formatRows(columns, rows, options.format) + '\n');
}

const checkColumns: Column[] = ['table', 'check', 'type', 'severity', 'settings', 'description'].map((name) => ({ name, type: 'STRING' }));

/** `qpipe dq checks [--format …]`: every declared check (the check files are validated on the way). */
export function runDqChecks({ config }: CommandContext, options: { format: OutputFormat }): void {
  const rows: Row[] = loadChecks(config.dq.checksDir).map((check) => ({
    table: check.table,
    check: check.name,
    type: check.type,
    severity: check.severity,
    settings: settingsOf(check),
    description: check.description ?? null,
  }));
  process.stdout.write(formatRows(checkColumns, rows, options.format) + '\n');
}

function settingsOf(check: Check): string {
  const { table: _table, name: _name, type: _type, severity: _severity, description: _description, ...settings } = check;
  return Object.entries(settings)
    .map(([key, value]) => `${key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)}=${Array.isArray(value) ? value.join('|') : String(value).replace(/\s+/g, ' ')}`)
    .join(' ');
}
