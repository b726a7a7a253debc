import { randomInt } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Kafka } from 'kafkajs';
import { generateEvent } from '../../lib/generate/events';
import { HdfsClient, type PutAtomicOptions, type HdfsBody } from '../../lib/hdfs-client';
import { createKafka, topicEndOffsets } from '../../lib/kafka';
import { silentLogger } from '../../lib/log';
import { hourPartitionDir, parseStreamFileName, streamCommitPath, streamTableDir } from '../../lib/pure/stream';
import { waitUntilDurable } from '../../lib/stream/commits';
import { PartitionWriter } from '../../lib/stream/partition-writer';
import { runDlq, type DlqOptions } from '../../client/dlq';
import { startStreamWorker } from '../../workers/stream-worker';
import { isolatedConfig } from '../helpers/isolated';

// The stream worker against the real Kafka and HDFS: its own topic, group and HDFS root.

const config = isolatedConfig('stream', { QPIPE_STREAM_ROTATE_MS: '1500', QPIPE_STREAM_METRICS_PORT: String(20_000 + randomInt(0, 10_000)) });
const topicSuffix = config.hive.database.replace(/^it_/, '');
const streamConfig = {
  ...config,
  kafka: { ...config.kafka, topic: `it_app_logs_${topicSuffix}`, dlqTopic: `it_app_logs_${topicSuffix}.dlq` },
  stream: { ...config.stream, groupId: `it-stream-${topicSuffix}` },
};
const hdfs = new HdfsClient(config.hdfs, silentLogger);
const nowMs = Date.parse('2026-11-24T12:30:00Z');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Row {
  event_type: string;
  event_ts: string;
  kafka_partition: number;
  kafka_offset: string;
  extra: string | null;
}

/** Every row of every data file in the streaming zone, with the hour directory it was found in. */
async function readZone(): Promise<{ row: Row; dir: string }[]> {
  const rows: { row: Row; dir: string }[] = [];
  for (const date of await hdfs.listIfExists(streamTableDir(config.hdfs.root))) {
    const dateDir = `${streamTableDir(config.hdfs.root)}/${date.name}`;
    for (const hour of await hdfs.list(dateDir)) {
      const dir = `${dateDir}/${hour.name}`;
      for (const file of await hdfs.list(dir)) {
        expect(parseStreamFileName(file.name)).toBeDefined();
        for (const line of gunzipSync(await hdfs.readBytes(`${dir}/${file.name}`)).toString().split('\n').filter(Boolean)) rows.push({ row: JSON.parse(line) as Row, dir });
      }
    }
  }
  return rows;
}

const endOffsets = (kafka: Kafka) => topicEndOffsets(kafka, streamConfig.kafka.topic);
const durableUpTo = (ends: Map<number, bigint>) => waitUntilDurable(hdfs, config.hdfs.root, streamConfig.kafka.topic, ends, 60_000);

