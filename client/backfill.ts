import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import type { Config } from '../lib/config';
import { QpipeError } from '../lib/errors';
import { datesBetween, hoursBetween } from '../lib/pure/slots';
import { createTemporalClient } from '../lib/temporal';
import { hourlyBatchWorkflowId } from '../workflows/hourly-batch';
import type { CommandContext } from './context';

/**
 * What `qpipe backfill` can run: each pipeline's slots in a range, its workflow and input per slot,
 * and its default concurrency. The hourly batch runs one slot at a time by default: its batch
 * activities share one lane anyway (see `batchLaneOf`), and in-order runs commit landing files
 * to the hour a scheduled run would have. Daily dumps are independent reads: 4 at once.
 */
export const backfillPipelines = {
  'hourly-batch': {
    workflowType: 'hourlyBatch',
    slots: hoursBetween,
    input: (hour: string) => ({ hour }),
    workflowId: hourlyBatchWorkflowId,
    defaultConcurrency: 1,
    slotFormat: 'YYYY-MM-DDTHH (UTC)',
  },
  'daily-dump': {
    workflowType: 'dailyDump',
    slots: datesBetween,
    input: (date: string) => ({ date }),
    workflowId: (date: string) => `daily-dump-${date}`,
    defaultConcurrency: 4,
    slotFormat: 'YYYY-MM-DD',
  },
} as const;

export type BackfillPipeline = keyof typeof backfillPipelines;
export const backfillNames = Object.keys(backfillPipelines) as BackfillPipeline[];

/** How one slot ended: run now (or joined while running), completed before (skipped), or failed. */
export type SlotOutcome = 'ran' | 'already-done' | 'failed';

export interface BackfillProgress {
  readonly total: number;
  readonly ran: number;
  readonly alreadyDone: number;
  readonly failed: number;
  readonly running: number;
}

export interface BackfillResult extends BackfillProgress {
  readonly slots: { readonly slot: string; readonly workflowId: string; readonly outcome: SlotOutcome; readonly error?: string }[];
}

/**
 * Runs the pipeline's workflow for every slot from `from` to `to`, oldest first, at most
 * `concurrency` at a time, with the ids the CLI uses (`hourly-batch-<hour>`, `daily-dump-<date>`):
 * a slot whose workflow already completed is not run again (reuse policy "failed only"), a running
 * one is joined, a failed one is run again. So an interrupted backfill resumes where it stopped.
 */
export async function backfill(
  client: Client,
  config: Config,
  name: BackfillPipeline,
  range: { from: string; to: string; concurrency?: number },
  onProgress: (progress: BackfillProgress) => void = () => undefined,
): Promise<BackfillResult> {
  const pipeline = backfillPipelines[name];
  let slots: string[];
  try {
    slots = pipeline.slots(range.from, range.to);
  } catch (error) {
    throw new QpipeError(`backfill ${name}: ${(error as Error).message} (slots are ${pipeline.slotFormat})`);
  }
  const concurrency = range.concurrency ?? pipeline.defaultConcurrency;
  const results: BackfillResult['slots'] = [];
  const counts = { total: slots.length, ran: 0, alreadyDone: 0, failed: 0, running: 0 };
  onProgress({ ...counts });

  async function runSlot(slot: string): Promise<void> {
    const workflowId = pipeline.workflowId(slot);
    counts.running += 1;
    onProgress({ ...counts });
    let outcome: SlotOutcome;
    let error: string | undefined;
    try {
      const handle = await client.workflow.start(pipeline.workflowType, {
        workflowId,
        taskQueue: config.temporal.taskQueue,
        args: [pipeline.input(slot)],
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      });
      await handle.result();
      outcome = 'ran';
    } catch (caught) {
      if (caught instanceof WorkflowExecutionAlreadyStartedError) {
        outcome = 'already-done';
      } else {
        outcome = 'failed';
        error = caught instanceof Error ? `${caught.message}${caught.cause instanceof Error ? `: ${caught.cause.message}` : ''}` : String(caught);
      }
    }
    counts.running -= 1;
    counts[outcome === 'ran' ? 'ran' : outcome === 'already-done' ? 'alreadyDone' : 'failed'] += 1;
    results.push({ slot, workflowId, outcome, error });
    onProgress({ ...counts });
  }

  // A fixed pool: each lane takes the next slot in order when its run ends.
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, slots.length) }, async () => {
    while (next < slots.length) await runSlot(slots[next++]!);
  });
  await Promise.all(lanes);
  results.sort((a, b) => (a.slot < b.slot ? -1 : 1));
  return { ...counts, slots: results };
}

/** A one-line bar: `[#####-----] 5/10 · 4 ran · 1 already done · 0 failed · 1 running · 12 s`. */
export function formatProgress(name: string, progress: BackfillProgress, elapsedMs: number, width = 24): string {
  const done = progress.ran + progress.alreadyDone + progress.failed;
  const filled = progress.total === 0 ? width : Math.round((done / progress.total) * width);
  return `backfill ${name} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${progress.total} · ${progress.ran} ran · ${progress.alreadyDone} already done · ${progress.failed} failed · ${progress.running} running · ${Math.round(elapsedMs / 1000)} s`;
}

export interface BackfillOptions {
  from: string;
  to: string;
  concurrency?: number;
}

/** `qpipe backfill hourly-batch|daily-dump --from T --to T [--concurrency N]`. */
export async function runBackfill({ config }: CommandContext, name: string, options: BackfillOptions): Promise<void> {
  if (!(name in backfillPipelines)) throw new QpipeError(`unknown pipeline ${name}: expected ${backfillNames.join(' or ')}`);
  const pipelineName = name as BackfillPipeline;
  const client = await createTemporalClient(config.temporal);
  const started = Date.now();
  const tty = process.stderr.isTTY;
  let lastLine = '';
  try {
    const result = await backfill(client, config, pipelineName, options, (progress) => {
      const line = formatProgress(name, progress, Date.now() - started);
      if (tty) process.stderr.write(`\r${line}`);
      else if (line.replace(/ · \d+ s$/, '') !== lastLine.replace(/ · \d+ s$/, '')) process.stderr.write(`${line}\n`);
      lastLine = line;
    });
    if (tty) process.stderr.write('\n');
    for (const slot of result.slots) process.stdout.write(`${slot.slot}\t${slot.outcome}\t${slot.workflowId}${slot.error ? `\t${slot.error}` : ''}\n`);
    if (result.failed > 0) throw new QpipeError(`backfill ${name}: ${result.failed} of ${result.total} slots failed; run the same command again to retry them`);
  } finally {
    await client.connection.close();
  }
}
