import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from './errors';
import { isTimeZone } from './pure/slots';

/**
 * The one typed configuration of qpipe, read once from the environment (and, when
 * `QPIPE_CONFIG_FILE` names one, from a `KEY=VALUE` file whose values the environment overrides).
 * Nothing else in qpipe reads `process.env`. Every field has a documented default that fits the
 * local stack (`bin/qpipe stack up`); the defaults for ports double as the ports the stack listens on.
 */
export interface Config {
  /** The repository root (where `bin/qpipe` lives). */
  readonly home: string;
  /** Local data dirs. `QPIPE_LANDING_DIR` (data/landing), `QPIPE_REPORTS_DIR` (data/reports), `QPIPE_ARCHIVE_DIR` (data/archive), `QPIPE_REJECTED_DIR` (data/rejected). */
  readonly dirs: { readonly landing: string; readonly reports: string; readonly archive: string; readonly rejected: string };
  /** A landing file must keep its size and mtime this long to count as complete, `QPIPE_LANDING_SETTLE_MS` (2000). */
  readonly landingSettleMs: number;
  readonly log: { readonly level: LogLevel };
  readonly hdfs: HdfsConfig;
  readonly hive: HiveConfig;
  readonly kafka: KafkaConfig;
  readonly temporal: TemporalConfig;
  readonly schedules: SchedulesConfig;
  readonly warehouse: WarehouseConfig;
  readonly dq: DqConfig;
  /** The schema contracts, one `v<N>.json` per version, `QPIPE_SCHEMAS_DIR` (`<home>/schemas`): what `qpipe schema check` reads. */
  readonly schemasDir: string;
  readonly stream: StreamConfig;
  readonly worker: WorkerConfig;
  readonly objectives: ObjectivesConfig;
  readonly stack: StackConfig;
}

/** The Kafka → HDFS stream worker (`qpipe stream`). */
export interface WorkerConfig {
  /** Prometheus metrics (the Temporal SDK's and qpipe's) on 127.0.0.1:`QPIPE_WORKER_METRICS_PORT` (9465); 0 turns them off. */
  readonly metricsPort: number;
}

/** The objectives `qpipe status` holds the pipeline to (exit 2 when one is breached). */
export interface ObjectivesConfig {
  /** The hourly batch succeeded within this many minutes (`QPIPE_OBJECTIVE_BATCH_MINUTES`, 120). */
  readonly batchWithinMinutes: number;
  /** Every record of the stream durable within this many minutes of reaching Kafka (`QPIPE_OBJECTIVE_STREAM_MINUTES`, 5). */
  readonly streamWithinMinutes: number;
}

export interface StreamConfig {
  /** Consumer group, `QPIPE_STREAM_GROUP` (qpipe-stream). */
  readonly groupId: string;
  /** A partition's buffer is flushed to a file at this size, `QPIPE_STREAM_ROTATE_BYTES` (33554432: 32 MiB). */
  readonly rotateBytes: number;
  /** …or when its oldest record is this old, `QPIPE_STREAM_ROTATE_MS` (60000): a quiet topic still flushes. */
  readonly rotateMs: number;
  /** Prometheus metrics on 127.0.0.1:`QPIPE_STREAM_METRICS_PORT` (9464); 0 turns them off. */
  readonly metricsPort: number;
  /**
   * The consumer group session timeout, `QPIPE_STREAM_SESSION_TIMEOUT_MS` (10000; the broker's
   * minimum is 6000): how long a worker that died without leaving keeps its partitions before the
   * group gives them to another, which delays a restarted worker's first read by as much. The
   * heartbeat is a tenth of it (at least 1 s); kafkajs heartbeats between batches, so a flush longer
   * than it costs a rebalance, never data (the partition's new owner fences the old one).
   */
  readonly sessionTimeoutMs: number;
  /**
   * Parse fetched batches on a worker thread while the main thread fetches the next,
   * `QPIPE_STREAM_PARSE_THREAD` (true). Off: each batch is parsed on the main thread before the next fetch.
   */
  readonly parseThread: boolean;
  /** The zone of event timestamps that carry none, as a fixed UTC offset, `QPIPE_EVENT_SOURCE_UTC_OFFSET` (+00:00), in minutes. */
  readonly sourceOffsetMinutes: number;
}

