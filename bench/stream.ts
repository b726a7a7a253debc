// Benchmark of the Kafka → HDFS stream worker on the local stack (issue 5, item 6). On the SAME
// pre-produced events of a fresh topic, in one run, it measures:
//   1. qpipe: `startStreamWorker` in this process (own topic, group and HDFS root) drains the topic
//      with exactly-once on; events/s from the group join until every offset is durable (the last
//      onFlush: HDFS commit files at the high watermark, checked after), and beside it the same
//      from the worker's start (connect and join included). The rotation is
//      the product's default (32 MiB, 60 s): flushes by size while the backlog drains; once every
//      partition is read to its end (lag 0) the worker is stopped, and its graceful stop flushes the
//      tail, as a SIGTERM would.
//   2. Kafka's own consumer ceiling: org.apache.kafka.tools.ConsumerPerformance (the broker's jars in
//      .stack/kafka/lib) on the same topic with a fresh group; its fetch.nMsg.sec (from its join,
//      like qpipe's figure) is the ceiling. Target: qpipe ≥ 0.5 × the ceiling. The ratio with
//      start-up and join on both sides (its nMsg.sec) is printed too. Beside it, the Node client's
//      own ceiling: a kafkajs consumer that only counts the records, also from its group join; and
//      one that only validates and flattens each record into its line (the least a worker must do).
//   3. The case study's approach: Spark Structured Streaming (pyspark of .stack/python, local[2],
//      1g driver) from the same topic to Parquet partitionBy(event_date, event_hour) on HDFS
//      (bench/spark_kafka_to_parquet.py, trigger availableNow). The spark-sql-kafka jars come from
//      Maven Central through bench/spark-kafka/pom.xml into .stack/bench/spark-kafka-jars (first
//      run only). Both end-to-end (spawn → query done) and query-only (query start → done, no JVM
//      or session start-up) times are printed; the ratio uses query-only. Target: qpipe ≥ 2 × Spark.
//   4. Freshness and memory: `bin/qpipe stream` as a child process on a second topic while this
//      process produces at a steady rate (default 2000 events/s for 75 s) with the idempotent
//      producer; per event, freshness = the time its flush was durable (the worker's "stream flush
//      durable" log line: partition, first and last offsets) − the time its send began. Prints
//      p50/p99/max against the target "rotation interval + 5 s", and the child's peak resident memory
//      (VmHWM) against 300 MB (with the in-process peak RSS of the drain in 1 beside it).
//   5. Recovery after a crash: `bin/qpipe stream` on a third topic while this process produces at the
//      same rate; after its first flush it is killed with SIGKILL and started again at once, --kills
//      times (default 3), then stopped with SIGTERM and started again. Per restart: the time to its
//      first read and to its first durable file, against the target "rotation interval + 30 s"
//      after a SIGKILL; at the end every produced offset must be durable. `--recovery-only` runs
//      this phase alone.
// One line per figure, then a summary table. Everything it made (topics, groups, the HDFS root
// /qpipe-bench/<id>) is deleted at the end, also on failure or Ctrl-C.
// Usage: npx tsx bench/stream.ts [events] [--rate R] [--fresh-seconds S] [--kills N] [--recovery-only]
//   events default 200000; the freshness phase's worker rotates at QPIPE_STREAM_ROTATE_MS (60 s).
// Needs the stack up (bin/qpipe stack up); about 4 minutes plus the drains at the defaults.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { CompressionTypes, Partitioners, type Kafka, type KafkaMessage, type RecordMetadata } from 'kafkajs';
import { loadConfig, type Config } from '../lib/config';
import { generateEvent } from '../lib/generate/events';
import { HdfsClient } from '../lib/hdfs-client';
import { createKafka, ensureTopics, topicEndOffsets } from '../lib/kafka';
import { createLogger, type Logger } from '../lib/log';
import { appEventLine, parseEvent } from '../lib/pure/events';
import { streamCommitPath } from '../lib/pure/stream';
import { waitUntilDurable } from '../lib/stream/commits';
import { parseBatch } from '../lib/stream/parse-batch';
import type { FlushResult } from '../lib/stream/partition-writer';
import { sparkHome, stackLayout } from '../stack/layout';
import { startStreamWorker, type StreamWorker } from '../workers/stream-worker';

const memoryTargetMiB = 300;
const sendBatch = 5_000;

// ---------------------------------------------------------------- arguments, names, output

interface Options {
  readonly events: number;
  readonly rate: number;
  readonly freshSeconds: number;
  readonly kills: number;
  /** Only phase 5 (restarts after a crash). */
  readonly recoveryOnly: boolean;
}

function options(): Options {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { rate: { type: 'string', default: '2000' }, 'fresh-seconds': { type: 'string', default: '75' }, kills: { type: 'string', default: '3' }, 'recovery-only': { type: 'boolean', default: false } },
  });
  const positive = (name: string, text: string): number => {
    if (!/^\d+$/.test(text) || Number(text) <= 0) throw new Error(`${name}: expected a positive whole number, got "${text}"`);
    return Number(text);
  };
  return {
    events: positive('events', positionals[0] ?? '200000'),
    rate: positive('--rate', values.rate),
    freshSeconds: positive('--fresh-seconds', values['fresh-seconds']),
    kills: positive('--kills', values.kills),
    recoveryOnly: values['recovery-only'],
  };
}

/** The names of one run: everything it creates carries its id. */
function benchNames(id: string) {
  const topic = `qpipe-bench-${id}`;
  return {
    root: `/qpipe-bench/${id}`,
    topic,
    group: `${topic}-qpipe`,
    ceilingGroup: `${topic}-ceiling`,
    sparkGroupPrefix: `${topic}-spark`,
    freshTopic: `${topic}-fresh`,
    freshGroup: `${topic}-fresh`,
    recoveryTopic: `${topic}-recovery`,
    recoveryGroup: `${topic}-recovery`,
  };
}
type Names = ReturnType<typeof benchNames>;

