/**
 * `qpipe status`'s verdict from the facts it gathered (Temporal, HDFS, Kafka, the services): each
 * pipeline's state, and the objectives, each holding or breached. Pure, so every rule is
 * unit-tested without a clock or a stack.
 */

export interface PipelineFacts {
  readonly name: string;
  /** The schedule's state; null when it was not applied. */
  readonly schedule: { readonly paused: boolean; readonly nextRun: string | null } | null;
  readonly lastSuccessSlot: string | null;
  readonly lastSuccessAt: string | null;
  readonly lastFailure: { readonly workflowId: string; readonly at: string; readonly status: string; readonly reason: string } | null;
  readonly running: number;
  /** Why its runs could not be read (Temporal): its state is unknown, and not ok. */
  readonly unreadable?: string;
}

export interface PartitionFacts {
  readonly partition: number;
  /** The next offset the stream worker has to make durable (HDFS commit file; 0 when none). */
  readonly committed: bigint;
  /** The partition's end offset. */
  readonly end: bigint;
  /** The first offset whose Kafka time is at or after now − the stream objective. */
  readonly objectiveOffset: bigint;
}

export interface StatusFacts {
  readonly now: number;
  readonly pipelines: readonly PipelineFacts[];
  readonly pendingBatches: readonly string[];
  readonly heldBatches: readonly string[];
  /** Why the batch queue could not be read (HDFS): pending and held are then unknown. */
  readonly queueUnreadable?: string;
  /** The newest batch (logical hour) loaded into the warehouse. */
  readonly newestHourLoaded: string | null;
  readonly stream: {
    readonly topic: string;
    readonly partitions: readonly PartitionFacts[];
    /** When a flush last committed (the newest commit file's time). */
    readonly lastDurableAt: string | null;
    readonly deadLettersLastHour: number;
    /** Why Kafka or HDFS could not be read (the objective is then breached). */
    readonly unreadable?: string;
  };
  readonly services: readonly { readonly name: string; readonly healthy: boolean; readonly detail: string }[];
}

export interface Objectives {
  readonly batchWithinMinutes: number;
  readonly streamWithinMinutes: number;
}

export interface PipelineStatus {
  readonly name: string;
  readonly paused: boolean | null;
  readonly next_run: string | null;
  readonly last_success_slot: string | null;
  readonly last_success_at: string | null;
  readonly last_failure: string | null;
  readonly last_failure_at: string | null;
  readonly running: number;
  readonly unreadable?: string;
  readonly pending_batches?: readonly string[];
  readonly held_batches?: readonly string[];
  /** Its last run did not fail after its last success, nothing of it is held, and its objective (if any) holds. */
  readonly ok: boolean;
}