/** The data-quality checks (README, "Data-quality checks"). */
export interface DqConfig {
  /** The check files, one `<table>.yml` per table, `QPIPE_CHECKS_DIR` (`<home>/checks`). */
  readonly checksDir: string;
  /** Failing rows' keys kept per check and batch in `dq_failed_rows`, `QPIPE_DQ_SAMPLE_ROWS` (20). */
  readonly sampleRows: number;
  /** Who a `qpipe batch release|discard` is recorded as without `--by`, `QPIPE_OPERATOR` (unset: the login name). */
  readonly operator?: string;
}

/** The Delta warehouse's upkeep (the daily warehouse maintenance). */
export interface WarehouseConfig {
  /**
   * VACUUM keeps the files of every version younger than this, `QPIPE_WAREHOUSE_VACUUM_RETENTION_HOURS`
   * (168: 7 days, Delta's own default): time travel and `qpipe batch revert` reach back this far.
   */
  readonly vacuumRetentionHours: number;
  /**
   * OPTIMIZE writes files of up to this size and leaves files of this size alone,
   * `QPIPE_WAREHOUSE_OPTIMIZE_FILE_MB` (128: one HDFS block; Delta's default is 1 GiB). A year of
   * hourly drops (13M sales, about 1.2 GB) is then ten clustered files, of which a date filter reads one.
   */
  readonly optimizeFileBytes: number;
}

/** When the durable schedules fire (`qpipe schedules apply`). */
export interface SchedulesConfig {
  /** IANA time zone of the daily dump's time and of its "previous day", `QPIPE_SCHEDULE_TIMEZONE` (UTC). */
  readonly timeZone: string;
  /** Local time of the daily dump, `QPIPE_DAILY_DUMP_AT` `HH:MM` (01:00). */
  readonly dailyDumpAt: { readonly hour: number; readonly minute: number };
  /** Minute past each hour of the hourly batch (and stream maintenance), `QPIPE_HOURLY_AT_MINUTE` (5). */
  readonly hourlyAtMinute: number;
  /** Local time of the daily warehouse maintenance, `QPIPE_WAREHOUSE_MAINTENANCE_AT` `HH:MM` (02:00). */
  readonly warehouseMaintenanceAt: { readonly hour: number; readonly minute: number };
}

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

export interface HdfsConfig {
  /** WebHDFS (or HttpFS) base URL, `QPIPE_WEBHDFS_URL`; default `http://127.0.0.1:<QPIPE_HDFS_HTTP_PORT>`. */
  readonly url: string;
  /** The HDFS user for simple auth, `QPIPE_HDFS_USER`, default `qpipe`. */
  readonly user: string;
  /** Root of everything qpipe writes, `QPIPE_HDFS_ROOT`, default `/qpipe`. */
  readonly root: string;
  /** Deadline of one WebHDFS request (a whole upload counts as one), `QPIPE_HDFS_TIMEOUT_MS`, default 60000. */
  readonly timeoutMs: number;
}

export const hiveAuthModes = ['NONE', 'NOSASL'] as const;
export type HiveAuthMode = (typeof hiveAuthModes)[number];

export interface HiveConfig {
  /** HiveServer2 / Spark Thrift host and port, `QPIPE_HIVE_HOST` (127.0.0.1), `QPIPE_HIVE_PORT` (10000). */
  readonly host: string;
  readonly port: number;
  /**
   * `QPIPE_HIVE_AUTH`: `NONE` (SASL PLAIN transport, HiveServer2's default, the local stack's) or
   * `NOSASL` (raw transport). It must match the server's `hive.server2.authentication`: a mismatch
   * makes the server wait forever, which the session timeout turns into an error naming this setting.
   */
  readonly auth: HiveAuthMode;
  /** `QPIPE_HIVE_USER` (qpipe) and `QPIPE_HIVE_PASSWORD` (empty): secrets only from the environment. */
  readonly username: string;
  readonly password: string;
  /** Deadlines: TCP connect + auth `QPIPE_HIVE_CONNECT_TIMEOUT_MS` (10000), open session `QPIPE_HIVE_SESSION_TIMEOUT_MS` (30000). */
  readonly connectTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  /** Default deadline of one statement, `QPIPE_HIVE_STATEMENT_TIMEOUT_MS` (600000); past it the statement is cancelled. */
  readonly statementTimeoutMs: number;
  /** How often a running statement's status is polled, `QPIPE_HIVE_POLL_INTERVAL_MS` (200). */
  readonly pollIntervalMs: number;
  /** The warehouse database, `QPIPE_HIVE_DATABASE`, default `q_dwh`. */
  readonly database: string;
}

