import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Admin, Kafka } from 'kafkajs';
import { loadConfig } from '../../lib/config';
import { createKafka, ensureTopics, recordsWithin } from '../../lib/kafka';

const config = loadConfig();

describe('Kafka factory against the local broker', () => {
  let kafka: Kafka;
  let admin: Admin;
  const topic = `qpipe-test-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    kafka = createKafka(config.kafka);
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('has the pipeline topics, and creating them again changes nothing', async () => {
    const created = await ensureTopics(kafka, config.kafka);
    expect(created).toEqual([]);
    const metadata = await admin.fetchTopicMetadata({ topics: [config.kafka.topic, config.kafka.dlqTopic] });
    expect(metadata.topics.map((t) => [t.name, t.partitions.length]).sort()).toEqual([
      [config.kafka.topic, 3],
      [config.kafka.dlqTopic, 3],
    ]);
  });

  it('gives a DLQ created with one partition as many as the source', async () => {
    const own = { ...config.kafka, topic: `${topic}-src`, dlqTopic: `${topic}-src.dlq` };
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: own.dlqTopic, numPartitions: 1, replicationFactor: 1 }] });
    try {
      expect(await ensureTopics(kafka, own)).toEqual([own.topic]);
      const metadata = await admin.fetchTopicMetadata({ topics: [own.topic, own.dlqTopic] });
      expect(metadata.topics.map((t) => [t.name, t.partitions.length]).sort()).toEqual([
        [own.topic, 3],
        [own.dlqTopic, 3],
      ]);
    } finally {
      await admin.deleteTopics({ topics: [own.topic, own.dlqTopic] }).catch(() => undefined);
    }
  });

  it('round-trips 500 keyless records through an idempotent producer and a consumer group, in order per partition', async () => {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2, replicationFactor: 1 }] });
    const sent = Array.from({ length: 500 }, (_, index) => JSON.stringify({ eventType: 'productView', customerId: String(10000 + index), index }));
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: sent.map((value) => ({ value })) });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `${topic}-group` });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const received: { partition: number; offset: string; value: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${received.length} of 500 records arrived`)), 60_000);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          received.push({ partition, offset: message.offset, value: message.value!.toString() });
          if (received.length === sent.length) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();

    expect(received.map((record) => record.value).sort()).toEqual([...sent].sort());
    for (const partition of [0, 1]) {
      const offsets = received.filter((record) => record.partition === partition).map((record) => Number(record.offset));
      expect(offsets).toEqual(offsets.map((_, index) => index));
    }
  });

  it('counts the records stamped within an hour, over every partition (offsets by timestamp)', async () => {
    const own = `${topic}-hour`;
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: own, numPartitions: 2, replicationFactor: 1 }] });
    try {
      const hour = Date.parse('2026-11-24T07:00:00Z');
      // 2 before the hour, 7 within it (its first and last millisecond included), 3 at its end or after; spread over both partitions.
      const stamps = [hour - 1, hour - 60_000, hour, hour + 1, hour + 1_000, hour + 1_800_000, hour + 1_800_001, hour + 3_000_000, hour + 3_599_999, hour + 3_600_000, hour + 3_600_001, hour + 7_200_000];
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: own, acks: -1, messages: stamps.map((stamp, index) => ({ value: String(index), partition: index % 2, timestamp: String(stamp) })) });
      await producer.disconnect();
      expect(await recordsWithin(kafka, own, hour, hour + 3_600_000)).toBe(7);
      expect(await recordsWithin(kafka, own, hour - 3_600_000, hour)).toBe(2);
      expect(await recordsWithin(kafka, own, hour + 7_200_001, hour + 10_800_000)).toBe(0);
    } finally {
      await admin.deleteTopics({ topics: [own] }).catch(() => undefined);
    }
  });

  it('fails fast against a port where no broker listens', async () => {
    const nowhere = createKafka({ ...config.kafka, brokers: ['127.0.0.1:1'], timeoutMs: 1_000 });
    const lonelyAdmin = nowhere.admin({ retry: { retries: 0 } });
    const started = Date.now();
    const failure = (await lonelyAdmin.connect().catch((error: unknown) => error)) as Error;
    expect(failure.name).toBe('KafkaJSNumberOfRetriesExceeded');
    expect(failure.message).toBe('Connection error: connect ECONNREFUSED 127.0.0.1:1');
    expect((failure.cause as Error).name).toBe('KafkaJSConnectionError');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