/** One figure a line: name, value, unit, what it is. */
function figure(name: string, value: string | number, unit: string, note = ''): void {
  const shown = typeof value === 'number' ? formatNumber(value) : value;
  console.log(`${name.padEnd(28)} ${shown.padStart(12)} ${unit.padEnd(9)} ${note}`.trimEnd());
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2);
}

const seconds = (ms: number) => (ms / 1_000).toFixed(1);
const mib = (bytes: number) => bytes / 1024 / 1024;

// ---------------------------------------------------------------- producing

function producerFor(kafka: Kafka) {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
}

function eventMessages(seed: string, from: number, count: number, nowMs: number) {
  return Array.from({ length: count }, (_, index) => ({ value: JSON.stringify(generateEvent(seed, from + index, { nowMs, spreadHours: 0 })) }));
}

/** Produces `count` events to `topic` as fast as the idempotent producer goes; returns the time taken and the bytes. */
async function produceBacklog(kafka: Kafka, topic: string, count: number): Promise<{ ms: number; bytes: number }> {
  const producer = producerFor(kafka);
  await producer.connect();
  const started = Date.now();
  let bytes = 0;
  try {
    for (let sent = 0; sent < count; sent += sendBatch) {
      const messages = eventMessages('bench-backlog', sent, Math.min(sendBatch, count - sent), Date.now());
      bytes += messages.reduce((sum, message) => sum + Buffer.byteLength(message.value), 0);
      await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages });
    }
  } finally {
    await producer.disconnect();
  }
  return { ms: Date.now() - started, bytes };
}

/** When each send began, by partition and base offset: the produce time of every offset. */
class SendLog {
  private readonly partitions = new Map<number, { bases: number[]; at: number[] }>();

  record(metadata: readonly RecordMetadata[], at: number): void {
    for (const { partition, baseOffset } of metadata) {
      if (baseOffset === undefined) continue;
      const entry = this.partitions.get(partition) ?? { bases: [], at: [] };
      entry.bases.push(Number(baseOffset));
      entry.at.push(at);
      this.partitions.set(partition, entry);
    }
  }

  /** The start of the send that wrote `offset` (sends are sequential: bases ascend). */
  sentAt(partition: number, offset: number): number | undefined {
    const entry = this.partitions.get(partition);
    if (!entry) return undefined;
    let low = 0;
    let high = entry.bases.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (entry.bases[middle]! <= offset) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found < 0 ? undefined : entry.at[found];
  }
}

/** Produces at `rate` events/s for `durationS` seconds, in tenth-of-a-second sends. */
async function produceSteady(kafka: Kafka, topic: string, rate: number, durationS: number, sends: SendLog, keepGoing: () => boolean = () => true): Promise<number> {
  const producer = producerFor(kafka);
  await producer.connect();
  const total = rate * durationS;
  const perSend = Math.max(1, Math.round(rate / 10));
  const started = Date.now();
  let sent = 0;
  try {
    while (sent < total && keepGoing()) {
      const size = Math.min(perSend, total - sent);
      const at = Date.now();
      const metadata = await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages: eventMessages('bench-fresh', sent, size, at) });
      sends.record(metadata, at);
      sent += size;
      const due = started + (sent / rate) * 1_000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
  } finally {
    await producer.disconnect();
  }
  return sent;
}

/** Each partition's end offset (lib/kafka.ts), as a number: the benchmark's offsets stay far below 2^53. */
async function highWatermarks(kafka: Kafka, topic: string): Promise<Map<number, number>> {
  return new Map([...(await topicEndOffsets(kafka, topic))].map(([partition, end]) => [partition, Number(end)]));
}

// ---------------------------------------------------------------- 1. qpipe drain (in process)

interface DrainResult {
  readonly events: number;
  /** Group joined → every offset durable: the sustained drain (ConsumerPerformance's fetch rate also starts after its join). */
  readonly ms: number;
  /** Worker start → every offset durable: start-up and group join included. */
  readonly withStartMs: number;
  readonly joinMs: number;
  readonly flushes: number;
  readonly files: number;
  readonly bytes: number;
  readonly rotateMs: number;
  readonly peakRss: number;
}

/** Peak of process.memoryUsage().rss, sampled every `everyMs` until the returned function is called. */
function rssSampler(everyMs = 100): () => number {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), everyMs);
  return () => {
    clearInterval(timer);
    return Math.max(peak, process.memoryUsage().rss);
  };
}