export const kafkaSaslMechanisms = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type KafkaSaslMechanism = (typeof kafkaSaslMechanisms)[number];

export interface KafkaConfig {
  /** `QPIPE_KAFKA_BROKERS`, comma separated; default `127.0.0.1:<QPIPE_KAFKA_PORT>`. */
  readonly brokers: readonly string[];
  /** `QPIPE_KAFKA_CLIENT_ID`, default `qpipe`. */
  readonly clientId: string;
  /** `QPIPE_KAFKA_SSL` (false). */
  readonly ssl: boolean;
  /** `QPIPE_KAFKA_SASL_MECHANISM` (unset: no SASL), `QPIPE_KAFKA_SASL_USERNAME`, `QPIPE_KAFKA_SASL_PASSWORD`. */
  readonly sasl?: { readonly mechanism: KafkaSaslMechanism; readonly username: string; readonly password: string };
  /** `QPIPE_KAFKA_TOPIC` (app_logs) and `QPIPE_KAFKA_DLQ_TOPIC` (<topic>.dlq). */
  readonly topic: string;
  readonly dlqTopic: string;
  /** Deadline of connecting and of one request, `QPIPE_KAFKA_TIMEOUT_MS` (10000). */
  readonly timeoutMs: number;
}

export interface TemporalConfig {
  /** Temporal's own variables: `TEMPORAL_ADDRESS` (127.0.0.1:<QPIPE_TEMPORAL_PORT>), `TEMPORAL_NAMESPACE` (default). */
  readonly address: string;
  readonly namespace: string;
  /** `QPIPE_TASK_QUEUE`, default `qpipe`. */
  readonly taskQueue: string;
  /** TLS: `TEMPORAL_TLS` (false), or implied by `TEMPORAL_TLS_CLIENT_CERT_PATH` + `TEMPORAL_TLS_CLIENT_KEY_PATH`; `TEMPORAL_TLS_SERVER_CA_CERT_PATH`; `TEMPORAL_API_KEY`. */
  readonly tls?: { readonly clientCertPath?: string; readonly clientKeyPath?: string; readonly serverCaCertPath?: string };
  readonly apiKey?: string;
  /** The Temporal Web UI, `QPIPE_TEMPORAL_UI_URL`, default `http://127.0.0.1:<QPIPE_TEMPORAL_UI_PORT>`. */
  readonly uiUrl: string;
}

export const stackProfiles = ['local', 'cluster'] as const;
export type StackProfile = (typeof stackProfiles)[number];

/**
 * The cluster profile's Spark master and Hive metastore. Unset, `stack up --profile cluster` starts
 * both on this machine; set, they are the company's, which qpipe checks and never starts.
 */
export interface ClusterConfig {
  /**
   * `QPIPE_SPARK_MASTER`: where the Thrift Server submits its jobs, `spark://host:port`, `yarn` or
   * `k8s://https://host:port`. Default `spark://127.0.0.1:<QPIPE_SPARK_MASTER_PORT>`, started by the stack.
   */
  readonly sparkMaster?: string;
  /** `QPIPE_SPARK_WORKERS` (2): how many standalone workers the stack starts, one core each. */
  readonly sparkWorkers: number;
  /**
   * `QPIPE_METASTORE_URL`: the metastore's JDBC URL, `jdbc:postgresql://host:port/db`. Default
   * `jdbc:postgresql://127.0.0.1:<QPIPE_METASTORE_PORT>/metastore`, a PostgreSQL cluster the stack
   * creates under its state dir. `QPIPE_METASTORE_USER` (qpipe), `QPIPE_METASTORE_PASSWORD` (empty:
   * the stack's own cluster trusts loopback): secrets only from the environment.
   */
  readonly metastoreUrl?: string;
  readonly metastoreUser: string;
  readonly metastorePassword: string;
}

