import type { Client } from '@temporalio/client';
import { HdfsClient } from '../lib/hdfs-client';
import type { Column, Row } from '../lib/hive-client';
import { createKafka, recordsWithin } from '../lib/kafka';
import { batchQueue, newestProcessedBatch, pipelineNames, pipelineRuns, type PipelineName } from '../lib/pipeline-state';
import { batchLaneOf } from '../lib/pure/slots';
import { evaluateStatus, type PartitionFacts, type PipelineFacts, type StatusFacts, type StatusReport } from '../lib/pure/status';
import { streamCommitsDir, topicPartitionKey } from '../lib/pure/stream';
import { readCommittedOffsets } from '../lib/stream/commits';
import { createTemporalClient } from '../lib/temporal';
import { LocalStack } from '../stack/stack';
import type { CommandContext } from './context';
import { formatRows, type OutputFormat } from './format';
import { describeIfExists, pipelineSchedules } from './schedules';

/** A worker counts as up when it polled its task queues within this long. */
const pollerFreshMs = 90_000;
/** The deadline of all the report's Temporal calls together. */
const temporalDeadlineMs = 30_000;

/** Each pipeline's schedule and runs. */
async function pipelineFacts(client: Client, context: CommandContext): Promise<PipelineFacts[]> {
  const schedules = pipelineSchedules(context.config);
  return Promise.all(
    pipelineNames.map(async (name: PipelineName): Promise<PipelineFacts> => {
      const scheduleId = schedules.find((schedule) => schedule.name === name)?.scheduleId;
      const description = scheduleId ? await describeIfExists(client, scheduleId) : undefined;
      const runs = await pipelineRuns(client, context.config.temporal.taskQueue, name);
      return {
        name,
        schedule: description ? { paused: description.state.paused, nextRun: description.info.nextActionTimes[0]?.toISOString() ?? null } : null,
        lastSuccessSlot: runs.lastSuccessSlot,
        lastSuccessAt: runs.lastSuccessAt,
        lastFailure: runs.lastFailure,
        running: runs.running,
      };
    }),
  );
}

/** Whether a worker polls both of the deployment's task queues (workflows and the batch lane). */
async function workerHealth(client: Client, { config }: CommandContext, now: number): Promise<{ name: string; healthy: boolean; detail: string }> {
  const queues = [
    // TaskQueueType: 1 workflow, 2 activity
    { name: config.temporal.taskQueue, type: 1 },
    { name: batchLaneOf(config.temporal.taskQueue), type: 2 },
  ];
  const missing: string[] = [];
  for (const queue of queues) {
    const { pollers } = await client.workflowService.describeTaskQueue({ namespace: config.temporal.namespace, taskQueue: { name: queue.name }, taskQueueType: queue.type });
    const fresh = (pollers ?? []).filter((poller) => {
      const seconds = Number(poller.lastAccessTime?.seconds ?? 0);
      return now - seconds * 1000 <= pollerFreshMs;
    });
    if (fresh.length === 0) missing.push(queue.name);
  }
  return missing.length === 0
    ? { name: 'worker', healthy: true, detail: `polling ${queues.map((queue) => queue.name).join(' and ')}` }
    : { name: 'worker', healthy: false, detail: `no worker polled ${missing.join(' and ')} in the last ${pollerFreshMs / 1000} s` };
}

/** The stream's partitions: committed (HDFS) against Kafka's end and the objective's offsets. */
async function streamFacts({ config, log }: CommandContext, hdfs: HdfsClient, now: number): Promise<StatusFacts['stream']> {
  const { topic, dlqTopic } = config.kafka;
  const kafka = createKafka(config.kafka, log);
  const admin = kafka.admin();
  await admin.connect();
  let partitions: PartitionFacts[];
  try {
    const committed = await readCommittedOffsets(hdfs, config.hdfs.root);
    const [ends, atObjective] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchTopicOffsetsByTimestamp(topic, now - config.objectives.streamWithinMinutes * 60_000)]);
    const objective = new Map(atObjective.map(({ partition, offset }) => [partition, BigInt(offset)]));
    partitions = ends
      .map(({ partition, high }) => ({ partition, committed: committed.get(topicPartitionKey(topic, partition)) ?? 0n, end: BigInt(high), objectiveOffset: objective.get(partition) ?? BigInt(high) }))
      .sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
  const commits = (await hdfs.listIfExists(streamCommitsDir(config.hdfs.root))).filter((file) => file.name.startsWith(`${topic}+`));
  const lastDurable = Math.max(0, ...commits.map((file) => file.modificationTime));
  const deadLettersLastHour = await recordsWithin(kafka, dlqTopic, now - 3_600_000, now).catch(() => 0);
  return { topic, partitions, lastDurableAt: lastDurable > 0 ? new Date(lastDurable).toISOString() : null, deadLettersLastHour };
}