async function until(condition: () => boolean, deadlineMs: number, what: string, failed?: Promise<unknown>): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  let failure: unknown;
  void failed?.catch((error: unknown) => (failure = error ?? new Error(`${what}: stopped`)));
  while (!condition()) {
    if (failure) throw failure;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds(deadlineMs)} s waiting for ${what}`);
    await sleep(20);
  }
}

async function drainWithWorker(config: Config, kafka: Kafka, hdfs: HdfsClient, log: Logger, total: number): Promise<DrainResult> {
  const partitions = new Map([...(await highWatermarks(kafka, config.kafka.topic))].filter(([, high]) => high > 0));
  const flushed: { at: number; result: FlushResult }[] = [];
  let durable = 0;
  const onFlush = (result: FlushResult) => {
    flushed.push({ at: Date.now(), result });
    durable += Number(BigInt(result.last) - BigInt(result.first) + 1n);
  };
  const sampler = rssSampler();
  const startedAt = Date.now();
  const worker: StreamWorker = await startStreamWorker(config, kafka, hdfs, log, onFlush);
  try {
    const readToEnd = () => [...partitions.keys()].every((partition) => worker.metrics.lag.get(partition) === 0n);
    await until(() => durable >= total || readToEnd(), 30 * 60_000, 'every partition to be read to its end', worker.stopped);
  } finally {
    // The graceful stop flushes what is buffered: the tail of the backlog.
    await worker.stop();
  }
  const peakRss = sampler();
  if (durable !== total) throw new Error(`the worker made ${durable} offsets durable, expected ${total}`);
  await checkCommitFiles(hdfs, config, partitions);
  const joinedAt = worker.metrics.joinedAt ?? startedAt;
  const lastDurable = Math.max(...flushed.map(({ at }) => at));
  return {
    events: flushed.reduce((sum, { result }) => sum + result.events, 0),
    // From the group join, as ConsumerPerformance's fetch rate (its rebalance excluded): the first
    // fetch and its decoding are inside; "first record read" would leave them out.
    ms: lastDurable - joinedAt,
    withStartMs: lastDurable - startedAt,
    joinMs: joinedAt - startedAt,
    flushes: flushed.length,
    files: flushed.reduce((sum, { result }) => sum + result.files.length, 0),
    bytes: flushed.reduce((sum, { result }) => sum + result.bytes, 0),
    rotateMs: config.stream.rotateMs,
    peakRss,
  };
}

/** HDFS is the truth: every partition's commit file must say its next offset is the high watermark. */
async function checkCommitFiles(hdfs: HdfsClient, config: Config, partitions: Map<number, number>): Promise<void> {
  for (const [partition, high] of partitions) {
    const commit = JSON.parse(await hdfs.readText(streamCommitPath(config.hdfs.root, config.kafka.topic, partition))) as { nextOffset: string; pending?: unknown };
    if (Number(commit.nextOffset) !== high || commit.pending) throw new Error(`commit file of partition ${partition}: ${JSON.stringify(commit)}, expected nextOffset ${high}`);
  }
}

// ---------------------------------------------------------------- child processes

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderrTail: string;
}

/** The commands running now (spark-submit, java, mvn): killed by pid when the benchmark is interrupted. */
const running = new Set<ChildProcess>();

/** Runs a command to its end, keeping its stdout and the tail of its stderr; kills it past `timeoutMs`. */
function runToEnd(command: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    child.once('exit', () => running.delete(child));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderrTail: stderr });
    });
  });
}

function failure(what: string, finished: Finished): Error {
  return new Error(`${what} failed (exit ${finished.code}):\n${finished.stdout.slice(-2_000)}\n${finished.stderrTail}`);
}

// ---------------------------------------------------------------- 2. Kafka's consumer ceiling

interface CeilingResult {
  readonly messages: number;
  readonly megabytes: number;
  readonly msgsPerS: number;
  readonly fetchMsgsPerS: number;
  readonly fetchMBPerS: number;
  readonly rebalanceMs: number;
}

async function consumerCeiling(config: Config, names: Names, total: number, local: string): Promise<CeilingResult> {
  const log4j = path.join(local, 'tools-log4j.properties');
  await writeFile(log4j, 'log4j.rootLogger=WARN, stderr\nlog4j.appender.stderr=org.apache.log4j.ConsoleAppender\nlog4j.appender.stderr.Target=System.err\nlog4j.appender.stderr.layout=org.apache.log4j.PatternLayout\nlog4j.appender.stderr.layout.ConversionPattern=%p %m (%c)%n\n');
  const args = [
    '-Xmx256m', `-Dlog4j.configuration=file:${log4j}`, '-cp', `${stackLayout(config.stack.dir).kafkaLib}/*`, 'org.apache.kafka.tools.ConsumerPerformance',
    '--bootstrap-server', config.kafka.brokers.join(','), '--topic', names.topic, '--messages', String(total), '--group', names.ceilingGroup, '--timeout', '60000',
  ];
  const finished = await runToEnd('java', args, process.env, 15 * 60_000);
  if (finished.code !== 0) throw failure('ConsumerPerformance', finished);
  return parseConsumerPerformance(finished.stdout);
}

/** ConsumerPerformance prints a header line and a values line, both comma separated. */
function parseConsumerPerformance(stdout: string): CeilingResult {
  const lines = stdout.split('\n').map((line) => line.trim()).filter(Boolean);
  const headerIndex = lines.findIndex((line) => line.startsWith('start.time'));
  const header = lines[headerIndex]?.split(',').map((cell) => cell.trim());
  const values = lines[headerIndex + 1]?.split(',').map((cell) => cell.trim());
  if (!header || !values) throw new Error(`cannot read ConsumerPerformance's output:\n${stdout}`);
  const value = (name: string): number => {
    const cell = values[header.indexOf(name)];
    if (cell === undefined || !Number.isFinite(Number(cell))) throw new Error(`ConsumerPerformance printed no ${name}:\n${stdout}`);
    return Number(cell);
  };
  return {
    messages: value('data.consumed.in.nMsg'),
    megabytes: value('data.consumed.in.MB'),
    msgsPerS: value('nMsg.sec'),
    fetchMsgsPerS: value('fetch.nMsg.sec'),
    fetchMBPerS: value('fetch.MB.sec'),
    rebalanceMs: value('rebalance.time.ms'),
  };
}

// ---------------------------------------------------------------- 3. Spark Structured Streaming

interface SparkResult {
  readonly inputRows: number;
  readonly rows: number;
  readonly endToEndMs: number;
  readonly queryMs: number;
  readonly startupMs: number;
}

