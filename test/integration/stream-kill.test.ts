import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CompressionTypes, Partitioners, type Kafka } from 'kafkajs';
import { loadConfig } from '../../lib/config';
import { generateEvent, type AppEvent } from '../../lib/generate/events';
import { streamMaintenanceActivities } from '../../activities/stream-maintenance';
import { HdfsClient } from '../../lib/hdfs-client';
import { ReconnectingHiveClient } from '../../lib/hive-client';
import { addHours, logicalHourOf } from '../../lib/pure/batch';
import { createKafka, topicEndOffsets } from '../../lib/kafka';
import { silentLogger } from '../../lib/log';
import type { AppEventRow, DeadLetterReason } from '../../lib/pure/events';
import { hourPartitionDir, parseStreamFileName, streamCommitPath, streamCommitsDir, streamTableDir } from '../../lib/pure/stream';
import { isolatedEnv } from '../helpers/isolated';

// Issue 5, "exactly-once under crashes": `qpipe stream` runs as a child process that is killed with
// SIGKILL at random moments (some in the middle of a flush) and restarted, while this test keeps
// producing events and bad records into an isolated 3-partition topic. Afterwards the streaming zone
// must hold every valid event exactly once and the DLQ every bad record (at least once: see
// verifyExactlyOnce), computed from what this test sent, not from the worker's own code.

const base = isolatedEnv('stream_kill');
const suffix = base.QPIPE_HIVE_DATABASE!.replace(/^it_/, '');
const topic = `it_app_logs_${suffix}`;
const env: NodeJS.ProcessEnv = {
  ...base,
  QPIPE_KAFKA_TOPIC: topic,
  QPIPE_KAFKA_DLQ_TOPIC: `${topic}.dlq`,
  QPIPE_STREAM_GROUP: `it-stream-${suffix}`,
  QPIPE_STREAM_ROTATE_MS: '1500',
  QPIPE_STREAM_ROTATE_BYTES: String(256 * 1024),
  QPIPE_STREAM_METRICS_PORT: '0',
  QPIPE_STREAM_SESSION_TIMEOUT_MS: '6000',
};
const config = loadConfig(env);
const { dlqTopic } = config.kafka;
const root = config.hdfs.root;
const hdfs = new HdfsClient(config.hdfs, silentLogger);
const repoRoot = path.resolve(__dirname, '..', '..');
const workerLog = path.join(tmpdir(), `qpipe-it-stream-kill-${suffix}.log`);

/** The topic's partitions (the worker's own ensureTopics would create the same 3; see lib/kafka.ts). */
const partitions = 3;
const validEvents = 100_000;
/** Bad records per dead-letter reason, interleaved with the events. */
const badPerReason = 300;
const minKills = 10;
const seed = 'stream-kill';
/** Event times spread over the three hours before the test started (late events included). */
const nowMs = Date.now();
const spreadHours = 3;
const batchSize = 500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// What the test sends: the plan, and where each record landed.

/** The reasons the plan sends (records the worker cannot handle at all are tested in stream.test.ts). */
type PlannedReason = Exclude<DeadLetterReason, 'UNSUPPORTED_VALUE'>;
type Kind = 'valid' | PlannedReason;

interface Planned {
  readonly kind: Kind;
  readonly value: string | null;
  /** The generator's event, for a valid record. */
  readonly event?: AppEvent;
  readonly partition: number;
  /** Set from the producer's acknowledgement (offsets of one partition are contiguous per send). */
  offset?: string;
}

/** Bad record number `n` of a reason, in a few shapes each; every one is unique by its position. */
function badValue(reason: PlannedReason, n: number): string | null {
  switch (reason) {
    case 'NOT_JSON':
      return [`{not json #${n}`, `plain text #${n}`, `[${n}, "an array"]`, `"a JSON string #${n}"`, '', null][n % 6]!;
    case 'MISSING_EVENT_TYPE':
      return [
        JSON.stringify({ customerId: String(n), timestamp: '2026-01-01T10:00:00', metadata: {} }),
        JSON.stringify({ eventType: '', customerId: String(n), timestamp: '2026-01-01T10:00:00' }),
        JSON.stringify({ eventType: null, n }),
      ][n % 3]!;
    case 'BAD_TIMESTAMP':
      return [
        JSON.stringify({ eventType: 'addToCart', customerId: String(n), timestamp: 'yesterday' }),
        JSON.stringify({ eventType: 'purchase', customerId: String(n), timestamp: '2026-02-30T10:00:00' }),
        JSON.stringify({ eventType: 'productView', customerId: String(n) }),
        JSON.stringify({ eventType: 'purchase', customerId: String(n), timestamp: '9999-12-31T23:30:00-01:00' }),
        JSON.stringify({ eventType: 'purchase', customerId: String(n), timestamp: '2026-01-01T10:00:00+99:99' }),
      ][n % 5]!;
  }
}