/** The local stack: where it lives, its ports and its memory. */
export interface StackConfig {
  /** `QPIPE_STACK_DIR`, default `<home>/.stack`: installs, state, logs, pid files. */
  readonly dir: string;
  /**
   * `QPIPE_STACK_PROFILE`: `local` (Spark in local mode inside the Thrift Server, embedded Derby
   * metastore) or `cluster` (a Spark standalone master and workers, a PostgreSQL metastore). Unset:
   * the profile the stack last ran, else `local`. `stack up --profile` overrides it.
   */
  readonly profile?: StackProfile;
  /** The cluster profile's Spark and metastore; each points at an external service when set. */
  readonly cluster: ClusterConfig;
  readonly ports: {
    /** `QPIPE_TEMPORAL_PORT` 7233, `QPIPE_TEMPORAL_UI_PORT` 8233. */
    readonly temporal: number;
    readonly temporalUi: number;
    /** `QPIPE_KAFKA_PORT` 9092, `QPIPE_KAFKA_CONTROLLER_PORT` 9093. */
    readonly kafka: number;
    readonly kafkaController: number;
    /** `QPIPE_HDFS_RPC_PORT` 9000, `QPIPE_HDFS_HTTP_PORT` 9870 (WebHDFS), `QPIPE_DATANODE_PORT` 9866 (its HTTP port is `QPIPE_DATANODE_HTTP_PORT` 9864, IPC 9867). */
    readonly hdfsRpc: number;
    readonly hdfsHttp: number;
    readonly datanode: number;
    readonly datanodeHttp: number;
    readonly datanodeIpc: number;
    /** `QPIPE_HIVE_PORT` 10000 (the Spark Thrift Server). */
    readonly thrift: number;
    /**
     * Cluster profile: the Spark master `QPIPE_SPARK_MASTER_PORT` 7077 and its web UI and REST API
     * `QPIPE_SPARK_MASTER_UI_PORT` 8080; worker N's web UI `QPIPE_SPARK_WORKER_UI_PORT` + N - 1
     * (8081, 8082); the Thrift Server's own Spark UI `QPIPE_SPARK_UI_PORT` 4040; PostgreSQL
     * `QPIPE_METASTORE_PORT` 5432.
     */
    readonly sparkMaster: number;
    readonly sparkMasterUi: number;
    readonly sparkWorkerUi: number;
    readonly sparkUi: number;
    readonly metastore: number;
  };
  readonly memory: {
    /** JVM heaps: `QPIPE_KAFKA_HEAP` 512m, `QPIPE_NAMENODE_HEAP` 384m, `QPIPE_DATANODE_HEAP` 256m, `QPIPE_SPARK_DRIVER_MEMORY` 1536m. */
    readonly kafkaHeap: string;
    readonly namenodeHeap: string;
    readonly datanodeHeap: string;
    readonly sparkDriverMemory: string;
    /**
     * Cluster profile: each executor's heap `QPIPE_SPARK_EXECUTOR_MEMORY` 768m (one per worker, one
     * core each), and the heap of the master and of each worker daemon `QPIPE_SPARK_DAEMON_HEAP` 256m.
     */
    readonly sparkExecutorMemory: string;
    readonly sparkDaemonHeap: string;
  };
  /** Deadline for each service to become healthy on `stack up`, `QPIPE_STACK_START_TIMEOUT_MS` (120000). */
  readonly startTimeoutMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads and validates the configuration. Throws `ConfigError` naming the first bad variable. */
export function loadConfig(processEnv: Env = process.env, home = repositoryRoot()): Config {
  const env = withConfigFile(processEnv, home);
  const read = reader(env);
  const ports = {
    temporal: read.port('QPIPE_TEMPORAL_PORT', 7233),
    temporalUi: read.port('QPIPE_TEMPORAL_UI_PORT', 8233),
    kafka: read.port('QPIPE_KAFKA_PORT', 9092),
    kafkaController: read.port('QPIPE_KAFKA_CONTROLLER_PORT', 9093),
    hdfsRpc: read.port('QPIPE_HDFS_RPC_PORT', 9000),
    hdfsHttp: read.port('QPIPE_HDFS_HTTP_PORT', 9870),
    datanode: read.port('QPIPE_DATANODE_PORT', 9866),
    datanodeHttp: read.port('QPIPE_DATANODE_HTTP_PORT', 9864),
    datanodeIpc: read.port('QPIPE_DATANODE_IPC_PORT', 9867),
    thrift: read.port('QPIPE_HIVE_PORT', 10000),
    sparkMaster: read.port('QPIPE_SPARK_MASTER_PORT', 7077),
    sparkMasterUi: read.port('QPIPE_SPARK_MASTER_UI_PORT', 8080),
    sparkWorkerUi: read.port('QPIPE_SPARK_WORKER_UI_PORT', 8081),
    sparkUi: read.port('QPIPE_SPARK_UI_PORT', 4040),
    metastore: read.port('QPIPE_METASTORE_PORT', 5432),
  };
  const topic = read.string('QPIPE_KAFKA_TOPIC', 'app_logs');
  const saslMechanism = read.optionalOneOf('QPIPE_KAFKA_SASL_MECHANISM', kafkaSaslMechanisms);
  const tlsCert = read.optionalPath('TEMPORAL_TLS_CLIENT_CERT_PATH', home);
  const tlsKey = read.optionalPath('TEMPORAL_TLS_CLIENT_KEY_PATH', home);
  const tlsCa = read.optionalPath('TEMPORAL_TLS_SERVER_CA_CERT_PATH', home);
  if (Boolean(tlsCert) !== Boolean(tlsKey)) {
    throw new ConfigError(tlsCert ? 'TEMPORAL_TLS_CLIENT_KEY_PATH' : 'TEMPORAL_TLS_CLIENT_CERT_PATH', 'client certificate and key go together');
  }
  const temporalTls = read.boolean('TEMPORAL_TLS', false) || Boolean(tlsCert) || Boolean(tlsCa);

  return {
    home,
    dirs: {
      landing: read.path('QPIPE_LANDING_DIR', 'data/landing', home),
      reports: read.path('QPIPE_REPORTS_DIR', 'data/reports', home),
      archive: read.path('QPIPE_ARCHIVE_DIR', 'data/archive', home),
      rejected: read.path('QPIPE_REJECTED_DIR', 'data/rejected', home),
    },
    landingSettleMs: read.nonNegativeInt('QPIPE_LANDING_SETTLE_MS', 2_000),
    log: { level: read.oneOf('QPIPE_LOG_LEVEL', logLevels, 'info') },
    hdfs: {
      url: read.url('QPIPE_WEBHDFS_URL', `http://127.0.0.1:${ports.hdfsHttp}`),
      user: read.string('QPIPE_HDFS_USER', 'qpipe'),
      root: read.absoluteHdfsPath('QPIPE_HDFS_ROOT', '/qpipe'),
      timeoutMs: read.positiveInt('QPIPE_HDFS_TIMEOUT_MS', 60_000),
    },
    hive: {
      host: read.string('QPIPE_HIVE_HOST', '127.0.0.1'),
      port: ports.thrift,
      auth: read.oneOf('QPIPE_HIVE_AUTH', hiveAuthModes, 'NONE'),
      username: read.string('QPIPE_HIVE_USER', 'qpipe'),
      password: env.QPIPE_HIVE_PASSWORD ?? '',
      connectTimeoutMs: read.positiveInt('QPIPE_HIVE_CONNECT_TIMEOUT_MS', 10_000),
      sessionTimeoutMs: read.positiveInt('QPIPE_HIVE_SESSION_TIMEOUT_MS', 30_000),
      statementTimeoutMs: read.positiveInt('QPIPE_HIVE_STATEMENT_TIMEOUT_MS', 600_000),
      pollIntervalMs: read.positiveInt('QPIPE_HIVE_POLL_INTERVAL_MS', 200),
      database: read.identifier('QPIPE_HIVE_DATABASE', 'q_dwh'),
    },
    kafka: {
      brokers: read.list('QPIPE_KAFKA_BROKERS', [`127.0.0.1:${ports.kafka}`]),
      clientId: read.string('QPIPE_KAFKA_CLIENT_ID', 'qpipe'),
      ssl: read.boolean('QPIPE_KAFKA_SSL', false),
      sasl: saslMechanism
        ? { mechanism: saslMechanism, username: read.required('QPIPE_KAFKA_SASL_USERNAME'), password: read.required('QPIPE_KAFKA_SASL_PASSWORD') }
        : undefined,
      topic,
      dlqTopic: read.string('QPIPE_KAFKA_DLQ_TOPIC', `${topic}.dlq`),
      timeoutMs: read.positiveInt('QPIPE_KAFKA_TIMEOUT_MS', 10_000),
    },
    temporal: {
      address: read.string('TEMPORAL_ADDRESS', `127.0.0.1:${ports.temporal}`),
      namespace: read.string('TEMPORAL_NAMESPACE', 'default'),
      taskQueue: read.string('QPIPE_TASK_QUEUE', 'qpipe'),
      tls: temporalTls ? { clientCertPath: tlsCert, clientKeyPath: tlsKey, serverCaCertPath: tlsCa } : undefined,
      apiKey: env.TEMPORAL_API_KEY || undefined,
      uiUrl: read.url('QPIPE_TEMPORAL_UI_URL', `http://127.0.0.1:${ports.temporalUi}`),
    },
    schedules: {
      timeZone: read.timeZone('QPIPE_SCHEDULE_TIMEZONE', 'UTC'),
      dailyDumpAt: read.timeOfDay('QPIPE_DAILY_DUMP_AT', '01:00'),
      hourlyAtMinute: read.minute('QPIPE_HOURLY_AT_MINUTE', 5),
      warehouseMaintenanceAt: read.timeOfDay('QPIPE_WAREHOUSE_MAINTENANCE_AT', '02:00'),
    },
    warehouse: {
      vacuumRetentionHours: read.nonNegativeInt('QPIPE_WAREHOUSE_VACUUM_RETENTION_HOURS', 168),
      optimizeFileBytes: read.positiveInt('QPIPE_WAREHOUSE_OPTIMIZE_FILE_MB', 128) * 1024 * 1024,
    },
    schemasDir: read.path('QPIPE_SCHEMAS_DIR', 'schemas', home),
    dq: {
      checksDir: read.path('QPIPE_CHECKS_DIR', 'checks', home),
      sampleRows: read.positiveInt('QPIPE_DQ_SAMPLE_ROWS', 20),
      operator: env.QPIPE_OPERATOR || undefined,
    },
    worker: { metricsPort: read.nonNegativeInt('QPIPE_WORKER_METRICS_PORT', 9465) },
    objectives: {
      batchWithinMinutes: read.positiveInt('QPIPE_OBJECTIVE_BATCH_MINUTES', 120),
      streamWithinMinutes: read.positiveInt('QPIPE_OBJECTIVE_STREAM_MINUTES', 5),
    },
    stream: {
      groupId: read.string('QPIPE_STREAM_GROUP', 'qpipe-stream'),
      rotateBytes: read.positiveInt('QPIPE_STREAM_ROTATE_BYTES', 32 * 1024 * 1024),
      rotateMs: read.positiveInt('QPIPE_STREAM_ROTATE_MS', 60_000),
      metricsPort: read.nonNegativeInt('QPIPE_STREAM_METRICS_PORT', 9464),
      sessionTimeoutMs: read.positiveInt('QPIPE_STREAM_SESSION_TIMEOUT_MS', 10_000),
      parseThread: read.boolean('QPIPE_STREAM_PARSE_THREAD', true),
      sourceOffsetMinutes: read.utcOffset('QPIPE_EVENT_SOURCE_UTC_OFFSET', '+00:00'),
    },
    stack: {
      dir: read.path('QPIPE_STACK_DIR', '.stack', home),
      profile: read.optionalOneOf('QPIPE_STACK_PROFILE', stackProfiles),
      cluster: {
        sparkMaster: read.optionalSparkMaster('QPIPE_SPARK_MASTER'),
        sparkWorkers: read.intBetween('QPIPE_SPARK_WORKERS', 2, 1, 8),
        metastoreUrl: read.optionalJdbcUrl('QPIPE_METASTORE_URL'),
        metastoreUser: read.string('QPIPE_METASTORE_USER', 'qpipe'),
        metastorePassword: env.QPIPE_METASTORE_PASSWORD ?? '',
      },
      ports,
      memory: {
        kafkaHeap: read.memory('QPIPE_KAFKA_HEAP', '512m'),
        namenodeHeap: read.memory('QPIPE_NAMENODE_HEAP', '384m'),
        datanodeHeap: read.memory('QPIPE_DATANODE_HEAP', '256m'),
        sparkDriverMemory: read.memory('QPIPE_SPARK_DRIVER_MEMORY', '1536m'),
        sparkExecutorMemory: read.memory('QPIPE_SPARK_EXECUTOR_MEMORY', '768m'),
        sparkDaemonHeap: read.memory('QPIPE_SPARK_DAEMON_HEAP', '256m'),
      },
      startTimeoutMs: read.positiveInt('QPIPE_STACK_START_TIMEOUT_MS', 120_000),
    },
  };
}

/** The repository root: two levels above this file (`lib/config.ts`). */
export function repositoryRoot(): string {
  return path.resolve(__dirname, '..');
}

function withConfigFile(env: Env, home: string): Env {
  const file = env.QPIPE_CONFIG_FILE;
  if (!file) return env;
  let text: string;
  try {
    text = readFileSync(path.resolve(home, file), 'utf8');
  } catch (error) {
    throw new ConfigError('QPIPE_CONFIG_FILE', `cannot read ${file}: ${(error as Error).message}`);
  }
  const fromFile: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const match = /^([A-Z][A-Z0-9_]*)\s*=\s*(.*)$/.exec(trimmed);
    if (!match) throw new ConfigError('QPIPE_CONFIG_FILE', `${file}:${index + 1} is not KEY=VALUE`);
    fromFile[match[1]!] = match[2]!.replace(/^(['"])(.*)\1$/, '$2');
  });
  return { ...fromFile, ...env };
}

function reader(env: Env) {
  const raw = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const positiveInt = (name: string, fallback: number): number => {
    const value = raw(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) <= 0) throw new ConfigError(name, `expected a positive whole number, got "${value}"`);
    return Number(value);
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const value = raw(name);
    if (value === undefined) return fallback;
    const found = allowed.find((option) => option.toLowerCase() === value.toLowerCase());
    if (!found) throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got "${value}"`);
    return found;
  };
  return {
    nonNegativeInt(name: string, fallback: number): number {
      const value = raw(name);
      if (value === undefined) return fallback;
      if (!/^\d+$/.test(value)) throw new ConfigError(name, `expected a whole number, got "${value}"`);
      return Number(value);
    },
    required(name: string): string {
      const value = raw(name);
      if (value === undefined) throw new ConfigError(name, 'is required');
      return value;
    },
    string: (name: string, fallback: string): string => raw(name) ?? fallback,
    positiveInt,
    intBetween(name: string, fallback: number, min: number, max: number): number {
      const value = positiveInt(name, fallback);
      if (value < min || value > max) throw new ConfigError(name, `expected ${min}-${max}, got ${value}`);
      return value;
    },
    port(name: string, fallback: number): number {
      const value = positiveInt(name, fallback);
      if (value > 65_535) throw new ConfigError(name, `expected a port (1-65535), got ${value}`);
      return value;
    },
    boolean(name: string, fallback: boolean): boolean {
      const value = raw(name)?.toLowerCase();
      if (value === undefined) return fallback;
      if (['1', 'true', 'yes', 'on'].includes(value)) return true;
      if (['0', 'false', 'no', 'off'].includes(value)) return false;
      throw new ConfigError(name, `expected true or false, got "${value}"`);
    },
    oneOf,
    optionalOneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
      return raw(name) === undefined ? undefined : oneOf(name, allowed, allowed[0]!);
    },
    path: (name: string, fallback: string, home: string): string => path.resolve(home, raw(name) ?? fallback),
    optionalPath(name: string, home: string): string | undefined {
      const value = raw(name);
      return value === undefined ? undefined : path.resolve(home, value);
    },
    absoluteHdfsPath(name: string, fallback: string): string {
      const value = raw(name) ?? fallback;
      if (!value.startsWith('/') || value.includes('..')) throw new ConfigError(name, `expected an absolute HDFS path, got "${value}"`);
      return value.length > 1 ? value.replace(/\/+$/, '') : value;
    },
    url(name: string, fallback: string): string {
      const value = raw(name) ?? fallback;
      try {
        const url = new URL(value);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
      } catch {
        throw new ConfigError(name, `expected an http(s) URL, got "${value}"`);
      }
      return value.replace(/\/+$/, '');
    },
    optionalSparkMaster(name: string): string | undefined {
      const value = raw(name);
      if (value === undefined) return undefined;
      if (!/^(spark:\/\/[^\s/]+:\d+|yarn|k8s:\/\/https?:\/\/\S+)$/.test(value)) {
        throw new ConfigError(name, `expected spark://host:port, yarn or k8s://https://host:port, got "${value}"`);
      }
      return value;
    },
    optionalJdbcUrl(name: string): string | undefined {
      const value = raw(name);
      if (value === undefined) return undefined;
      // The message leaves out the URL's parameters: they may hold a password.
      if (!/^jdbc:postgresql:\/\/[^\s/]+\/\w+(\?\S*)?$/.test(value)) throw new ConfigError(name, `expected jdbc:postgresql://host:port/database, got "${value.split('?')[0]}"`);
      return value;
    },
    identifier(name: string, fallback: string): string {
      const value = raw(name) ?? fallback;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) throw new ConfigError(name, `expected an SQL identifier, got "${value}"`);
      return value;
    },
    memory(name: string, fallback: string): string {
      const value = raw(name) ?? fallback;
      if (!/^\d+[kmg]$/i.test(value)) throw new ConfigError(name, `expected a JVM size such as 512m or 2g, got "${value}"`);
      return value.toLowerCase();
    },
    timeZone(name: string, fallback: string): string {
      const value = raw(name) ?? fallback;
      if (!isTimeZone(value)) throw new ConfigError(name, `expected an IANA time zone such as UTC or Europe/Berlin, got "${value}"`);
      return value;
    },
    timeOfDay(name: string, fallback: string): { hour: number; minute: number } {
      const value = raw(name) ?? fallback;
      const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
      if (!match) throw new ConfigError(name, `expected a time HH:MM (00:00-23:59), got "${value}"`);
      return { hour: Number(match[1]), minute: Number(match[2]) };
    },
    utcOffset(name: string, fallback: string): number {
      const value = raw(name) ?? fallback;
      const match = /^([+-])(\d{2}):(\d{2})$/.exec(value);
      if (!match || Number(match[2]) > 14 || Number(match[3]) > 59) throw new ConfigError(name, `expected a UTC offset such as +00:00 or -05:00, got "${value}"`);
      return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
    },
    minute(name: string, fallback: number): number {
      const value = raw(name);
      if (value === undefined) return fallback;
      if (!/^\d+$/.test(value) || Number(value) > 59) throw new ConfigError(name, `expected a minute 0-59, got "${value}"`);
      return Number(value);
    },
    list(name: string, fallback: string[]): string[] {
      const value = raw(name);
      if (value === undefined) return fallback;
      const items = value.split(',').map((item) => item.trim()).filter(Boolean);
      if (items.length === 0) throw new ConfigError(name, 'expected a comma-separated list');
      return items;
    },
  };
}
