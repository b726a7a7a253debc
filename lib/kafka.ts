import { Kafka, logLevel as KafkaLogLevel, type KafkaConfig as KafkaJsConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { KafkaConfig } from './config';
import { silentLogger, type Logger } from './log';

/**
 * Builds the one kafkajs instance of a process from the config (brokers, TLS, SASL), with
 * deadlines on connecting and on each request, and kafkajs' own log lines routed to our logger.
 */
export function createKafka(config: KafkaConfig, log: Logger = silentLogger): Kafka {
  const options: KafkaJsConfig = {
    clientId: config.clientId,
    brokers: [...config.brokers],
    ssl: config.ssl,
    sasl: config.sasl ? saslOptions(config.sasl) : undefined,
    connectionTimeout: config.timeoutMs,
    requestTimeout: config.timeoutMs,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5_000 },
    logLevel: KafkaLogLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...fields } = entry.log;
      const level = entry.level <= KafkaLogLevel.ERROR ? 'error' : entry.level === KafkaLogLevel.WARN ? 'warn' : 'debug';
      log[level]({ component: 'kafkajs', namespace: entry.namespace, ...fields }, message);
    },
  };
  return new Kafka(options);
}

function saslOptions(sasl: NonNullable<KafkaConfig['sasl']>): SASLOptions {
  const { username, password } = sasl;
  switch (sasl.mechanism) {
    case 'plain':
      return { mechanism: 'plain', username, password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username, password };
  }
}

/**
 * The topics the pipeline needs, with their partition counts (single-node stack: replication 1).
 * The DLQ has as many partitions as the source: a burst of letters spreads over them (keyless,
 * round robin), so no one partition's batch nears the size limit. A letter's source topic,
 * partition and offset are in its headers; the DLQ keeps no order across letters.
 */
export function pipelineTopics(config: KafkaConfig): { topic: string; numPartitions: number }[] {
  return [
    { topic: config.topic, numPartitions: 3 },
    { topic: config.dlqTopic, numPartitions: 3 },
  ];
}

/**
 * Creates the pipeline's topics where missing, and adds partitions to any that has fewer than
 * {@link pipelineTopics} says (a DLQ created with one); idempotent. Resolves to the topics created.
 */
export async function ensureTopics(kafka: Kafka, config: KafkaConfig, replicationFactor = 1): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = pipelineTopics(config);
    const missing = wanted.filter(({ topic }) => !existing.has(topic));
    if (missing.length > 0) {
      await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ ...topic, replicationFactor })) });
    }
    const present = wanted.filter(({ topic }) => existing.has(topic));
    if (present.length > 0) {
      const { topics } = await admin.fetchTopicMetadata({ topics: present.map(({ topic }) => topic) });
      const grow = present.filter(({ topic, numPartitions }) => (topics.find((found) => found.name === topic)?.partitions.length ?? numPartitions) < numPartitions);
      if (grow.length > 0) await admin.createPartitions({ validateOnly: false, topicPartitions: grow.map(({ topic, numPartitions }) => ({ topic, count: numPartitions })) });
    }
    return missing.map(({ topic }) => topic);
  } finally {
    await admin.disconnect();
  }
}

/** Each partition of `topic`: its start offset (the oldest kept, `low`) and its end offset (the next to be written, `high`). */
export async function topicOffsetRanges(kafka: Kafka, topic: string): Promise<Map<number, { low: bigint; high: bigint }>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map(({ partition, low, high }) => [partition, { low: BigInt(low), high: BigInt(high) }]));
  } finally {
    await admin.disconnect();
  }
}

/** The end offset (the next offset to be written) of each partition of `topic`. */
export async function topicEndOffsets(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  return new Map([...(await topicOffsetRanges(kafka, topic))].map(([partition, { high }]) => [partition, high]));
}

/**
 * How many records of `topic` carry a Kafka timestamp in [fromMs, toMs): per partition, the offset
 * of the first record at or after each bound (the end offset when none), subtracted. Exact when
 * timestamps rise within each partition (log append time, or producers stamping in real time).
 */
export async function recordsWithin(kafka: Kafka, topic: string, fromMs: number, toMs: number): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [from, to] = await Promise.all([admin.fetchTopicOffsetsByTimestamp(topic, fromMs), admin.fetchTopicOffsetsByTimestamp(topic, toMs)]);
    const start = new Map(from.map(({ partition, offset }) => [partition, Number(offset)]));
    return to.reduce((sum, { partition, offset }) => sum + Number(offset) - (start.get(partition) ?? Number(offset)), 0);
  } finally {
    await admin.disconnect();
  }
}