/** The spark-sql-kafka jars, copied from Maven Central by bench/spark-kafka/pom.xml on first use. */
async function sparkKafkaJars(config: Config): Promise<string[]> {
  const dir = path.join(config.stack.dir, 'bench', 'spark-kafka-jars');
  const jars = () => (existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.jar')).map((name) => path.join(dir, name)) : []);
  if (jars().length > 0) return jars();
  const staging = `${dir}.partial`;
  await rm(staging, { recursive: true, force: true });
  console.error(`copying the spark-sql-kafka jars from Maven Central into ${dir} (first run only)`);
  const pom = path.join(config.home, 'bench', 'spark-kafka', 'pom.xml');
  const finished = await runToEnd('mvn', ['-B', '-q', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`, '-DincludeScope=runtime'], process.env, 20 * 60_000);
  if (finished.code !== 0) throw failure('mvn dependency:copy-dependencies', finished);
  await mkdir(path.dirname(dir), { recursive: true });
  await rename(staging, dir);
  if (jars().length === 0) throw new Error(`maven copied no jars into ${dir}`);
  return jars();
}

interface Mark {
  readonly phase: string;
  readonly at_ms: number;
  readonly input_rows?: number;
  readonly rows?: number;
}

async function sparkStreaming(config: Config, names: Names, local: string): Promise<SparkResult> {
  const layout = stackLayout(config.stack.dir);
  const home = sparkHome(layout);
  if (!home) throw new Error('pyspark is not installed in .stack/python: run bin/qpipe stack up');
  const jars = await sparkKafkaJars(config);
  const hdfsUri = `hdfs://127.0.0.1:${config.stack.ports.hdfsRpc}`;
  const conf = {
    'spark.driver.host': '127.0.0.1',
    'spark.driver.bindAddress': '127.0.0.1',
    'spark.ui.enabled': 'false',
    'spark.sql.session.timeZone': 'UTC',
    'spark.sql.shuffle.partitions': '2',
    'spark.local.dir': path.join(local, 'spark'),
    'spark.hadoop.fs.defaultFS': hdfsUri,
    'spark.hadoop.dfs.client.use.datanode.hostname': 'true',
    // The same HDFS client tuning as the stack's Spark (stack/services.ts): small files close fast.
    'spark.hadoop.dfs.client.block.write.locateFollowingBlock.initial.delay.ms': '20',
    'spark.hadoop.dfs.client.block.write.locateFollowingBlock.retries': '10',
    'spark.driver.extraJavaOptions': '-Duser.timezone=UTC',
  };
  const args = [
    '--master', 'local[2]', '--driver-memory', '1g', '--jars', jars.join(','),
    ...Object.entries(conf).flatMap(([key, value]) => ['--conf', `${key}=${value}`]),
    path.join(config.home, 'bench', 'spark_kafka_to_parquet.py'),
    '--bootstrap', config.kafka.brokers.join(','), '--topic', names.topic, '--group-prefix', names.sparkGroupPrefix,
    '--output', `${hdfsUri}${names.root}/spark/app_events`, '--checkpoint', `${hdfsUri}${names.root}/spark/_checkpoint`,
  ];
  const env = { ...process.env, SPARK_HOME: home, SPARK_LOCAL_IP: '127.0.0.1', PYSPARK_PYTHON: path.join(layout.python, 'bin', 'python'), HADOOP_USER_NAME: config.hdfs.user };
  const spawnedAt = Date.now();
  const finished = await runToEnd(path.join(home, 'bin', 'spark-submit'), args, env, 30 * 60_000);
  if (finished.code !== 0) throw failure('spark-submit', finished);
  const marks = new Map(
    finished.stdout.split('\n').filter((line) => line.startsWith('BENCH ')).map((line) => JSON.parse(line.slice(6)) as Mark).map((mark) => [mark.phase, mark] as const),
  );
  const mark = (phase: string): Mark => {
    const found = marks.get(phase);
    if (!found) throw failure(`spark job (no ${phase} mark)`, finished);
    return found;
  };
  return {
    inputRows: mark('query-done').input_rows ?? 0,
    rows: mark('verified').rows ?? 0,
    endToEndMs: mark('query-done').at_ms - spawnedAt,
    queryMs: mark('query-done').at_ms - mark('query-start').at_ms,
    startupMs: mark('query-start').at_ms - spawnedAt,
  };
}

// ---------------------------------------------------------------- 4. freshness and memory (child worker)

interface Flush {
  readonly partition: number;
  readonly first: number;
  readonly last: number;
  readonly at: number;
}

interface FreshnessResult {
  readonly events: number;
  readonly flushes: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly rotateMs: number;
  readonly vmHwm: number;
}

/** The environment of a `bin/qpipe stream` child on `topic` and `group` of this run. */
function childEnv(names: Names, topic: string, group: string): NodeJS.ProcessEnv {
  return { ...process.env, QPIPE_HDFS_ROOT: names.root, QPIPE_KAFKA_TOPIC: topic, QPIPE_STREAM_GROUP: group, QPIPE_STREAM_METRICS_PORT: '0', QPIPE_LOG_LEVEL: 'info' };
}

/** `bin/qpipe stream` with the fresh topic's env, its "stream flush durable" lines collected. */
class ChildWorker {
  readonly flushes: Flush[] = [];
  /** When the worker first read a partition (its "partition assigned" line): the group joined. */
  firstReadAt: number | undefined;
  private readonly child: ChildProcess;
  private started = false;
  private errors: string[] = [];
  readonly exited: Promise<number | null>;

  constructor(home: string, env: NodeJS.ProcessEnv) {
    this.child = spawn(path.join(home, 'bin', 'qpipe'), ['stream'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.onLine(line));
  }

  private onLine(line: string): void {
    let entry: { msg?: string; level?: number; time?: string; partition?: number; first?: string; last?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return;
    }
    if (entry.msg === 'stream worker started') this.started = true;
    if (entry.msg === 'partition assigned' && entry.time) this.firstReadAt ??= Date.parse(entry.time);
    if (entry.msg === 'stream flush durable' && entry.partition !== undefined && entry.first && entry.last && entry.time) {
      this.flushes.push({ partition: entry.partition, first: Number(entry.first), last: Number(entry.last), at: Date.parse(entry.time) });
    }
    if ((entry.level ?? 0) >= 50) this.errors.push(line);
  }

  async ready(timeoutMs: number): Promise<void> {
    const exited = this.exited.then((code) => Promise.reject(new Error(`bin/qpipe stream exited (${code}) before it started: ${this.errors.join('\n')}`)));
    await until(() => this.started, timeoutMs, 'bin/qpipe stream to start', exited);
  }

  /** Peak resident memory of the worker process so far, in bytes (VmHWM). */
  async peakRss(): Promise<number> {
    const status = await readFile(`/proc/${this.child.pid}/status`, 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    if (!match) throw new Error('no VmHWM in /proc/<pid>/status');
    return Number(match[1]) * 1024;
  }

  durableNext(partition: number): number {
    return Math.max(0, ...this.flushes.filter((flush) => flush.partition === partition).map((flush) => flush.last + 1));
  }

  /** SIGKILL: a crash. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (graceful), SIGKILL after `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(killer);
  }
}

async function freshness(config: Config, names: Names, opts: Options, register: (worker: ChildWorker) => void): Promise<FreshnessResult> {
  const env = childEnv(names, names.freshTopic, names.freshGroup);
  const childConfig = loadConfig(env);
  const kafka = createKafka(childConfig.kafka);
  await ensureTopics(kafka, childConfig.kafka);
  const worker = new ChildWorker(config.home, env);
  register(worker);
  await worker.ready(120_000);
  const sends = new SendLog();
  const produced = await produceSteady(kafka, names.freshTopic, opts.rate, opts.freshSeconds, sends);
  const high = await highWatermarks(kafka, names.freshTopic);
  const rotateMs = childConfig.stream.rotateMs;
  const failed = worker.exited.then((code) => Promise.reject(new Error(`bin/qpipe stream exited (${code})`)));
  await until(() => [...high].every(([partition, end]) => worker.durableNext(partition) >= end), rotateMs + 120_000, 'every fresh event to be durable', failed);
  const vmHwm = await worker.peakRss();
  await worker.stop();
  const ages = eventAges(worker.flushes, sends);
  if (ages.length !== produced) throw new Error(`freshness of ${ages.length} events, ${produced} produced`);
  return { events: ages.length, flushes: worker.flushes.length, p50: quantile(ages, 0.5), p99: quantile(ages, 0.99), max: ages[ages.length - 1]!, rotateMs, vmHwm };
}

/** Per event: when its flush was durable − when its send began; sorted ascending. */
function eventAges(flushes: readonly Flush[], sends: SendLog): number[] {
  const ages: number[] = [];
  for (const { partition, first, last, at } of flushes) {
    for (let offset = first; offset <= last; offset++) {
      const sentAt = sends.sentAt(partition, offset);
      if (sentAt === undefined) throw new Error(`no send for partition ${partition} offset ${offset}`);
      ages.push(at - sentAt);
    }
  }
  return ages.sort((a, b) => a - b);
}

/** Nearest-rank quantile of sorted values. */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

// ---------------------------------------------------------------- 5. recovery after a crash (child workers)

interface Restart {
  readonly signal: 'SIGKILL' | 'SIGTERM';
  /** Restart → the new worker's first read of a partition (the group rebalanced without the old member). */
  readonly readMs: number;
  /** Restart → its first durable file. */
  readonly durableMs: number;
}

interface RecoveryResult {
  readonly restarts: readonly Restart[];
  readonly rotateMs: number;
  readonly sessionTimeoutMs: number;
}

/**
 * `bin/qpipe stream` on its own topic while this process produces at `rate`: once it has flushed,
 * it is killed with SIGKILL and started again at once, `kills` times, then stopped with SIGTERM and
 * started again once (a graceful stop leaves the group). Per restart: the time to its first read and
 * to its first durable file. At the end every produced offset must be durable (the commit files).
 */
async function recovery(config: Config, names: Names, opts: Options, register: (worker: ChildWorker) => void): Promise<RecoveryResult> {
  const env = childEnv(names, names.recoveryTopic, names.recoveryGroup);
  const childConfig = loadConfig(env);
  const { rotateMs, sessionTimeoutMs } = childConfig.stream;
  const hdfs = new HdfsClient(childConfig.hdfs, createLogger('warn'));
  const kafka = createKafka(childConfig.kafka);
  await ensureTopics(kafka, childConfig.kafka);
  let producing = true;
  const production = produceSteady(kafka, names.recoveryTopic, opts.rate, 86_400, new SendLog(), () => producing);
  const start = () => {
    const worker = new ChildWorker(config.home, env);
    register(worker);
    return worker;
  };
  const restarts: Restart[] = [];
  try {
    let worker = start();
    await worker.ready(120_000);
    await until(() => worker.flushes.length > 0, rotateMs + 120_000, 'the first flush');
    for (const signal of [...Array.from({ length: opts.kills }, () => 'SIGKILL' as const), 'SIGTERM' as const]) {
      await (signal === 'SIGKILL' ? worker.kill() : worker.stop());
      const restartAt = Date.now();
      worker = start();
      const failed = worker.exited.then((code) => Promise.reject(new Error(`bin/qpipe stream exited (${code})`)));
      await until(() => worker.flushes.length > 0, rotateMs + sessionTimeoutMs + 120_000, `the first flush after a ${signal} restart`, failed);
      const restart = { signal, readMs: (worker.firstReadAt ?? Number.NaN) - restartAt, durableMs: worker.flushes[0]!.at - restartAt };
      figure(`recovery.${signal.toLowerCase()}_s`, restart.durableMs / 1_000, 's', `restart → first durable file (first read after ${seconds(restart.readMs)} s)`);
      restarts.push(restart);
    }
    producing = false;
    await production;
    const high = await topicEndOffsets(kafka, names.recoveryTopic);
    await waitUntilDurable(hdfs, names.root, names.recoveryTopic, high, rotateMs + 120_000);
    await worker.stop();
  } finally {
    producing = false;
    await production.catch(() => undefined);
  }
  return { restarts, rotateMs, sessionTimeoutMs };
}

function printRecovery({ restarts, rotateMs, sessionTimeoutMs }: RecoveryResult): void {
  const target = rotateMs + 30_000;
  const kills = restarts.filter((restart) => restart.signal === 'SIGKILL');
  const worst = Math.max(...kills.map((restart) => restart.durableMs));
  const note = `${kills.length} SIGKILLs, rotation ${seconds(rotateMs)} s, session timeout ${seconds(sessionTimeoutMs)} s`;
  figure('recovery.kill_worst_s', worst / 1_000, 's', `${note}; target <= ${seconds(target)} s (rotation + 30 s) ${worst <= target ? 'MET' : 'MISSED'}`);
  figure('recovery.kill_read_worst_s', Math.max(...kills.map((restart) => restart.readMs)) / 1_000, 's', 'restart → first read (the dead member\'s session expires first)');
  const graceful = restarts.find((restart) => restart.signal === 'SIGTERM');
  if (graceful) figure('recovery.term_read_s', graceful.readMs / 1_000, 's', 'after a graceful stop (it left the group): restart → first read');
}

// ---------------------------------------------------------------- clean-up

async function cleanUp(kafka: Kafka, hdfs: HdfsClient, names: Names): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const topics = new Set(await admin.listTopics());
    const mine = [names.topic, names.freshTopic, names.recoveryTopic].flatMap((topic) => [topic, `${topic}.dlq`]).filter((topic) => topics.has(topic));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine });
    const { groups } = await admin.listGroups();
    const groupIds = groups.map(({ groupId }) => groupId).filter((groupId) => groupId.startsWith(names.topic));
    if (groupIds.length > 0) await admin.deleteGroups(groupIds).catch(() => undefined);
  } catch (error) {
    console.error(`clean-up of Kafka topics/groups ${names.topic}*: ${(error as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  await hdfs.delete(names.root, { recursive: true }).catch((error: unknown) => console.error(`clean-up of ${names.root}: ${(error as Error).message}`));
  await hdfs.delete(path.posix.dirname(names.root)).catch(() => undefined); // only when no other run's root is left
}

/**
 * The Node client's own ceiling: a kafkajs consumer (fresh group) that only counts the records of
 * the same topic. It bounds what any kafkajs-based worker can reach on this machine. With `work`,
 * each batch's records also go through it (the rate of a consumer doing only that work).
 */
async function kafkajsRate(kafka: Kafka, topic: string, total: number, label: string, work?: (messages: readonly KafkaMessage[], partition: number) => void): Promise<number> {
  const consumer = kafka.consumer({ groupId: `${topic}-kafkajs-${label}`, maxWaitTimeInMs: 1_000, maxBytesPerPartition: 8 * 1024 * 1024 });
  await consumer.connect();
  let seen = 0;
  let first = Date.now();
  consumer.on(consumer.events.GROUP_JOIN, () => (first = Date.now())); // like qpipe's figure: from the group join
  let last = 0;
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch }) => {
        work?.(batch.messages, batch.partition);
        seen += batch.messages.length;
        last = Date.now();
      },
    });
    await until(() => seen >= total, 10 * 60_000, `the kafkajs consumer (${label}) to read every record`);
  } finally {
    await consumer.disconnect();
  }
  return total / ((last - first) / 1_000);
}

/** The least any worker must do per record: validate it and flatten it into its app_events line (no buffering, compression or HDFS). */
/**
 * The parse thread's own rate, without Kafka or HDFS: parseBatch (validate, flatten, write the JSON
 * lines, gzip) over the same generated events in memory, in batches of 10,000, on one thread. The
 * worker with the parse thread cannot drain faster than this.
 */
function parseBatchRate(topic: string, total: number): number {
  const records = eventMessages('bench-backlog', 0, total, Date.now()).map(({ value }, index) => ({ offset: String(index), value: Buffer.from(value), key: null }));
  const started = performance.now();
  for (let from = 0; from < records.length; from += 10_000) parseBatch(records.slice(from, from + 10_000), { topic, partition: 0, readAt: Date.now(), zoneOffsetMinutes: 0 });
  return total / ((performance.now() - started) / 1_000);
}

function validateAndFlatten(topic: string) {
  return (messages: readonly KafkaMessage[], partition: number) => {
    const readAt = Date.now();
    for (const { offset, value } of messages) {
      const parsed = parseEvent(value, { topic, partition, offset }, readAt);
      if (parsed.ok) appEventLine(parsed.row);
    }
  };
}

// ---------------------------------------------------------------- report

interface Report {
  readonly events: number;
  readonly drain: DrainResult;
  readonly ceiling: CeilingResult;
  readonly spark: SparkResult;
  readonly fresh: FreshnessResult;
  readonly restarts: RecoveryResult;
}

function printDrain(events: number, produceMs: number, produceBytes: number, drain: DrainResult): void {
  figure('produce.events_per_s', events / (produceMs / 1_000), 'events/s', `${events.toLocaleString('en-US')} events (${mib(produceBytes).toFixed(1)} MiB) pre-produced in ${seconds(produceMs)} s, idempotent, ${sendBatch}/send`);
  figure('qpipe.events_per_s', events / (drain.ms / 1_000), 'events/s', `group joined → every offset durable in HDFS, ${seconds(drain.ms)} s (exactly-once on)`);
  figure('qpipe.incl_start_per_s', events / (drain.withStartMs / 1_000), 'events/s', `worker start → every offset durable, ${seconds(drain.withStartMs)} s (connect and group join included)`);
  figure('qpipe.mb_per_s', mib(produceBytes) / (drain.ms / 1_000), 'MB/s', 'Kafka payload drained (MB = 2^20 bytes, as ConsumerPerformance counts)');
  figure('qpipe.drain_s', drain.ms / 1_000, 's', `${drain.flushes} flushes, ${drain.files} files, ${mib(drain.bytes).toFixed(1)} MiB gzip JSON lines, rotation ${seconds(drain.rotateMs)} s / 32 MiB, tail flushed by the graceful stop`);
  figure('qpipe.join_s', drain.joinMs / 1_000, 's', 'worker start → group joined (outside the rate, as in ConsumerPerformance fetch.nMsg.sec)');
  figure('qpipe.peak_rss_drain_mib', mib(drain.peakRss), 'MiB', 'in-process peak RSS while draining (this process: worker + bench)');
}

function printCeiling(qpipeRate: number, qpipeWithStartRate: number, ceiling: CeilingResult, kafkajsRate: number, flattenRate: number): void {
  figure('kafkajs.events_per_s', kafkajsRate, 'events/s', 'a kafkajs consumer that only counts the records (the Node client\'s own ceiling)');
  figure('ratio.qpipe_to_kafkajs', qpipeRate / kafkajsRate, 'x', 'informational: what validation, flattening and durable HDFS writes cost over the bare client');
  figure('kafkajs_flatten.events_per_s', flattenRate, 'events/s', 'a kafkajs consumer that only validates and flattens each record into its line (parseEvent, appEventLine)');
  figure('ratio.flatten_to_ceiling', flattenRate / ceiling.fetchMsgsPerS, 'x', 'informational: that least work alone, against the ceiling');
  figure('ratio.qpipe_to_flatten', qpipeRate / flattenRate, 'x', `qpipe against that validate-and-flatten consumer of this run; target >= 0.85 ${qpipeRate / flattenRate >= 0.85 ? 'MET' : 'MISSED'}`);
  figure('ceiling.events_per_s', ceiling.fetchMsgsPerS, 'events/s', `ConsumerPerformance fetch.nMsg.sec (${ceiling.messages.toLocaleString('en-US')} msgs, ${ceiling.fetchMBPerS.toFixed(1)} MB/s, join excluded)`);
  figure('ceiling.incl_join_per_s', ceiling.msgsPerS, 'events/s', `ConsumerPerformance nMsg.sec (rebalance ${ceiling.rebalanceMs} ms included)`);
  figure('ratio.qpipe_to_ceiling', qpipeRate / ceiling.fetchMsgsPerS, 'x', `both from the group join; target >= 0.5 ${qpipeRate / ceiling.fetchMsgsPerS >= 0.5 ? 'MET' : 'MISSED'}`);
  figure('ratio.incl_start', qpipeWithStartRate / ceiling.msgsPerS, 'x', 'informational: both with start-up and group join (qpipe.incl_start_per_s / ceiling.incl_join_per_s)');
}

function printSpark(qpipeRate: number, events: number, spark: SparkResult): void {
  const queryRate = events / (spark.queryMs / 1_000);
  figure('spark.events_per_s', queryRate, 'events/s', `query start → done, ${seconds(spark.queryMs)} s (JVM and session start-up excluded)`);
  figure('spark.end_to_end_per_s', events / (spark.endToEndMs / 1_000), 'events/s', `spark-submit spawn → query done, ${seconds(spark.endToEndMs)} s (start-up ${seconds(spark.startupMs)} s)`);
  figure('spark.rows', spark.rows, 'rows', `Parquet rows read back (query input ${spark.inputRows.toLocaleString('en-US')})`);
  figure('ratio.qpipe_to_spark', qpipeRate / queryRate, 'x', `vs Spark query-only; target >= 2 ${qpipeRate / queryRate >= 2 ? 'MET' : 'MISSED'}`);
}

function printFreshness(rate: number, fresh: FreshnessResult): void {
  const target = fresh.rotateMs + 5_000;
  const note = `${fresh.events.toLocaleString('en-US')} events at ${rate}/s, ${fresh.flushes} flushes, rotation ${seconds(fresh.rotateMs)} s`;
  figure('fresh.p50_s', fresh.p50 / 1_000, 's', note);
  figure('fresh.p99_s', fresh.p99 / 1_000, 's', `target <= ${seconds(target)} s (rotation + 5 s) ${fresh.p99 <= target ? 'MET' : 'MISSED'}`);
  figure('fresh.max_s', fresh.max / 1_000, 's');
  figure('worker.vmhwm_mib', mib(fresh.vmHwm), 'MiB', `bin/qpipe stream child peak resident (VmHWM), target < ${memoryTargetMiB}`);
}

function printSummary({ events, drain, ceiling, spark, fresh, restarts }: Report): void {
  const qpipeRate = events / (drain.ms / 1_000);
  const sparkRate = events / (spark.queryMs / 1_000);
  const peak = mib(fresh.vmHwm);
  const target = fresh.rotateMs + 5_000;
  const killWorst = Math.max(...restarts.restarts.filter((restart) => restart.signal === 'SIGKILL').map((restart) => restart.durableMs));
  const rows: [string, string, string, boolean | undefined][] = [
    ['events', events.toLocaleString('en-US'), '', undefined],
    ['qpipe events/s', formatNumber(qpipeRate), '', undefined],
    ['ceiling events/s', formatNumber(ceiling.fetchMsgsPerS), '', undefined],
    ['qpipe / ceiling', `${(qpipeRate / ceiling.fetchMsgsPerS).toFixed(2)} x`, '>= 0.5 x', qpipeRate / ceiling.fetchMsgsPerS >= 0.5],
    ['spark events/s (query only)', formatNumber(sparkRate), '', undefined],
    ['qpipe / spark', `${(qpipeRate / sparkRate).toFixed(2)} x`, '>= 2 x', qpipeRate / sparkRate >= 2],
    ['p99 freshness', `${seconds(fresh.p99)} s`, `<= ${seconds(target)} s`, fresh.p99 <= target],
    ['worker peak RSS', `${peak.toFixed(0)} MiB`, `< ${memoryTargetMiB} MiB`, peak < memoryTargetMiB],
    ['SIGKILL → durable (worst)', `${seconds(killWorst)} s`, `<= ${seconds(restarts.rotateMs + 30_000)} s`, killWorst <= restarts.rotateMs + 30_000],
  ];
  console.log('\nsummary');
  console.log(`  ${'figure'.padEnd(28)} ${'value'.padStart(12)}  ${'target'.padEnd(11)} met`);
  for (const [name, value, goal, met] of rows) console.log(`  ${name.padEnd(28)} ${value.padStart(12)}  ${goal.padEnd(11)} ${met === undefined ? '' : met ? 'yes' : 'NO'}`.trimEnd());
  console.log(`  (worker peak RSS: VmHWM of the worker as its own process, bin/qpipe stream; the drain's ${mib(drain.peakRss).toFixed(0)} MiB is that process with the benchmark in it)`);
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const opts = options();
  const names = benchNames(randomUUID().slice(0, 8));
  const config = loadConfig({
    ...process.env,
    QPIPE_HDFS_ROOT: names.root,
    QPIPE_KAFKA_TOPIC: names.topic,
    QPIPE_STREAM_GROUP: names.group,
    QPIPE_STREAM_METRICS_PORT: '0',
  });
  const log = createLogger('warn', { bench: 'stream' });
  const kafka = createKafka(config.kafka, log);
  const hdfs = new HdfsClient(config.hdfs, log);
  const local = await mkdtemp(path.join(tmpdir(), 'qpipe-bench-stream-'));
  let child: ChildWorker | undefined;
  let finishing: Promise<void> | undefined;
  const finish = () =>
    (finishing ??= (async () => {
      for (const command of running) command.kill('SIGKILL');
      await child?.stop(10_000);
      await cleanUp(kafka, hdfs, names);
      await rm(local, { recursive: true, force: true });
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void finish().finally(() => process.exit(130)));
  const wallStart = Date.now();
  try {
    console.log(`qpipe stream benchmark: ${opts.events.toLocaleString('en-US')} events, topic ${names.topic} (3 partitions), HDFS ${names.root}, 2 cores`);
    if (opts.recoveryOnly) {
      printRecovery(await recovery(config, names, opts, (worker) => (child = worker)));
      return;
    }
    await ensureTopics(kafka, config.kafka);
    const produced = await produceBacklog(kafka, names.topic, opts.events);
    const drain = await drainWithWorker(config, kafka, hdfs, log, opts.events);
    printDrain(opts.events, produced.ms, produced.bytes, drain);
    // The same drain with each batch parsed on the main thread before the next fetch (QPIPE_STREAM_PARSE_THREAD=false).
    const mainThreadConfig = { ...config, hdfs: { ...config.hdfs, root: `${names.root}/main-thread` }, stream: { ...config.stream, groupId: `${names.group}-main-thread`, parseThread: false } };
    const mainThreadDrain = await drainWithWorker(mainThreadConfig, kafka, hdfs, log, opts.events);
    figure('qpipe_main_thread.events_per_s', opts.events / (mainThreadDrain.ms / 1_000), 'events/s', `the same drain, parsing on the main thread (parse thread off): the thread gains ${((mainThreadDrain.ms / drain.ms - 1) * 100).toFixed(0)} %`);
    const qpipeRate = opts.events / (drain.ms / 1_000);
    const ceiling = await consumerCeiling(config, names, opts.events, local);
    const kafkajsCount = await kafkajsRate(kafka, names.topic, opts.events, 'count');
    const kafkajsFlatten = await kafkajsRate(kafka, names.topic, opts.events, 'flatten', validateAndFlatten(names.topic));
    printCeiling(qpipeRate, opts.events / (drain.withStartMs / 1_000), ceiling, kafkajsCount, kafkajsFlatten);
    const parseRate = parseBatchRate(names.topic, opts.events);
    figure('parse_batch.events_per_s', parseRate, 'events/s', 'parseBatch alone in memory on one thread (validate, flatten, JSON lines, gzip): what the parse thread can do');
    figure('ratio.qpipe_to_parse_batch', qpipeRate / parseRate, 'x', 'informational: the drain against that floor');
    const spark = await sparkStreaming(config, names, local);
    printSpark(qpipeRate, opts.events, spark);
    const fresh = await freshness(config, names, opts, (worker) => (child = worker));
    printFreshness(opts.rate, fresh);
    const restarts = await recovery(config, names, opts, (worker) => (child = worker));
    printRecovery(restarts);
    printSummary({ events: opts.events, drain, ceiling, spark, fresh, restarts });
    figure('wall_s', (Date.now() - wallStart) / 1_000, 's', 'whole benchmark');
  } finally {
    await finish();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