/** The valid events in order with the bad records interleaved at random places; record `i` goes to partition `i % 3`. */
function plan(): Planned[] {
  const kinds: Kind[] = Array.from({ length: validEvents }, () => 'valid' as Kind);
  for (const reason of ['NOT_JSON', 'MISSING_EVENT_TYPE', 'BAD_TIMESTAMP'] as const) {
    for (let n = 0; n < badPerReason; n += 1) kinds.splice(randomInt(0, kinds.length + 1), 0, reason);
  }
  let event = 0;
  const counts: Record<PlannedReason, number> = { NOT_JSON: 0, MISSING_EVENT_TYPE: 0, BAD_TIMESTAMP: 0 };
  return kinds.map((kind, index) => {
    if (kind === 'valid') {
      const generated = generateEvent(seed, event++, { nowMs, spreadHours });
      return { kind, value: JSON.stringify(generated), event: generated, partition: index % partitions };
    }
    return { kind, value: badValue(kind, counts[kind]++), partition: index % partitions };
  });
}

const positionKey = (partition: number, offset: string) => `${partition}/${offset}`;

// ---------------------------------------------------------------------------------------------
// `qpipe stream` as a child process.

interface WorkerProcess {
  readonly child: ChildProcess;
  readonly startedAt: number;
  /** `partition assigned` lines (its first batch of a partition, after recovery). */
  assigned: number;
  /** `stream flush durable` lines. */
  flushes: number;
  /** `recovered an interrupted flush` lines. */
  recoveries: number;
  /** Set when we killed it (so its exit is expected). */
  killedWith?: NodeJS.Signals;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  readonly exited: Promise<void>;
}

const logFile = createWriteStream(workerLog, { flags: 'a' });
const logTail: string[] = [];

function startWorker(): WorkerProcess {
  const child = spawn(path.join(repoRoot, 'bin', 'qpipe'), ['stream'], { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: repoRoot });
  const worker: WorkerProcess = {
    child,
    startedAt: Date.now(),
    assigned: 0,
    flushes: 0,
    recoveries: 0,
    exited: new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        worker.exit = { code, signal };
        resolve();
      }),
    ),
  };
  const onLine = (line: string) => {
    logFile.write(`${line}\n`);
    logTail.push(line);
    if (logTail.length > 40) logTail.shift();
    let msg: unknown;
    try {
      msg = (JSON.parse(line) as { msg?: unknown }).msg;
    } catch {
      return;
    }
    if (msg === 'partition assigned') worker.assigned += 1;
    else if (msg === 'stream flush durable') worker.flushes += 1;
    else if (typeof msg === 'string' && msg.startsWith('recovered an interrupted flush')) worker.recoveries += 1;
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  return worker;
}

/** Throws (with the worker's last log lines) when the worker exited without being told to. */
function checkAlive(worker: WorkerProcess): void {
  if (worker.exit && !worker.killedWith) {
    throw new Error(`the stream worker exited by itself (code ${worker.exit.code}, signal ${worker.exit.signal}); log ${workerLog}, last lines:\n${logTail.join('\n')}`);
  }
}

/** Polls `condition` until it holds (true) or `timeoutMs` passed (false); throws if `worker` exits by itself meanwhile. */
async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, worker?: WorkerProcess, intervalMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (worker) checkAlive(worker);
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Kafka and HDFS views.


interface CommitFile {
  nextOffset: string;
  pending?: { first: string; last: string; files: string[] };
}

