import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from './deps';
import { failureTypes } from './failures';
import { statementOptions } from './heartbeat';
import { executeJob } from '../lib/jobs';
import type { StatementOptions } from '../lib/hive-client';
import { decisionPath, isBatchId, manifestPath, processedPath, type DecisionRecord } from '../lib/pure/batch';
import { commitSettings } from '../lib/pure/delta';
import { sqlIdentifier } from '../lib/pure/sql';

/** An operator's decision on a batch: `qpipe batch release|discard`. */
export interface DecideBatchInput {
  readonly batchId: string;
  readonly decision: 'release' | 'discard';
  readonly decidedBy: string;
  readonly reason: string;
}

/** Records a decision's row in batch_decisions (once per batch and decision). */
export async function recordDecision({ hive, config }: ActivityDeps, record: DecisionRecord, options: StatementOptions): Promise<void> {
  await executeJob(
    hive,
    'batch_decision',
    {
      database: sqlIdentifier(config.hive.database),
      batch_id: record.batchId,
      decision: record.decision,
      decided_by: record.decidedBy,
      decided_at: record.decidedAt,
      reason: record.reason,
    },
    { ...options, settings: commitSettings({ kind: 'batch', batch_id: record.batchId, step: record.decision }) },
  );
}

/** The decision activity (on the batch lane, so no batch is processed meanwhile). */
export function decisionActivities(deps: ActivityDeps) {
  const { hdfs, hive, config, log } = deps;
  const root = config.hdfs.root;

  return {
    /**
     * Releases a held batch (the next processing publishes it whatever its fail checks say) or
     * discards it (never processed; its files stay archived and its `ingested_files` rows turn
     * `discarded`, so a resend of the same files is ingested again). Only a held batch: nothing of
     * it was published (a batch that failed partway may have been; `qpipe batch revert` is for those).
     * The marker is written first, so a crash leaves the decision in force and the rerun finishes
     * its idempotent rows; a rerun returns the recorded decision. A batch released cannot be
     * discarded, nor the other way round. Returns the decision's record (who, when, why).
     */
    async decideBatch({ batchId, decision, decidedBy, reason }: DecideBatchInput): Promise<DecisionRecord> {
      const invalid = (why: string) => ApplicationFailure.nonRetryable(`batch ${batchId} cannot be ${decision === 'release' ? 'released' : 'discarded'}: ${why}`, failureTypes.invalidInput);
      if (!isBatchId(batchId)) throw invalid('not a batch id (YYYY-MM-DDTHH)');
      const marker = decisionPath(root, decision, batchId);
      const other = decisionPath(root, decision === 'release' ? 'discard' : 'release', batchId);
      let record: DecisionRecord;
      if (await hdfs.exists(marker)) {
        record = JSON.parse(await hdfs.readText(marker)) as DecisionRecord;
      } else {
        if (!(await hdfs.exists(manifestPath(root, batchId)))) throw invalid('there is no committed batch of that id');
        if (await hdfs.exists(processedPath(root, batchId))) throw invalid('it is already published');
        if (await hdfs.exists(other)) throw invalid(`it was already ${decision === 'release' ? 'discarded' : 'released'}`);
        if (!(await hdfs.exists(decisionPath(root, 'hold', batchId)))) throw invalid('it is not held (its audit holds a batch; a published one is undone with qpipe batch revert)');
        record = { batchId, decision, decidedBy, decidedAt: new Date().toISOString(), reason };
        await hdfs.putAtomic(marker, JSON.stringify(record, null, 2) + '\n');
      }
      const options = statementOptions({ batchId, decision });
      if (decision === 'discard') {
        await executeJob(hive, 'ingested_files_discard', { database: sqlIdentifier(config.hive.database), batch_id: batchId }, { ...options, settings: commitSettings({ kind: 'batch', batch_id: batchId, step: 'discard' }) });
      }
      await recordDecision(deps, record, options);
      log.warn({ ...record }, decision === 'release' ? 'held batch released: the next processing publishes it' : 'batch discarded: never processed, its files stay archived');
      return record;
    },
  };
}
