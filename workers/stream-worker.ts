import { Partitioners, type Consumer, type EachBatchPayload, type Kafka, type Producer } from 'kafkajs';
import type { Config } from '../lib/config';
import type { HdfsClient } from '../lib/hdfs-client';
import { ensureTopics } from '../lib/kafka';
import type { Logger } from '../lib/log';
import { MetricsRegistry, serveMetrics } from '../lib/metrics';
import { deadLetterSends } from '../lib/pure/dead-letters';
import { FencedError } from '../lib/stream/epoch';
import { parseBatch } from '../lib/stream/parse-batch';
import { ParseThread } from '../lib/stream/parse-thread';
import { PartitionWriter, type DeadLetterSink, type FlushResult } from '../lib/stream/partition-writer';

/**
 * The long-running Kafka → HDFS stream worker (`qpipe stream`): a consumer group on the app-log
 * topic whose partitions each have a {@link PartitionWriter}. Exactly-once comes from HDFS: a
 * writer's commit file says what is durable, each assignment starts from it (seeking the consumer
 * there), and the Kafka offset is committed only after a flush is durable. Bad records go to the
 * dead-letter topic with their reason and source position in headers; they never stop the stream.
 *
 * Back-pressure: a partition has at most two fetched batches in flight (one parsing while the one
 * before is applied and, when due, flushed), so memory is bounded by the rotation size plus two
 * batches per partition. SIGTERM/SIGINT: stop fetching, flush every buffer, commit, leave the group.
 */

export interface StreamMetrics {
  events: number;
  deadLetters: number;
  files: number;
  bytes: number;
  flushes: number;
  /** Flushes that failed and were redone from HDFS. */
  flushFailures: number;
  lag: Map<number, bigint>;
  /** Per partition, the newest event time (epoch ms) made durable. */
  newestDurableEventMs: Map<number, number>;
  /** When the worker last joined its group (epoch ms): its partitions assigned, fetching starts. */
  joinedAt: number | undefined;
}

export interface StreamWorker {
  /** Resolves when the worker has stopped (after `stop()` or a fatal error). */
  readonly stopped: Promise<void>;
  readonly metrics: StreamMetrics;
  stop(): Promise<void>;
}

interface Owned {
  writer: PartitionWriter;
  /** Flushes and adds of one partition run one at a time. */
  lock: Promise<unknown>;
  /** Set once the consumer was sought to the committed offset for this assignment. */
  sought: boolean;
  nextOffset: string | undefined;
}