async function readCommit(partition: number): Promise<CommitFile | undefined> {
  const file = streamCommitPath(root, topic, partition);
  return (await hdfs.exists(file)) ? (JSON.parse(await hdfs.readText(file)) as CommitFile) : undefined;
}

/** Runs `task` over `items`, `limit` at a time. */
async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index]!);
      }
    }),
  );
  return results;
}

interface ZoneFile {
  readonly dir: string;
  readonly name: string;
  readonly rows: AppEventRow[];
}

/** The streaming zone's data files, and apart the paths of anything else in its hour directories (hidden, temporary). */
async function listZone(): Promise<{ dataFiles: { dir: string; name: string }[]; strangeNames: string[] }> {
  const strangeNames: string[] = [];
  const dataFiles: { dir: string; name: string }[] = [];
  const table = streamTableDir(root);
  for (const date of await hdfs.listIfExists(table)) {
    for (const hour of await hdfs.list(`${table}/${date.name}`)) {
      const dir = `${table}/${date.name}/${hour.name}`;
      for (const file of await hdfs.list(dir)) {
        if (file.type !== 'FILE' || !parseStreamFileName(file.name)) strangeNames.push(`${dir}/${file.name}`);
        else dataFiles.push({ dir, name: file.name });
      }
    }
  }
  return { dataFiles, strangeNames };
}

/** Every data file of the streaming zone with its rows (like readZone in stream.test.ts). */
async function readZone(): Promise<{ files: ZoneFile[]; strangeNames: string[] }> {
  const { dataFiles, strangeNames } = await listZone();
  const files = await mapLimit(dataFiles, 8, async ({ dir, name }) => ({
    dir,
    name,
    rows: gunzipSync(await hdfs.readBytes(`${dir}/${name}`))
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AppEventRow),
  }));
  return { files, strangeNames };
}

interface Letter {
  readonly reason: string;
  readonly detail: string;
  readonly sourceTopic: string;
  readonly sourcePartition: number;
  readonly sourceOffset: string;
  readonly value: string | null;
}