/** Gathers the facts, each source on its own: one that cannot be read is a service down, not a crash. */
export async function gatherStatus(context: CommandContext): Promise<StatusReport> {
  const { config } = context;
  const now = Date.now();
  const hdfs = new HdfsClient(config.hdfs, context.log.child({ component: 'hdfs' }));
  /** A source's value, or why it could not be read (logged): the report says so instead of failing. */
  const read = <T>(what: string, reading: () => Promise<T>): Promise<{ value: T } | { unreadable: string }> =>
    reading().then(
      (value) => ({ value }),
      (error: unknown) => {
        context.log.warn({ err: error }, `status: ${what} could not be read`);
        return { unreadable: (error as Error).message };
      },
    );
  const stackServices = (await new LocalStack(config).status()).map((service) => ({ name: service.name, healthy: service.healthy, detail: service.healthy ? service.endpoints : (service.problem ?? 'down') }));
  const connected = await read('Temporal', () => createTemporalClient(config.temporal, 5_000));
  const client = 'value' in connected ? connected.value : undefined;
  // Every Temporal call of the report shares one deadline: a stalled server cannot hang it.
  const temporalCall = <T>(reading: (client: Client) => Promise<T>) => () => (client ? client.connection.withDeadline(now + temporalDeadlineMs, () => reading(client)) : Promise.reject(new Error((connected as { unreadable: string }).unreadable)));
  try {
    const [pipelines, worker, queue, newest, stream] = await Promise.all([
      read('the pipelines\' runs (Temporal)', temporalCall((temporal) => pipelineFacts(temporal, context))),
      read('the workers\' polls (Temporal)', temporalCall((temporal) => workerHealth(temporal, context, now))),
      read('the batch queue (HDFS)', () => batchQueue(hdfs, config.hdfs.root)),
      read('the newest batch loaded (HDFS)', () => newestProcessedBatch(hdfs, config.hdfs.root)),
      read('the stream (Kafka, HDFS)', () => streamFacts(context, hdfs, now)),
    ]);
    return evaluateStatus(
      {
        now,
        pipelines: 'value' in pipelines ? pipelines.value : pipelineNames.map((name) => ({ name, schedule: null, lastSuccessSlot: null, lastSuccessAt: null, lastFailure: null, running: 0, unreadable: pipelines.unreadable })),
        pendingBatches: 'value' in queue ? queue.value.pending : [],
        heldBatches: 'value' in queue ? queue.value.held : [],
        ...('unreadable' in queue ? { queueUnreadable: queue.unreadable } : {}),
        newestHourLoaded: 'value' in newest ? newest.value : null,
        stream: 'value' in stream ? stream.value : { topic: config.kafka.topic, partitions: [], lastDurableAt: null, deadLettersLastHour: 0, unreadable: stream.unreadable },
        services: [...stackServices, 'value' in worker ? worker.value : { name: 'worker', healthy: false, detail: `could not be read: ${worker.unreadable}` }],
      },
      config.objectives,
    );
  } finally {
    await client?.connection.close();
  }
}

const column = (name: string, type = 'STRING'): Column => ({ name, type });

/** `qpipe status [--format table|json]`: one screen for an operator; exit 2 when an objective is breached. */
export async function runStatus(context: CommandContext, options: { format: OutputFormat }): Promise<void> {
  const report = await gatherStatus(context);
  process.stdout.write(`${formatStatus(report, options.format)}\n`);
  if (!report.ok) process.exitCode = 2;
}

/** The report as JSON, or its sections as tables (csv) one after the other. */
export function formatStatus(report: StatusReport, format: OutputFormat): string {
  if (format === 'json') return JSON.stringify(report, null, 2);
  const pipelineRows: Row[] = report.pipelines.map((pipeline) => ({
    pipeline: pipeline.name,
    ok: pipeline.ok ? 'ok' : 'NOT OK',
    paused: pipeline.paused,
    next_run: pipeline.next_run,
    last_success_slot: pipeline.last_success_slot,
    last_success_at: pipeline.last_success_at,
    running: pipeline.running,
    last_failure: pipeline.last_failure ? `${pipeline.last_failure_at} ${pipeline.last_failure}` : null,
  }));
  const { warehouse, stream } = report;
  const held = report.pipelines.find((pipeline) => pipeline.name === 'hourly-batch')?.held_batches ?? [];
  const sections = [
    formatRows(['pipeline', 'ok', 'paused', 'next_run', 'last_success_slot', 'last_success_at', 'running', 'last_failure'].map((name) => column(name, name === 'paused' ? 'BOOLEAN' : name === 'running' ? 'INT' : 'STRING')), pipelineRows, format),
    warehouse.unreadable
      ? `warehouse: newest hour loaded ${warehouse.newest_hour_loaded ?? 'none'}; the batch queue could not be read: ${warehouse.unreadable}`
      : `warehouse: newest hour loaded ${warehouse.newest_hour_loaded ?? 'none'}; ${warehouse.pending_batches} batch(es) pending, ${warehouse.held_batches} held${held.length > 0 ? ` (${held.join(', ')}: bin/qpipe dq results --batch B, then batch release|discard)` : ''}`,
    stream.unreadable ? `stream ${stream.topic}: could not be read: ${stream.unreadable}` : `stream ${stream.topic}: consumer lag ${stream.consumer_lag}, last durable flush ${stream.last_durable_at ?? 'never'}, ${stream.dead_letters_last_hour} dead letter(s) in the last hour`,
    formatRows([column('service'), column('healthy', 'BOOLEAN'), column('detail')], report.services.map((service) => ({ service: service.name, healthy: service.healthy, detail: service.detail })), format),
    formatRows([column('objective'), column('ok'), column('detail')], report.objectives.map((objective) => ({ objective: objective.objective, ok: objective.ok ? 'ok' : 'BREACHED', detail: objective.detail })), format),
  ];
  return sections.join('\n\n');
}