export async function startStreamWorker(config: Config, kafka: Kafka, hdfs: HdfsClient, log: Logger, onFlush: (result: FlushResult) => void = () => undefined): Promise<StreamWorker> {
  const { topic, dlqTopic } = config.kafka;
  const { groupId, rotateBytes, rotateMs, sourceOffsetMinutes } = config.stream;
  await ensureTopics(kafka, config.kafka);
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  const consumer: Consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 1_000, maxBytesPerPartition: Math.min(rotateBytes, 8 * 1024 * 1024), sessionTimeout: config.stream.sessionTimeoutMs, heartbeatInterval: Math.max(1_000, Math.floor(config.stream.sessionTimeoutMs / 10)) });
  await producer.connect();
  await consumer.connect();

  const metrics: StreamMetrics = { events: 0, deadLetters: 0, files: 0, bytes: 0, flushes: 0, flushFailures: 0, lag: new Map(), newestDurableEventMs: new Map(), joinedAt: undefined };
  const owned = new Map<number, Owned>();
  const sendDeadLetters: DeadLetterSink = async (source, partition, letters) => {
    // In sends under the broker's message size limit (see lib/pure/dead-letters.ts), one after the
    // other; a retried flush may send a letter again (at least once: its source headers tell copies apart).
    for (const messages of deadLetterSends(letters, source, partition)) await producer.send({ topic: dlqTopic, acks: -1, messages });
  };

  /** Runs `task` after the partition's earlier tasks. */
  function withPartition<T>(state: Owned, task: () => Promise<T>): Promise<T> {
    const run = state.lock.then(task, task);
    state.lock = run.catch(() => undefined);
    return run;
  }

  /**
   * Makes the partition's buffer durable, then commits the Kafka offset after it — unless the
   * consumer has already stopped (shutdown), when kafkajs can no longer commit: HDFS is the truth,
   * and the next start seeks from the commit file and skips what is already durable.
   *
   * A failed flush (HDFS or the DLQ unreachable) leaves the writer's buffer and the commit file's
   * intent out of step: the writer is dropped and the consumer sought back to the committed offset,
   * so the partition's next batch recovers it from HDFS (deleting the failed flush's files) and
   * reads the records again — never the same offsets twice under a wider name. Returns false then.
   */
  async function flush(partition: number, state: Owned, commitToKafka = true): Promise<boolean> {
    let result: FlushResult | undefined;
    try {
      result = await state.writer.flush(sendDeadLetters);
    } catch (error) {
      const current = owned.get(partition) === state;
      if (current) owned.delete(partition);
      const resumeAt = state.writer.resumeOffset;
      metrics.flushFailures += 1;
      if (error instanceof FencedError) {
        // Another member recovered the partition: the group gave it away and this member has not
        // heard yet. Its heartbeat after this batch learns it (within the 1 s heartbeat interval);
        // until then a batch it still fetches recovers the partition again, fencing the other
        // back: a few batches read twice, never a loss or a duplicate (every recovery fences
        // before it reads the commit file).
        log.warn({ err: error, topic, partition }, 'stream flush refused: a newer owner of the partition fenced this writer; its buffer is dropped (the owner reads it again from HDFS)');
      } else {
        log.error({ err: error, topic, partition, resumeAt }, 'stream flush failed: the partition is recovered from HDFS and read again from its committed offset');
      }
      // A writer replaced in this process (a revoke and reassign) must not move its successor's position.
      if (commitToKafka && current) {
        try {
          consumer.seek({ topic, partition, offset: resumeAt });
        } catch (seekError) {
          log.warn({ err: seekError, topic, partition }, 'could not seek back (the partition was taken away: its new owner reads from HDFS)');
        }
      }
      return false;
    }
    if (!result) return true;
    if (commitToKafka) {
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(result.last) + 1n).toString() }]).catch((error: unknown) => log.warn({ err: error, topic, partition }, 'Kafka offset commit failed after a durable flush (HDFS stays the truth)'));
    }
    metrics.events += result.events;
    metrics.deadLetters += result.deadLetters;
    metrics.files += result.files.length;
    metrics.bytes += result.bytes;
    metrics.flushes += 1;
    if (result.newestEventMs !== undefined && result.newestEventMs > (metrics.newestDurableEventMs.get(partition) ?? -Infinity)) metrics.newestDurableEventMs.set(partition, result.newestEventMs);
    log.info({ topic, partition, first: result.first, last: result.last, events: result.events, deadLetters: result.deadLetters, files: result.files.length, bytes: result.bytes }, 'stream flush durable');
    onFlush(result);
    return true;
  }

  async function ownership(partition: number): Promise<Owned> {
    let state = owned.get(partition);
    if (!state) {
      const { writer, nextOffset } = await PartitionWriter.recover(hdfs, { root: config.hdfs.root, topic, partition, rotateBytes, rotateMs, zoneOffsetMinutes: sourceOffsetMinutes }, log);
      state = { writer, lock: Promise.resolve(), sought: false, nextOffset };
      owned.set(partition, state);
      log.info({ topic, partition, nextOffset: nextOffset ?? 'the group offset' }, 'partition assigned');
    }
    return state;
  }

  // A new assignment drops the writers of partitions taken away (their unflushed buffers are not
  // durable: the new owner reads them again from the commit file).
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    metrics.joinedAt = Date.now();
    const mine = new Set(payload.memberAssignment[topic] ?? []);
    for (const partition of owned.keys()) if (!mine.has(partition)) owned.delete(partition);
    // Its per-partition metrics are the new owner's to report.
    for (const series of [metrics.lag, metrics.newestDurableEventMs]) for (const partition of series.keys()) if (!mine.has(partition)) series.delete(partition);
  });

  let failed: (error: unknown) => void = () => undefined;
  const fatal = new Promise<void>((_, reject) => (failed = reject));

  const parseThread = config.stream.parseThread ? new ParseThread() : undefined;

  /**
   * Hands a fetched batch to its partition's writer. With the parse thread, the batch is parsed
   * there while this returns after the partition's previous batch is applied, so the client fetches
   * the next batch meanwhile (at most two batches a partition in flight); the batch is applied in
   * order, on the partition's queue, and only to the writer it was fetched for.
   */
  async function eachBatch({ batch, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const partition = batch.partition;
    const state = await ownership(partition);
    if (!state.sought && state.nextOffset !== undefined && BigInt(batch.firstOffset() ?? state.nextOffset) > BigInt(state.nextOffset)) {
      // The group's offset is past what HDFS holds: read again from the commit file's offset.
      state.sought = true;
      consumer.seek({ topic, partition, offset: state.nextOffset });
      return;
    }
    state.sought = true;
    if (!isRunning() || isStale()) return;
    const readAt = Date.now();
    const source = { topic, partition, readAt, zoneOffsetMinutes: sourceOffsetMinutes };
    const messages = batch.messages;
    const lag = BigInt(batch.highWatermark) - BigInt(batch.lastOffset()) - 1n;
    const parsing = parseThread?.parse(messages, source);
    parsing?.catch(() => undefined); // awaited below; a failure is reported there
    const previous = state.lock;
    const applied = withPartition(state, async () => {
      // A writer dropped meanwhile (revoked, or a failed flush) takes nothing more: its successor reads from HDFS.
      if (owned.get(partition) !== state) return;
      const records = messages.filter((message) => state.writer.takes(message.offset));
      if (records.length > 0) {
        // Records already taken (read again after a seek back): the rest is parsed here.
        const parsed = parsing && records.length === messages.length ? await parsing : parseBatch(records, source);
        if (owned.get(partition) !== state) return;
        state.writer.addParsed(records, parsed, readAt);
        // Rotation by size happens at the first batch past it: a file holds whole batches.
        if (state.writer.bufferedBytes >= rotateBytes && !(await flush(partition, state))) return;
      }
      metrics.lag.set(partition, lag);
      if (state.writer.due(Date.now())) await flush(partition, state);
    });
    applied.catch((error: unknown) => failed(error));
    await (parseThread ? previous : applied);
    // isRunning and isStale change only while this task awaits: checked after it.
    if (isRunning() && !isStale()) await heartbeat();
  }

  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ autoCommit: false, partitionsConsumedConcurrently: 3, eachBatch });

  // Rotation by time when nothing arrives.
  const timer = setInterval(() => {
    for (const [partition, state] of owned) {
      if (state.writer.due(Date.now())) void withPartition(state, () => flush(partition, state)).catch((error: unknown) => failed(error));
    }
  }, Math.min(1_000, rotateMs));

  const registry = streamMetricsRegistry(metrics);
  const server = config.stream.metricsPort > 0 ? await serveMetrics(config.stream.metricsPort, () => registry.render(), log) : undefined;
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) failed(payload.error);
  });

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      clearInterval(timer);
      // Fetching stops, every buffer is flushed (and committed to Kafka) at once — not after the
      // consumer's in-flight fetch, which an idle broker holds for up to its wait time — then the
      // consumer stops, and what a last batch may have buffered meanwhile is flushed too.
      consumer.pause([{ topic }]);
      // Partitions flush side by side: each has its own commit file and files.
      await Promise.all([...owned].map(([partition, state]) => withPartition(state, () => flush(partition, state))));
      await consumer.stop();
      await Promise.all([...owned].map(([partition, state]) => withPartition(state, () => flush(partition, state, false))));
      await consumer.disconnect();
      await producer.disconnect();
      await parseThread?.close();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      log.info({ events: metrics.events, deadLetters: metrics.deadLetters, files: metrics.files }, 'stream worker stopped');
    })());
  let markDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (markDone = resolve));
  const stopped = Promise.race([fatal, done]).catch(async (error: unknown) => {
    log.error({ err: error }, 'stream worker failed');
    clearInterval(timer);
    await Promise.allSettled([consumer.disconnect(), producer.disconnect(), parseThread?.close()]);
    server?.close();
    throw error;
  });
  return {
    stopped,
    metrics,
    async stop() {
      await shutdown();
      markDone();
    },
  };
}