/** The whole DLQ topic, from the beginning to its end offsets, with a fresh consumer group. */
async function readDlq(kafka: Kafka): Promise<Letter[]> {
  const ends = await topicEndOffsets(kafka, dlqTopic);
  const letters: Letter[] = [];
  const seen = new Map<number, bigint>();
  const consumer = kafka.consumer({ groupId: `it-dlq-${suffix}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: dlqTopic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const header = (name: string) => message.headers?.[name]?.toString() ?? '';
        letters.push({
          reason: header('qpipe.reason'),
          detail: header('qpipe.detail'),
          sourceTopic: header('qpipe.source.topic'),
          sourcePartition: Number(header('qpipe.source.partition')),
          sourceOffset: header('qpipe.source.offset'),
          value: message.value === null ? null : message.value.toString(),
        });
        seen.set(partition, BigInt(message.offset) + 1n);
      },
    });
    const complete = () => [...ends].every(([partition, end]) => (seen.get(partition) ?? 0n) >= end);
    if (!(await until(complete, 90_000))) {
      throw new Error(`the DLQ was not read to its end within 90 s: ends ${JSON.stringify([...ends].map(([p, e]) => [p, String(e)]))}, read ${letters.length}`);
    }
  } finally {
    await consumer.disconnect();
  }
  return letters;
}

// ---------------------------------------------------------------------------------------------

interface KillRecord {
  readonly mode: KillMode;
  /** Milliseconds the killed process had lived. */
  readonly uptimeMs: number;
  readonly flushesBefore: number;
  /** Partitions whose commit file held a new flush intent (`pending`) right after the kill: flushes it interrupted. */
  readonly interrupted: number;
}

/**
 * - flush: just after a `stream flush durable` line (while catching up, the next flush is running);
 * - random: 0.2–5 s after the worker got its first partition;
 * - assign: right after its first partition (others may still be recovering).
 */
type KillMode = 'flush' | 'random' | 'assign';

interface Sent {
  readonly records: Planned[];
  readonly valid: Map<string, Planned>;
  readonly bad: Map<string, Planned>;
}

describe('the stream worker killed with SIGKILL at random moments (issue 5: exactly once under crashes)', () => {
  const kafka = createKafka(config.kafka, silentLogger);
  const hive = new ReconnectingHiveClient(config.hive, silentLogger);
  const workers: WorkerProcess[] = [];
  const kills: KillRecord[] = [];
  /** The flush intents (`pending` ranges) found in the commit files after the kills, by partition. */
  const interruptedRanges = new Map<number, { first: bigint; last: bigint }[]>();
  let sent: Sent | undefined;
  /** Set once the last worker made everything durable and stopped cleanly. */
  let scenarioDone = false;
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }, { topic: dlqTopic, numPartitions: 1 }] });
    await admin.disconnect();
  });

  afterAll(async () => {
    for (const worker of workers) {
      if (!worker.exit) {
        worker.killedWith = 'SIGKILL';
        worker.child.kill('SIGKILL');
        await worker.exited;
      }
    }
    logFile.end();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, dlqTopic] }).catch(() => undefined);
    await admin.deleteGroups([config.stream.groupId, `it-dlq-${suffix}`]).catch(() => undefined);
    await admin.disconnect();
    await hdfs.delete(root, { recursive: true }).catch(() => undefined);
    await hive.execute(`DROP DATABASE IF EXISTS ${config.hive.database} CASCADE`).catch(() => undefined);
    await hive.close();
  }, 120_000);

  /** Sends the plan in batches, paced so that production lasts about as long as the kills. */
  async function produce(records: Planned[], killsDone: () => number, cycleMs: () => number): Promise<void> {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      for (let start = 0; start < records.length; start += batchSize) {
        const batch = records.slice(start, start + batchSize);
        const acks = await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages: batch.map(({ partition, value }) => ({ partition, value })) });
        for (const ack of acks) {
          let offset = BigInt(ack.baseOffset!);
          for (const record of batch) if (record.partition === ack.partition) record.offset = (offset++).toString();
        }
        const killsLeft = minKills - killsDone();
        if (killsLeft > 0) {
          const batchesLeft = Math.ceil((records.length - start - batch.length) / batchSize);
          await sleep(Math.min(3_000, (killsLeft * cycleMs()) / Math.max(1, batchesLeft)));
        }
      }
    } finally {
      await producer.disconnect();
    }
  }

  /** Kills the running worker `minKills` times (modes shuffled) and starts a new one after each kill. */
  async function killAndRestart(): Promise<void> {
    const modes: KillMode[] = ['flush', 'flush', 'flush', 'flush', 'flush', 'random', 'random', 'random', 'assign', 'assign'];
    for (let index = modes.length - 1; index > 0; index -= 1) {
      const other = randomInt(0, index + 1);
      [modes[index], modes[other]] = [modes[other]!, modes[index]!];
    }
    const pendingBefore = new Map<number, string>();
    for (const mode of modes) {
      const worker = workers[workers.length - 1]!;
      if (!(await until(() => worker.assigned > 0, 120_000, worker))) {
        throw new Error(`the stream worker got no partition within 120 s of starting; log ${workerLog}, last lines:\n${logTail.join('\n')}`);
      }
      if (mode === 'flush') {
        const before = worker.flushes;
        await until(() => worker.flushes > before, 15_000, worker);
        await sleep(randomInt(0, 150));
      } else if (mode === 'random') {
        await sleep(randomInt(200, 5_000));
      } else {
        await sleep(randomInt(0, 60));
      }
      checkAlive(worker);
      worker.killedWith = 'SIGKILL';
      worker.child.kill('SIGKILL');
      await worker.exited;
      // A pending intent left by an earlier kill stays until its partition is recovered: count new ones only.
      let interrupted = 0;
      for (let partition = 0; partition < partitions; partition += 1) {
        const pending = (await readCommit(partition))?.pending;
        const range = pending ? `${pending.first}+${pending.last}` : '';
        if (pending) interruptedRanges.set(partition, [...(interruptedRanges.get(partition) ?? []), { first: BigInt(pending.first), last: BigInt(pending.last) }]);
        if (range && range !== pendingBefore.get(partition)) interrupted += 1;
        pendingBefore.set(partition, range);
      }
      kills.push({ mode, uptimeMs: Date.now() - worker.startedAt, flushesBefore: worker.flushes, interrupted });
      workers.push(startWorker());
    }
  }

  /** Waits until every partition's commit file says everything up to the topic's end is durable. */
  async function waitDurable(ends: Map<number, bigint>): Promise<void> {
    const worker = workers[workers.length - 1]!;
    let status = '';
    const caughtUp = async () => {
      const parts: string[] = [];
      let behind = 0;
      for (const [partition, end] of ends) {
        const commit = await readCommit(partition);
        const next = commit ? BigInt(commit.nextOffset) : 0n;
        if (next < end || commit?.pending) behind += 1;
        parts.push(`partition ${partition}: commit ${commit ? commit.nextOffset : 'none'}${commit?.pending ? ' (pending)' : ''} / end ${end}`);
      }
      status = parts.join(', ');
      return behind === 0;
    };
    if (!(await until(caughtUp, 240_000, worker, 500))) {
      throw new Error(`the restarted stream worker did not make the topic durable within 240 s (${status}); log ${workerLog}, last lines:\n${logTail.join('\n')}`);
    }
  }

  it('writes every valid event exactly once and dead-letters every bad record, across at least 10 SIGKILLs', async () => {
    const started = Date.now();
    const records = plan();
    workers.push(startWorker());
    const cycleStart = Date.now();
    const cycleMs = () => (kills.length === 0 ? 30_000 : (Date.now() - cycleStart) / kills.length);
    await Promise.all([produce(records, () => kills.length, cycleMs).then(() => (timings.producedMs = Date.now() - started)), killAndRestart()]);
    timings.killPhaseMs = Date.now() - started;

    const valid = new Map<string, Planned>();
    const bad = new Map<string, Planned>();
    expect(records.filter((record) => record.offset === undefined)).toHaveLength(0);
    for (const record of records) {
      (record.kind === 'valid' ? valid : bad).set(positionKey(record.partition, record.offset!), record);
    }
    sent = { records, valid, bad };
    const ends = await topicEndOffsets(kafka, topic);
    // The topic holds exactly what was sent (the idempotent producer wrote nothing twice).
    expect([...ends.values()].reduce((sum, end) => sum + end, 0n)).toBe(BigInt(records.length));

    await waitDurable(ends);
    timings.durableMs = Date.now() - started;
    const last = workers[workers.length - 1]!;
    last.killedWith = 'SIGTERM';
    last.child.kill('SIGTERM');
    await last.exited;
    expect(last.exit).toEqual({ code: 0, signal: null });
    scenarioDone = true;

    await verifyExactlyOnce(sent, ends);
    await verifyTableAfterMaintenance(valid.size);
    timings.totalMs = Date.now() - started;
  }, 900_000);

  /**
   * Then stream maintenance (its activities, on the real HDFS and Spark) compacts every hour into
   * app_events: rows = distinct lineage keys = valid events sent.
   */
  async function verifyTableAfterMaintenance(validSent: number): Promise<void> {
    const activities = streamMaintenanceActivities({ config, hdfs, hive, log: silentLogger });
    const slot = addHours(logicalHourOf(Date.now()), 1); // every event hour is closed
    for (const hour of await activities.listStreamHoursToCompact(slot)) await activities.compactStreamHour(hour);
    const { rows } = await hive.query<{ n: number; keys: number }>(`SELECT count(*) AS n, count(DISTINCT kafka_topic, kafka_partition, kafka_offset) AS keys FROM ${config.hive.database}.app_events`);
    expect(rows.map(({ n, keys }) => [Number(n), Number(keys)])).toEqual([[validSent, validSent]]);
  }

  /**
   * The final verification, from HDFS and the DLQ topic only, against what the test sent.
   *
   * Guarantees, from the partition writer's order (files, then dead letters acknowledged, then the
   * commit file): rows are exactly once (an interrupted flush's files are deleted on recovery and
   * its records read again); dead letters are at least once (a crash after the DLQ acknowledged
   * them but before the commit sends them again), so the DLQ is checked as a set of source
   * positions, each copy identical, and the duplicates are counted.
   */
  async function verifyExactlyOnce({ valid, bad }: Sent, ends: Map<number, bigint>): Promise<void> {
    // Commit files: everything durable, no flush intent left.
    for (const [partition, end] of ends) expect(await readCommit(partition)).toEqual({ nextOffset: end.toString(), epoch: expect.any(Number) });

    // The zone: every row once, each where its name says (hidden or temporary names: checked last).
    const { files, strangeNames } = await readZone();
    const rows = files.flatMap((file) => file.rows);
    const positions = new Set(rows.map((row) => `${row.kafka_topic}/${positionKey(row.kafka_partition, row.kafka_offset)}`));
    expect(rows.length).toBe(valid.size);
    expect(positions.size).toBe(valid.size);
    expect(valid.size).toBe(validEvents);

    // Each row is the event sent at its position (compared with the generator's event, not with parseEvent).
    const mismatches: string[] = [];
    for (const row of rows) {
      const record = valid.get(positionKey(row.kafka_partition, row.kafka_offset));
      const event = record?.event;
      if (row.kafka_topic !== topic || !event || row.event_type !== event.eventType || row.customer_id !== event.customerId || row.product_id !== event.productId || row.event_ts !== event.timestamp.replace('T', ' ')) {
        if (mismatches.length < 5) mismatches.push(JSON.stringify({ row, sent: record?.value ?? 'nothing valid at this position' }));
      }
    }
    expect(mismatches).toEqual([]);

    // File names: a flush's files share `<topic>+<partition>+<first>+<last>`; each file's rows lie in
    // its range, in order, in its hour; a flush's files hold exactly the valid records of its range;
    // the flushes of a partition do not overlap.
    const flushes = new Map<string, { partition: number; first: bigint; last: bigint; offsets: bigint[] }>();
    for (const file of files) {
      const name = parseStreamFileName(file.name)!;
      expect(name.topic).toBe(topic);
      const first = BigInt(name.first);
      const last = BigInt(name.last);
      const offsets = file.rows.map((row) => BigInt(row.kafka_offset));
      const problems: string[] = [];
      if (file.rows.length === 0) problems.push('empty');
      if (file.rows.some((row) => row.kafka_partition !== name.partition)) problems.push('rows of another partition');
      if (offsets.some((offset) => offset < first || offset > last)) problems.push('rows outside its offset range');
      if (offsets.some((offset, index) => index > 0 && offset <= offsets[index - 1]!)) problems.push('rows not in increasing offset order');
      for (const row of file.rows) {
        const hour = new Date(`${row.event_ts.replace(' ', 'T')}Z`);
        if (file.dir !== hourPartitionDir(root, hour.toISOString().slice(0, 10), hour.getUTCHours())) problems.push(`a row of ${row.event_ts} outside its hour`);
      }
      expect({ file: `${file.dir}/${file.name}`, problems: problems.slice(0, 3) }).toEqual({ file: `${file.dir}/${file.name}`, problems: [] });
      const key = `${name.partition}+${name.first}+${name.last}`;
      const flush = flushes.get(key) ?? { partition: name.partition, first, last, offsets: [] };
      flush.offsets.push(...offsets);
      flushes.set(key, flush);
    }
    for (const flush of flushes.values()) {
      const expected: bigint[] = [];
      for (let offset = flush.first; offset <= flush.last; offset += 1n) if (valid.has(positionKey(flush.partition, offset.toString()))) expected.push(offset);
      const actual = [...flush.offsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      expect({ flush: `${flush.partition}+${flush.first}+${flush.last}`, complete: actual.length === expected.length && actual.every((offset, index) => offset === expected[index]) }).toEqual({
        flush: `${flush.partition}+${flush.first}+${flush.last}`,
        complete: true,
      });
    }
    for (let partition = 0; partition < partitions; partition += 1) {
      const ranges = [...flushes.values()].filter((flush) => flush.partition === partition).sort((a, b) => (a.first < b.first ? -1 : 1));
      const overlaps = ranges.filter((range, index) => index > 0 && range.first <= ranges[index - 1]!.last).map((range) => `${partition}+${range.first}+${range.last}`);
      expect(overlaps).toEqual([]);
    }

    // The DLQ: exactly the bad records' positions, each with its reason and value; copies counted.
    const letters = await readDlq(kafka);
    const byPosition = new Map<string, Letter[]>();
    for (const letter of letters) {
      expect(letter.sourceTopic).toBe(topic);
      const key = positionKey(letter.sourcePartition, letter.sourceOffset);
      byPosition.set(key, [...(byPosition.get(key) ?? []), letter]);
    }
    expect([...byPosition.keys()].filter((key) => !bad.has(key))).toEqual([]);
    expect([...bad.keys()].filter((key) => !byPosition.has(key))).toEqual([]);
    const wrong: string[] = [];
    for (const [key, copies] of byPosition) {
      const record = bad.get(key)!;
      for (const letter of copies) {
        if (letter.reason !== record.kind || letter.value !== record.value || letter.detail === '') wrong.push(JSON.stringify({ key, letter, sent: record }));
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    const perReason = (reason: DeadLetterReason) => [...bad.values()].filter((record) => record.kind === reason).length;
    const distinctPerReason = (reason: DeadLetterReason) => [...byPosition.values()].filter((copies) => copies[0]!.reason === reason).length;
    for (const reason of ['NOT_JSON', 'MISSING_EVENT_TYPE', 'BAD_TIMESTAMP'] as const) {
      expect(perReason(reason)).toBe(badPerReason);
      expect(distinctPerReason(reason)).toBe(badPerReason);
    }
    // A copy comes only from a flush a kill interrupted after the DLQ acknowledged its letters.
    const duplicated = [...byPosition].filter(([, copies]) => copies.length > 1).map(([key]) => key);
    const unexplained = duplicated.filter((key) => {
      const [partition, offset] = key.split('/').map(BigInt) as [bigint, bigint];
      return !(interruptedRanges.get(Number(partition)) ?? []).some(({ first, last }) => first <= offset && offset <= last);
    });
    expect(unexplained).toEqual([]);
    const duplicates = letters.length - byPosition.size;

    // At least ten kills, each a SIGKILL of a live worker.
    const killed = workers.filter((worker) => worker.killedWith === 'SIGKILL' && worker.exit?.signal === 'SIGKILL');
    expect(kills.length).toBeGreaterThanOrEqual(minKills);
    expect(killed.length).toBe(kills.length);

    const recoveries = workers.reduce((sum, worker) => sum + worker.recoveries, 0);
    console.log(
      [
        `stream kill test: ${valid.size} events and ${bad.size} bad records (${badPerReason} per reason) into ${topic} (${partitions} partitions, ends ${[...ends.values()].join('/')})`,
        `${kills.length} SIGKILLs (${kills.map((kill) => `${kill.mode} after ${(kill.uptimeMs / 1000).toFixed(1)} s/${kill.flushesBefore} flushes${kill.interrupted ? `, ${kill.interrupted} flush(es) interrupted` : ''}`).join('; ')})`,
        `${kills.filter((kill) => kill.interrupted > 0).length} kills interrupted a flush; ${recoveries} interrupted flushes recovered`,
        `zone: ${rows.length} rows, ${positions.size} distinct positions, ${files.length} files, ${flushes.size} flushes`,
        `DLQ: ${letters.length} messages, ${byPosition.size} distinct source positions, ${duplicates} duplicates (of ${duplicated.length} records, all in flushes a kill interrupted)`,
        `names in the zone that are not data files (checked by the next test): ${strangeNames.length}`,
        `times: production ${(timings.producedMs! / 1000).toFixed(0)} s, production and kills done at ${(timings.killPhaseMs! / 1000).toFixed(0)} s, all durable at ${(timings.durableMs! / 1000).toFixed(0)} s; worker log ${workerLog}`,
      ].join('\n'),
    );
  }

  it('leaves no hidden or temporary file in the zone after the kills', async () => {
    // The partition writer's contract (lib/stream/partition-writer.ts): no file keeps a temporary
    // name in the table's directories; an interrupted flush's are removed when its partition is recovered.
    if (!scenarioDone) throw new Error('the kill scenario did not complete: nothing to check');
    const { strangeNames } = await listZone();
    const commitTemporaries = (await hdfs.listIfExists(streamCommitsDir(root))).filter((entry) => entry.name.startsWith('.')).length;
    if (strangeNames.length > 0) console.log(`${strangeNames.length} hidden/temporary files in the zone, ${commitTemporaries} in ${streamCommitsDir(root)}:\n${strangeNames.join('\n')}`);
    expect(strangeNames).toEqual([]);
  }, 120_000);
});