export interface ObjectiveStatus {
  readonly objective: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface StatusReport {
  /** Every objective holds (exit 0); otherwise exit 2. */
  readonly ok: boolean;
  readonly checked_at: string;
  readonly pipelines: readonly PipelineStatus[];
  readonly warehouse: { readonly newest_hour_loaded: string | null; readonly pending_batches: number; readonly held_batches: number; readonly unreadable?: string };
  readonly stream: {
    readonly topic: string;
    readonly unreadable?: string;
    readonly consumer_lag: number;
    readonly last_durable_at: string | null;
    readonly dead_letters_last_hour: number;
    readonly partitions: readonly { readonly partition: number; readonly committed: string; readonly end: string; readonly lag: string }[];
  };
  readonly services: StatusFacts['services'];
  readonly objectives: readonly ObjectiveStatus[];
}

const duration = (minutes: number) => (minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`);
const minutesAgo = (now: number, iso: string) => Math.round((now - Date.parse(iso)) / 60_000);

export function evaluateStatus(facts: StatusFacts, objectives: Objectives): StatusReport {
  const { now } = facts;
  const hourly = facts.pipelines.find((pipeline) => pipeline.name === 'hourly-batch');
  const batchAge = hourly?.lastSuccessAt ? now - Date.parse(hourly.lastSuccessAt) : undefined;
  const batchOk = batchAge !== undefined && batchAge <= objectives.batchWithinMinutes * 60_000;
  const behind = facts.stream.partitions.filter((partition) => partition.committed < partition.objectiveOffset);
  const lag = facts.stream.partitions.reduce((sum, partition) => sum + (partition.end > partition.committed ? partition.end - partition.committed : 0n), 0n);
  const results: ObjectiveStatus[] = [
    {
      objective: `hourly-batch succeeded within ${duration(objectives.batchWithinMinutes)}`,
      ok: batchOk,
      detail: hourly?.unreadable !== undefined ? `its runs could not be read: ${hourly.unreadable}` : hourly?.lastSuccessAt ? `last success ${minutesAgo(now, hourly.lastSuccessAt)} min ago (slot ${hourly.lastSuccessSlot ?? '?'})` : 'no successful run',
    },
    {
      objective: `stream durable within ${objectives.streamWithinMinutes} min`,
      ok: behind.length === 0 && facts.stream.unreadable === undefined,
      detail:
        facts.stream.unreadable !== undefined
          ? `the stream could not be read: ${facts.stream.unreadable}`
          : behind.length === 0
          ? `every record older than ${objectives.streamWithinMinutes} min is durable (lag ${lag})`
          : `partitions ${behind.map((partition) => partition.partition).join(', ')} hold records older than ${objectives.streamWithinMinutes} min not durable (${behind.map((partition) => partition.objectiveOffset - partition.committed).reduce((sum, count) => sum + count, 0n)} of them)`,
    },
  ];
  const pipelines = facts.pipelines.map((pipeline): PipelineStatus => {
    const failedSinceSuccess = pipeline.lastFailure !== null && (pipeline.lastSuccessAt === null || Date.parse(pipeline.lastFailure.at) > Date.parse(pipeline.lastSuccessAt));
    const isBatch = pipeline.name === 'hourly-batch';
    return {
      name: pipeline.name,
      paused: pipeline.schedule?.paused ?? null,
      next_run: pipeline.schedule?.nextRun ?? null,
      last_success_slot: pipeline.lastSuccessSlot,
      last_success_at: pipeline.lastSuccessAt,
      last_failure: pipeline.lastFailure ? `${pipeline.lastFailure.status} ${pipeline.lastFailure.workflowId}: ${pipeline.lastFailure.reason}` : null,
      last_failure_at: pipeline.lastFailure?.at ?? null,
      running: pipeline.running,
      ...(pipeline.unreadable !== undefined ? { unreadable: pipeline.unreadable } : {}),
      ...(isBatch ? { pending_batches: facts.pendingBatches, held_batches: facts.heldBatches } : {}),
      ok: pipeline.unreadable === undefined && !failedSinceSuccess && (!isBatch || (batchOk && facts.heldBatches.length === 0 && facts.queueUnreadable === undefined)),
    };
  });
  return {
    ok: results.every((result) => result.ok),
    checked_at: new Date(now).toISOString(),
    pipelines,
    warehouse: { newest_hour_loaded: facts.newestHourLoaded, pending_batches: facts.pendingBatches.length, held_batches: facts.heldBatches.length, ...(facts.queueUnreadable !== undefined ? { unreadable: facts.queueUnreadable } : {}) },
    stream: {
      topic: facts.stream.topic,
      ...(facts.stream.unreadable !== undefined ? { unreadable: facts.stream.unreadable } : {}),
      consumer_lag: Number(lag),
      last_durable_at: facts.stream.lastDurableAt,
      dead_letters_last_hour: facts.stream.deadLettersLastHour,
      partitions: facts.stream.partitions.map((partition) => ({ partition: partition.partition, committed: String(partition.committed), end: String(partition.end), lag: String(partition.end > partition.committed ? partition.end - partition.committed : 0n) })),
    },
    services: facts.services,
    objectives: results,
  };
}