/** The stream worker's metrics, read from its counters on each scrape. */
export function streamMetricsRegistry(metrics: StreamMetrics, now: () => number = Date.now): MetricsRegistry {
  const registry = new MetricsRegistry();
  const one = (value: number) => [[{}, value] as const];
  registry.collected('qpipe_stream_events_total', 'counter', 'Valid events made durable in HDFS.', () => one(metrics.events));
  registry.collected('qpipe_stream_dead_letters_total', 'counter', 'Records sent to the dead-letter topic.', () => one(metrics.deadLetters));
  registry.collected('qpipe_stream_files_total', 'counter', 'Files written to the streaming zone.', () => one(metrics.files));
  registry.collected('qpipe_stream_bytes_total', 'counter', 'Bytes written to the streaming zone.', () => one(metrics.bytes));
  registry.collected('qpipe_stream_flush_failures_total', 'counter', 'Flushes that failed and were redone from HDFS.', () => one(metrics.flushFailures));
  const byPartition = <T>(values: Map<number, T>, value: (item: T) => number) => [...values].map(([partition, item]) => [{ partition: String(partition) }, value(item)] as const);
  registry.collected('qpipe_stream_consumer_lag', 'gauge', 'Records behind the partition end, at the last batch.', () => byPartition(metrics.lag, Number));
  registry.collected('qpipe_stream_newest_durable_event_timestamp_seconds', 'gauge', 'Event time of the newest event made durable, per partition (since this worker started).', () => byPartition(metrics.newestDurableEventMs, (ms) => ms / 1000));
  registry.collected('qpipe_stream_event_time_lag_seconds', 'gauge', 'Now minus the event time of the newest durable event, per partition.', () => byPartition(metrics.newestDurableEventMs, (ms) => Math.max(0, now() - ms) / 1000));
  return registry;
}