describe('the stream worker on the real Kafka and HDFS', () => {
  const kafka = createKafka(streamConfig.kafka, silentLogger);
  const valid: string[] = [];
  const workers: Awaited<ReturnType<typeof startStreamWorker>>[] = [];

  /** Sends `count` generated events with the idempotent producer; they are valid, so the zone must hold them. */
  async function produceValid(seed: string, count: number): Promise<void> {
    const more = Array.from({ length: count }, (_, index) => JSON.stringify(generateEvent(seed, index, { nowMs, spreadHours: 1 })));
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: streamConfig.kafka.topic, acks: -1, messages: more.map((value) => ({ value })) });
    await producer.disconnect();
    valid.push(...more);
  }

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: streamConfig.kafka.topic, numPartitions: 3 }, { topic: streamConfig.kafka.dlqTopic, numPartitions: 1 }] });
    await admin.disconnect();
  });

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [streamConfig.kafka.topic, streamConfig.kafka.dlqTopic] }).catch(() => undefined);
    await admin.disconnect();
    await hdfs.delete(config.hdfs.root, { recursive: true }).catch(() => undefined);
  });

  it('writes every valid event once into its event hour, keeps unknown fields, and dead-letters the bad records with their reason', async () => {
    // Our generator's events, spread over three past hours, from an idempotent producer …
    const ours = Array.from({ length: 900 }, (_, index) => JSON.stringify(generateEvent('stream-it', index, { nowMs, spreadHours: 3 })));
    // … records from a plain producer of the company's shape (no key, no id), one with a new field …
    const theirs = [
      '{"eventType":"purchase","customerId":"48213","productId":"5120","timestamp":"2024-07-04T19:34:04","metadata":{},"quantity":3,"totalAmount":245.17,"paymentMethod":"PayPal"}',
      '{"eventType":"productView","customerId":"10001","productId":"1000","timestamp":"2024-07-04T20:00:00","metadata":{"category":"Books","source":"Direct"},"sessionId":"s-1"}',
    ];
    // … and one record per dead-letter rule.
    const bad = ['{not json', '{"customerId":"1","timestamp":"2024-07-04T19:00:00"}', '{"eventType":"addToCart","timestamp":"yesterday"}'];
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: streamConfig.kafka.topic, acks: -1, messages: ours.map((value) => ({ value })) });
    await producer.disconnect();
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: streamConfig.kafka.topic, messages: [...theirs, ...bad].map((value) => ({ value })) });
    await plain.disconnect();
    valid.push(...ours, ...theirs);

    const worker = await startStreamWorker(streamConfig, kafka, hdfs, silentLogger);
    await durableUpTo(await endOffsets(kafka));
    const metrics = await (await fetch(`http://127.0.0.1:${config.stream.metricsPort}/metrics`)).text();
    expect(metrics).toContain(`\nqpipe_stream_events_total ${valid.length}\n`);
    expect(metrics).toContain(`\nqpipe_stream_dead_letters_total ${bad.length}\n`);
    expect(metrics).toMatch(/\nqpipe_stream_consumer_lag\{partition="0"\} 0\n/);
    // The newest durable event time: the newest of the valid events' own timestamps (UTC when they name no zone).
    const eventMs = (event: string) => {
      const { timestamp } = JSON.parse(event) as { timestamp: string };
      return Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(timestamp) ? timestamp : `${timestamp}Z`);
    };
    const newest = [...metrics.matchAll(/\nqpipe_stream_newest_durable_event_timestamp_seconds\{partition="\d"\} (\S+)/g)].map((match) => Number(match[1]));
    expect(newest).toHaveLength(3);
    expect(Math.max(...newest)).toBe(Math.max(...valid.map(eventMs)) / 1000);
    const lags = [...metrics.matchAll(/\nqpipe_stream_event_time_lag_seconds\{partition="\d"\} (\S+)/g)].map((match) => Number(match[1]));
    expect(lags).toHaveLength(3);
    // scraped just before now: the newest partition's lag is now − the newest event, less the time since the scrape
    const lagNow = (Date.now() - Math.max(...valid.map(eventMs))) / 1000;
    expect(Math.min(...lags)).toBeLessThanOrEqual(lagNow);
    expect(Math.min(...lags)).toBeGreaterThan(lagNow - 60);
    await worker.stop();
    await worker.stopped;

    const rows = await readZone();
    expect(rows).toHaveLength(valid.length);
    expect(new Set(rows.map(({ row }) => `${row.kafka_partition}/${row.kafka_offset}`)).size).toBe(valid.length);
    for (const { row, dir } of rows) {
      const hour = new Date(`${row.event_ts.replace(' ', 'T')}Z`);
      expect(dir).toBe(hourPartitionDir(config.hdfs.root, hour.toISOString().slice(0, 10), hour.getUTCHours()));
    }
    expect(rows.filter(({ row }) => row.extra !== null).map(({ row }) => JSON.parse(row.extra!))).toEqual([{ sessionId: 's-1' }]);
    expect(rows.map(({ row }) => row.event_type).sort()).toEqual(valid.map((value) => (JSON.parse(value) as { eventType: string }).eventType).sort());

    const dlq = kafka.consumer({ groupId: `it-dlq-${topicSuffix}` });
    await dlq.connect();
    await dlq.subscribe({ topic: streamConfig.kafka.dlqTopic, fromBeginning: true });
    const letters: { value: string; reason: string; offset: string }[] = [];
    await dlq.run({
      eachMessage: async ({ message }) => {
        letters.push({ value: message.value!.toString(), reason: message.headers!['qpipe.reason']!.toString(), offset: message.headers!['qpipe.source.offset']!.toString() });
      },
    });
    for (let waited = 0; letters.length < bad.length && waited < 30_000; waited += 200) await sleep(200);
    await dlq.disconnect();
    expect(letters.map(({ value, reason }) => [value, reason]).sort()).toEqual(
      [
        [bad[0], 'NOT_JSON'],
        [bad[1], 'MISSING_EVENT_TYPE'],
        [bad[2], 'BAD_TIMESTAMP'],
      ].sort(),
    );
  }, 180_000);

  it('qpipe dlq prints the letters with their source position and reason, filtered by reason', async () => {
    const printed = async (options: DlqOptions) => {
      const lines: string[] = [];
      const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0);
      const errors = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        await runDlq({ config: streamConfig, log: silentLogger }, options);
      } finally {
        spy.mockRestore();
        errors.mockRestore();
      }
      return lines.join('').split('\n').filter(Boolean).map((line) => line.split('\t'));
    };
    const all = await printed({});
    expect(all.map(([, , reason, , value]) => [reason, JSON.parse(value!)]).sort()).toEqual(
      [
        ['NOT_JSON', '{not json'],
        ['MISSING_EVENT_TYPE', '{"customerId":"1","timestamp":"2024-07-04T19:00:00"}'],
        ['BAD_TIMESTAMP', '{"eventType":"addToCart","timestamp":"yesterday"}'],
      ].sort(),
    );
    for (const [partition, offset] of all) expect([partition, offset].every((text) => /^\d+$/.test(text!))).toBe(true);
    expect((await printed({ reason: 'BAD_TIMESTAMP' })).map(([, , reason]) => reason)).toEqual(['BAD_TIMESTAMP']);
    expect(await printed({ limit: 1 })).toHaveLength(1);

    // Letters that retention deleted (every partition's start = its end): nothing to print, and it returns.
    const admin = kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(streamConfig.kafka.dlqTopic);
    await admin.deleteTopicRecords({ topic: streamConfig.kafka.dlqTopic, partitions: ends.map(({ partition, high }) => ({ partition, offset: high })) });
    await admin.disconnect();
    expect(await printed({})).toEqual([]);
  }, 60_000);

  it('a restarted worker goes on from HDFS, writing nothing twice', async () => {
    await produceValid('stream-it-2', 300);

    const worker = await startStreamWorker({ ...streamConfig, stream: { ...streamConfig.stream, metricsPort: 0 } }, kafka, hdfs, silentLogger);
    await durableUpTo(await endOffsets(kafka));
    await worker.stop();
    const rows = await readZone();
    expect(rows).toHaveLength(valid.length);
    expect(new Set(rows.map(({ row }) => `${row.kafka_partition}/${row.kafka_offset}`)).size).toBe(valid.length);
  }, 180_000);

  it('a graceful stop flushes every partition\'s buffer to HDFS without waiting for the rotation', async () => {
    const buffered = 600;
    await produceValid('stream-it-3', buffered);
    const ends = await endOffsets(kafka);

    // A rotation far away: only the stop can make these events durable.
    const worker = await startStreamWorker({ ...streamConfig, stream: { ...streamConfig.stream, rotateMs: 600_000, metricsPort: 0 } }, kafka, hdfs, silentLogger);
    const deadline = Date.now() + 60_000;
    while ([...ends.keys()].some((partition) => worker.metrics.lag.get(partition) !== 0n)) {
      if (Date.now() > deadline) throw new Error('the worker did not read the new events');
      await sleep(200);
    }
    expect(worker.metrics.flushes).toBe(0);
    await worker.stop();
    await worker.stopped;
    expect(worker.metrics.events).toBe(buffered);
    await durableUpTo(ends);
    const rows = await readZone();
    expect(rows).toHaveLength(valid.length);
    expect(new Set(rows.map(({ row }) => `${row.kafka_partition}/${row.kafka_offset}`)).size).toBe(valid.length);
  }, 180_000);

  it('a flush that fails inside a running worker is redone from HDFS: no offset is written twice', async () => {
    // The commit write that makes a flush durable fails once, while the worker keeps running.
    class FailingOnce extends HdfsClient {
      injected = false;
      override async putAtomic(path: string, body: HdfsBody, options?: PutAtomicOptions): Promise<void> {
        if (!this.injected && path.includes('/_commits/') && typeof body === 'string' && !body.includes('pending')) {
          this.injected = true;
          throw new Error('injected: the commit write failed');
        }
        return super.putAtomic(path, body, options);
      }
    }
    const failing = new FailingOnce(config.hdfs, silentLogger);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let round = 0; round < 4; round += 1) {
      const more = Array.from({ length: 200 }, (_, index) => JSON.stringify(generateEvent('stream-it-4', round * 200 + index, { nowMs, spreadHours: 1 })));
      await producer.send({ topic: streamConfig.kafka.topic, acks: -1, messages: more.map((value) => ({ value })) });
      valid.push(...more);
      if (round === 0) void startStreamWorker({ ...streamConfig, stream: { ...streamConfig.stream, metricsPort: 0 } }, kafka, failing, silentLogger).then((worker) => workers.push(worker));
      await sleep(700);
    }
    await producer.disconnect();
    await durableUpTo(await endOffsets(kafka));
    for (const worker of workers) await worker.stop();
    expect(failing.injected).toBe(true);
    const rows = await readZone();
    expect(rows).toHaveLength(valid.length);
    expect(new Set(rows.map(({ row }) => `${row.kafka_partition}/${row.kafka_offset}`)).size).toBe(valid.length);
  }, 180_000);

  it('recovery deletes the files of a flush that did not commit and reads from the committed offset', async () => {
    const options = { root: config.hdfs.root, topic: 'recovery_topic', partition: 0, rotateBytes: 1 << 20, rotateMs: 60_000, zoneOffsetMinutes: 0 };
    const orphan = `${hourPartitionDir(config.hdfs.root, '2026-11-24', 12)}/recovery_topic+0+10+19.jsonl.gz`;
    await hdfs.putAtomic(orphan, '{"half":"written"}\n', { overwrite: true });
    await hdfs.putAtomic(streamCommitPath(config.hdfs.root, 'recovery_topic', 0), JSON.stringify({ nextOffset: '10', pending: { first: '10', last: '19', files: [orphan] } }), { overwrite: true });
    const { writer, nextOffset } = await PartitionWriter.recover(hdfs, options, silentLogger);
    expect(nextOffset).toBe('10');
    expect(await hdfs.exists(orphan)).toBe(false);
    expect(writer.add('9', Buffer.from('{}'), null, nowMs)).toBe(false);
    expect(writer.add('10', Buffer.from(valid[0]!), null, nowMs)).toBe(true);
    expect(JSON.parse(await hdfs.readText(streamCommitPath(config.hdfs.root, 'recovery_topic', 0)))).toEqual({ nextOffset: '10', epoch: 1 });
  });

  it('sends a flush\'s dead letters under the broker\'s size limit: 12,000 small letters of one partition in one flush, and one near the limit cut, its sizes in headers', async () => {
    const small = Array.from({ length: 12_000 }, (_, n) => `dlq-size ${String(n).padStart(6, '0')} `.padEnd(100, 'x'));
    // The source topic takes this record; as a letter, with its headers, it would not fit.
    const bigBytes = 1_048_400;
    // All to partition 0 before the worker starts: its first fetch takes them, so one flush holds them all (2.3 MB of letters).
    const producer = kafka.producer();
    await producer.connect();
    for (let index = 0; index < small.length; index += 2_000) {
      await producer.send({ topic: streamConfig.kafka.topic, acks: -1, messages: small.slice(index, index + 2_000).map((value) => ({ value, partition: 0 })) });
    }
    await producer.send({ topic: streamConfig.kafka.topic, acks: -1, messages: [{ value: Buffer.alloc(bigBytes, 'y'), partition: 0 }] });
    await producer.disconnect();
    const ends = await endOffsets(kafka);

    const flushes: number[] = [];
    const worker = await startStreamWorker({ ...streamConfig, stream: { ...streamConfig.stream, metricsPort: 0 } }, kafka, hdfs, silentLogger, (result) => flushes.push(result.deadLetters));
    await durableUpTo(ends);
    await worker.stop();
    await worker.stopped;
    expect(Math.max(...flushes)).toBe(small.length + 1);

    const dlq = kafka.consumer({ groupId: `it-dlq-size-${topicSuffix}`, maxBytesPerPartition: 2 * 1024 * 1024 });
    await dlq.connect();
    await dlq.subscribe({ topic: streamConfig.kafka.dlqTopic, fromBeginning: true });
    const offsets = new Set<string>();
    let big: { value: Buffer; headers: Record<string, string> } | undefined;
    await dlq.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]));
        if (headers['qpipe.source.partition'] !== '0' || headers['qpipe.reason'] !== 'NOT_JSON') return;
        if (message.value!.subarray(0, 8).toString() === 'dlq-size') offsets.add(headers['qpipe.source.offset']!);
        else if (message.value![0] === 0x79) big = { value: message.value!, headers };
      },
    });
    for (let waited = 0; (offsets.size < small.length || !big) && waited < 60_000; waited += 200) await sleep(200);
    await dlq.disconnect();
    expect(offsets.size).toBe(small.length);
    expect(big!.headers).toMatchObject({ 'qpipe.original.value.bytes': String(bigBytes), 'qpipe.source.offset': String(ends.get(0)! - 1n) });
    expect(big!.value.length).toBeLessThan(bigBytes);
    expect(big!.value.equals(Buffer.alloc(big!.value.length, 'y'))).toBe(true);
  }, 300_000);
});
