import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Config, StackProfile } from '../lib/config';
import { StackError } from '../lib/errors';
import { HiveClient } from '../lib/hive-client';
import { createKafka, ensureTopics } from '../lib/kafka';
import { silentLogger } from '../lib/log';
import {
  checkSparkCluster, checkTimeoutMs, clusterCatalogConf, clusterExecutorConf, configurationXml, ensureMetastoreSchema, metastoreTarget, postgresProcess,
  preparePostgres, prepareSparkCluster, psql, sparkClusterProcesses, sparkMasterTarget, tcpReachable, writeClusterSparkConf,
} from './cluster';
import { sparkHomeOrPlaceholder, type StackLayout } from './layout';
import type { ProcessSpec } from './processes';
import { runCommand } from './shell';

/** Every service of either profile, in start order. */
export const serviceNames = ['temporal', 'hdfs', 'kafka', 'metastore', 'spark-cluster', 'spark'] as const;
export type ServiceName = (typeof serviceNames)[number];

/** The services a profile runs: the cluster profile adds the PostgreSQL metastore and the Spark master and workers. */
export function profileServiceNames(profile: StackProfile): readonly ServiceName[] {
  return profile === 'cluster' ? serviceNames : serviceNames.filter((name) => name !== 'metastore' && name !== 'spark-cluster');
}

/** One service of the local stack: its processes, how to prepare its state, how to tell it is healthy. */
export interface Service {
  readonly name: ServiceName;
  /** What a person reaches it at. */
  readonly endpoints: string;
  /** Services that must be healthy before this one starts. */
  readonly after: readonly ServiceName[];
  readonly processes: readonly ProcessSpec[];
  /** Writes its config files and, on first start, initialises its state (format, cluster id). */
  prepare(): Promise<void>;
  /** Resolves when a real request succeeds; throws (quickly) otherwise. */
  check(): Promise<void>;
  /** Runs once the service is healthy on `up` (topics, directories). */
  ready?(): Promise<void>;
}


/** JDK 17 closes the JDK internals Hadoop (and Spark's Hadoop client) reflect into. */
const jdk17Opens = [
  'java.base/java.lang', 'java.base/java.lang.reflect', 'java.base/java.io', 'java.base/java.net', 'java.base/java.nio',
  'java.base/java.util', 'java.base/java.util.concurrent', 'java.base/sun.nio.ch', 'java.base/sun.security.action',
].map((pkg) => `--add-opens=${pkg}=ALL-UNNAMED`);

export function stackServices(config: Config, layout: StackLayout, profile: StackProfile, progress: (message: string) => void = () => undefined): Record<ServiceName, Service> {
  const { ports, memory } = config.stack;
  const state = (name: string) => path.join(layout.state, name);
  const conf = (name: string) => path.join(layout.conf, name);
  const hdfsUri = `hdfs://127.0.0.1:${ports.hdfsRpc}`;

  const temporal: Service = {
    name: 'temporal',
    endpoints: `gRPC 127.0.0.1:${ports.temporal}, UI http://127.0.0.1:${ports.temporalUi}`,
    after: [],
    processes: [
      {
        name: 'temporal',
        command: layout.temporalBin,
        args: [
          'server', 'start-dev',
          '--db-filename', path.join(state('temporal'), 'temporal.db'),
          '--ip', '127.0.0.1', '--port', String(ports.temporal), '--ui-port', String(ports.temporalUi),
          '--namespace', config.temporal.namespace,
          '--log-format', 'json', '--log-level', 'warn',
        ],
      },
    ],
    prepare: () => mkdir(state('temporal'), { recursive: true }).then(() => undefined),
    async check() {
      const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}`, connectTimeout: checkTimeoutMs });
      try {
        await connection.workflowService.describeNamespace({ namespace: config.temporal.namespace });
      } finally {
        await connection.close();
      }
      const ui = await fetch(`http://127.0.0.1:${ports.temporalUi}/`, { signal: AbortSignal.timeout(checkTimeoutMs) });
      if (!ui.ok) throw new Error(`Temporal UI answered HTTP ${ui.status}`);
    },
  };

  const hadoopClasspath = `${conf('hadoop')}:${layout.hadoopLib}/*`;
  const hadoopJava = (name: string, heap: string, mainClass: string, extra: string[] = []): ProcessSpec => ({
    name,
    command: 'java',
    args: [
      `-Xmx${heap}`, ...jdk17Opens,
      `-Dhadoop.home.dir=${path.dirname(layout.hadoopLib)}`, `-Dhadoop.log.dir=${layout.logs}`, `-Dhadoop.id.str=${name}`,
      '-cp', hadoopClasspath, mainClass, ...extra,
    ],
  });
  const hdfs: Service = {
    name: 'hdfs',
    endpoints: `WebHDFS http://127.0.0.1:${ports.hdfsHttp}, RPC ${hdfsUri}`,
    after: [],
    processes: [
      hadoopJava('hdfs-namenode', memory.namenodeHeap, 'org.apache.hadoop.hdfs.server.namenode.NameNode'),
      hadoopJava('hdfs-datanode', memory.datanodeHeap, 'org.apache.hadoop.hdfs.server.datanode.DataNode'),
    ],
    async prepare() {
      await writeHadoopConf(conf('hadoop'), config, state('hdfs'));
      if (!existsSync(path.join(state('hdfs'), 'name', 'current', 'VERSION'))) {
        const format = hadoopJava('hdfs-format', memory.namenodeHeap, 'org.apache.hadoop.hdfs.server.namenode.NameNode', ['-format', '-nonInteractive', '-force']);
        await runCommand('hdfs', format.command, format.args, { timeoutMs: 120_000 });
      }
    },
    async check() {
      const jmx = await fetchJson(`http://127.0.0.1:${ports.hdfsHttp}/jmx?qry=Hadoop:service=NameNode,name=FSNamesystemState`);
      const bean = (jmx as { beans?: { NumLiveDataNodes?: number; FSState?: string }[] }).beans?.[0];
      if (!bean) throw new Error('NameNode JMX has no FSNamesystemState');
      if ((bean.NumLiveDataNodes ?? 0) < 1) throw new Error('no live DataNode yet');
      if (bean.FSState !== 'Operational') throw new Error(`NameNode is ${bean.FSState}`);
      const status = await fetchJson(`http://127.0.0.1:${ports.hdfsHttp}/webhdfs/v1/?op=GETFILESTATUS&user.name=${config.hdfs.user}`);
      if ((status as { FileStatus?: { type?: string } }).FileStatus?.type !== 'DIRECTORY') throw new Error('WebHDFS GETFILESTATUS / gave no directory');
    },
    async ready() {
      // Safe mode ends only once blocks are reported; a write proves the DataNode takes data.
      const url = `http://127.0.0.1:${ports.hdfsHttp}/webhdfs/v1${config.hdfs.root}/warehouse?op=MKDIRS&user.name=${config.hdfs.user}`;
      const response = await fetchJson(url, 'PUT');
      if ((response as { boolean?: boolean }).boolean !== true) throw new Error(`MKDIRS ${config.hdfs.root}/warehouse failed`);
    },
  };

  const kafkaProperties = path.join(conf('kafka'), 'server.properties');
  const kafkaLog4j = path.join(conf('kafka'), 'log4j.properties');
  const kafkaJava = (name: string, heap: string, mainClass: string, args: string[]): ProcessSpec => ({
    name,
    command: 'java',
    args: [`-Xmx${heap}`, '-Xms128m', `-Dlog4j.configuration=file:${kafkaLog4j}`, `-Dkafka.logs.dir=${layout.logs}`, '-cp', `${layout.kafkaLib}/*`, mainClass, ...args],
  });
  const kafka: Service = {
    name: 'kafka',
    endpoints: `bootstrap 127.0.0.1:${ports.kafka}`,
    after: [],
    processes: [kafkaJava('kafka', memory.kafkaHeap, 'kafka.Kafka', [kafkaProperties])],
    async prepare() {
      await writeKafkaConf(conf('kafka'), config, state('kafka'));
      if (!existsSync(path.join(state('kafka'), 'meta.properties'))) {
        const clusterIdFile = path.join(layout.state, 'kafka-cluster-id');
        const clusterId = existsSync(clusterIdFile) ? (await readFile(clusterIdFile, 'utf8')).trim() : kafkaClusterId();
        await mkdir(layout.state, { recursive: true });
        await writeFile(clusterIdFile, clusterId + '\n');
        const format = kafkaJava('kafka-format', '256m', 'kafka.tools.StorageTool', ['format', '--ignore-formatted', `--cluster-id=${clusterId}`, '-c', kafkaProperties]);
        await runCommand('kafka', format.command, format.args, { timeoutMs: 120_000 });
      }
    },
    async check() {
      const admin = createKafka({ ...config.kafka, brokers: [`127.0.0.1:${ports.kafka}`], timeoutMs: checkTimeoutMs }).admin({ retry: { retries: 0 } });
      await admin.connect();
      try {
        const cluster = await admin.describeCluster();
        if (cluster.brokers.length < 1) throw new Error('Kafka reports no broker');
      } finally {
        await admin.disconnect();
      }
    },
    async ready() {
      await ensureTopics(createKafka({ ...config.kafka, brokers: [`127.0.0.1:${ports.kafka}`] }), config.kafka);
    },
  };

  const metastoreAt = metastoreTarget(config);
  const metastore: Service = {
    name: 'metastore',
    endpoints: `Hive metastore ${metastoreAt.external ? '' : 'in PostgreSQL '}jdbc:postgresql://${metastoreAt.host}:${metastoreAt.port}/${metastoreAt.database}${metastoreAt.external ? ' (external)' : ''}`,
    after: [],
    processes: metastoreAt.external ? [] : [postgresProcess(config, layout)],
    prepare: () => (metastoreAt.external ? Promise.resolve() : preparePostgres(config, layout)),
    async check() {
      if (metastoreAt.external) return tcpReachable(metastoreAt.host, metastoreAt.port);
      await psql(config, layout, 'postgres', 'SELECT 1');
    },
    ready: () => (metastoreAt.external ? Promise.resolve() : ensureMetastoreSchema(config, layout, progress)),
  };

  const masterAt = sparkMasterTarget(config);
  const sparkCluster: Service = {
    name: 'spark-cluster',
    endpoints: masterAt.external
      ? `Spark master ${masterAt.url} (external)`
      : `Spark master ${masterAt.url}, UI http://127.0.0.1:${ports.sparkMasterUi}, ${config.stack.cluster.sparkWorkers} workers (UI from port ${ports.sparkWorkerUi})`,
    after: [],
    processes: masterAt.external ? [] : sparkClusterProcesses(config, layout),
    prepare: () => prepareSparkCluster(config, layout),
    check: () => checkSparkCluster(config),
  };

  const spark: Service = {
    name: 'spark',
    endpoints:
      `HiveServer2 (Spark Thrift) 127.0.0.1:${ports.thrift}, warehouse ${hdfsUri}${config.hdfs.root}/warehouse` +
      (profile === 'cluster' ? `, Spark UI http://127.0.0.1:${ports.sparkUi}` : ''),
    after: profile === 'cluster' ? ['hdfs', 'metastore', 'spark-cluster'] : ['hdfs'],
    processes: [sparkThriftProcess(config, layout, profile, state('spark'), hdfsUri)],
    async prepare() {
      await mkdir(state('spark'), { recursive: true });
      if (profile === 'cluster') await writeClusterSparkConf(config, layout);
    },
    async check() {
      const hive = new HiveClient(
        { ...config.hive, host: '127.0.0.1', connectTimeoutMs: checkTimeoutMs, sessionTimeoutMs: checkTimeoutMs, statementTimeoutMs: 30_000 },
        silentLogger,
      );
      try {
        await hive.connect();
        const { rows } = await hive.query('SELECT 1 AS one');
        if (rows[0]?.one !== 1) throw new Error(`SELECT 1 returned ${JSON.stringify(rows)}`);
      } finally {
        await hive.close();
      }
    },
  };

  return { temporal, hdfs, kafka, metastore, 'spark-cluster': sparkCluster, spark };
}

/**
 * The settings every Spark application of the stack shares (the Thrift Server, `spark-sql`): the
 * warehouse on HDFS, Delta Lake in the session catalog, and the profile's metastore.
 */
function sparkSessionConf(config: Config, layout: StackLayout, profile: StackProfile, stateDir: string, hdfsUri: string): Record<string, string> {
  return {
    'spark.driver.host': '127.0.0.1',
    'spark.driver.bindAddress': '127.0.0.1',
    'spark.sql.catalogImplementation': 'hive',
    'spark.sql.warehouse.dir': `${hdfsUri}${config.hdfs.root}/warehouse`,
    'spark.sql.shuffle.partitions': '4',
    'spark.sql.session.timeZone': 'UTC',
    // Delta Lake, the star schema's table format, in Spark's own session catalog (so in the Hive
    // metastore beside app_events' Parquet table); its jars come from stack/delta.
    'spark.jars': deltaJars(layout).join(','),
    'spark.sql.extensions': 'io.delta.sql.DeltaSparkSessionExtension',
    'spark.sql.catalog.spark_catalog': 'org.apache.spark.sql.delta.catalog.DeltaCatalog',
    // A table's state is rebuilt from its log with this many tasks (default 50, sized for clusters):
    // on two cores and small logs, fifty tasks cost more than the work.
    'spark.databricks.delta.snapshotPartitions': '2',
    // VACUUM lists a table's files with this many tasks (default 10,000, for big partitioned tables
    // on clusters): on two cores that alone took 27 s per table, whatever its size.
    'spark.sql.sources.parallelPartitionDiscovery.parallelism': '8',
    'spark.hadoop.fs.defaultFS': hdfsUri,
    'spark.hadoop.dfs.client.use.datanode.hostname': 'true',
    // Closing an HDFS file waits for the NameNode to see the last block; the client's first retry
    // sleeps 400 ms by default, which made every small Parquet file of a partitioned write cost
    // ~0.4 s on this one-node cluster. Start at 20 ms and allow more doublings (~20 s in all).
    'spark.hadoop.dfs.client.block.write.locateFollowingBlock.initial.delay.ms': '20',
    'spark.hadoop.dfs.client.block.write.locateFollowingBlock.retries': '10',
    // Several sessions (worker, CLI, reports) share this server: a cached file listing of a table
    // another session has just rewritten fails the read (FILE_NOT_EXIST). List files on each query.
    'spark.sql.hive.filesourcePartitionFileCacheSize': '0',
    // A cancelled statement (a deadline, or the session of a killed client) must not interrupt its
    // thread: an interrupt inside a metastore call leaks a pooled Derby connection, and once the
    // pool is empty every later statement waits forever. Cancelling the statement's jobs suffices.
    'spark.sql.thriftServer.interruptOnCancel': 'false',
    // Pruning a DATE partition column (the fact's transaction_date) by a filter fails in the Derby
    // metastore (its direct SQL casts every partition value of every table to DATE, and breaks on
    // ingested_files' batch ids; its ORM path filters string keys only). Fall back to listing the
    // table's partitions and pruning them in Spark: correct, and cheap for a few thousand.
    'spark.sql.hive.metastorePartitionPruningFallbackOnException': 'true',
    'spark.sql.hive.metastorePartitionPruningFastFallback': 'true',
    'spark.local.dir': path.join(stateDir, 'tmp'),
    ...(profile === 'cluster'
      ? { ...clusterCatalogConf(layout), 'spark.driver.extraJavaOptions': '-Duser.timezone=UTC' }
      : {
          // Embedded Derby allows one JVM: only this Thrift server opens the metastore.
          'spark.hadoop.javax.jdo.option.ConnectionURL': `jdbc:derby:;databaseName=${path.join(stateDir, 'metastore_db')};create=true`,
          'spark.driver.extraJavaOptions': `-Dderby.system.home=${stateDir} -Duser.timezone=UTC`,
        }),
  };
}

/** The environment of a Spark application of the stack: the cluster profile's hive-site.xml sits in SPARK_CONF_DIR. */
function sparkEnv(layout: StackLayout, profile: StackProfile): NodeJS.ProcessEnv {
  return {
    SPARK_HOME: sparkHomeOrPlaceholder(layout),
    SPARK_LOCAL_IP: '127.0.0.1',
    PYSPARK_PYTHON: path.join(layout.python, 'bin', 'python'),
    ...(profile === 'cluster' ? { SPARK_CONF_DIR: path.join(layout.conf, 'spark-cluster') } : {}),
  };
}

function sparkThriftProcess(config: Config, layout: StackLayout, profile: StackProfile, stateDir: string, hdfsUri: string): ProcessSpec {
  const env = sparkEnv(layout, profile);
  const { ports, memory } = config.stack;
  const conf: Record<string, string> = {
    ...sparkSessionConf(config, layout, profile, stateDir, hdfsUri),
    'spark.driver.memory': memory.sparkDriverMemory,
    ...(profile === 'cluster' ? clusterExecutorConf(config) : { 'spark.master': 'local[2]', 'spark.ui.enabled': 'false' }),
    'spark.hadoop.hive.server2.thrift.port': String(ports.thrift),
    'spark.hadoop.hive.server2.thrift.bind.host': '127.0.0.1',
    'spark.hadoop.hive.server2.authentication': config.hive.auth,
  };
  return {
    name: 'spark-thrift',
    command: path.join(env.SPARK_HOME!, 'bin', 'spark-submit'),
    args: [
      '--class', 'org.apache.spark.sql.hive.thriftserver.HiveThriftServer2', '--name', 'qpipe-thrift-server',
      ...Object.entries(conf).flatMap(([key, value]) => ['--conf', `${key}=${value}`]),
      'spark-internal',
    ],
    env,
    cwd: stateDir,
  };
}

/**
 * `spark-sql`, a second Spark application on the cluster profile's catalog: the shared PostgreSQL
 * metastore and the HDFS warehouse, with Delta. It runs in local mode (the workers' cores belong to
 * the Thrift Server), in a JVM of its own. `args` go to spark-sql (`-e "SQL"`, `-f file`).
 */
export function sparkSqlProcess(config: Config, layout: StackLayout, args: readonly string[]): ProcessSpec {
  const env = sparkEnv(layout, 'cluster');
  const hdfsUri = `hdfs://127.0.0.1:${config.stack.ports.hdfsRpc}`;
  const stateDir = path.join(layout.state, 'spark-sql');
  const conf: Record<string, string> = {
    ...sparkSessionConf(config, layout, 'cluster', stateDir, hdfsUri),
    'spark.master': 'local[1]',
    'spark.driver.memory': '512m',
    'spark.ui.enabled': 'false',
  };
  return {
    name: 'spark-sql',
    command: path.join(env.SPARK_HOME!, 'bin', 'spark-sql'),
    args: ['--name', 'qpipe-spark-sql', ...Object.entries(conf).flatMap(([key, value]) => ['--conf', `${key}=${value}`]), ...args],
    env,
    cwd: layout.state,
  };
}

/** The Delta jars the install copied (none before it ran: then Spark starts without Delta and the ddl step fails loudly). */
function deltaJars(layout: StackLayout): string[] {
  try {
    return readdirSync(layout.deltaLib).filter((file) => file.endsWith('.jar')).sort().map((file) => path.join(layout.deltaLib, file));
  } catch {
    return [];
  }
}

async function writeHadoopConf(dir: string, config: Config, stateDir: string): Promise<void> {
  const { ports } = config.stack;
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, 'core-site.xml'),
    configurationXml({
      'fs.defaultFS': `hdfs://127.0.0.1:${ports.hdfsRpc}`,
      'hadoop.tmp.dir': path.join(stateDir, 'tmp'),
      'hadoop.http.staticuser.user': config.hdfs.user,
    }),
  );
  await writeFile(
    path.join(dir, 'hdfs-site.xml'),
    configurationXml({
      'dfs.replication': '1',
      'dfs.namenode.name.dir': path.join(stateDir, 'name'),
      'dfs.datanode.data.dir': path.join(stateDir, 'data'),
      'dfs.namenode.rpc-address': `127.0.0.1:${ports.hdfsRpc}`,
      'dfs.namenode.http-address': `127.0.0.1:${ports.hdfsHttp}`,
      'dfs.datanode.address': `127.0.0.1:${ports.datanode}`,
      'dfs.datanode.http.address': `127.0.0.1:${ports.datanodeHttp}`,
      'dfs.datanode.ipc.address': `127.0.0.1:${ports.datanodeIpc}`,
      'dfs.datanode.hostname': '127.0.0.1',
      'dfs.webhdfs.enabled': 'true',
      'dfs.permissions.enabled': 'false',
      'dfs.namenode.safemode.extension': '0',
      'dfs.namenode.safemode.min.datanodes': '0',
      'dfs.datanode.du.reserved': '0',
      'dfs.namenode.resource.du.reserved': String(512 * 1024 * 1024),
      'dfs.heartbeat.interval': '1',
      // The DataNode's own client (WebHDFS uploads) waits for the last block like Spark's: see the Spark settings.
      'dfs.client.block.write.locateFollowingBlock.initial.delay.ms': '20',
      'dfs.client.block.write.locateFollowingBlock.retries': '10',
    }),
  );
  await writeFile(path.join(dir, 'log4j.properties'), log4jProperties('%d{ISO8601} %p %c{1}: %m%n'));
}

async function writeKafkaConf(dir: string, config: Config, stateDir: string): Promise<void> {
  const { ports } = config.stack;
  const properties: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${ports.kafkaController}`,
    listeners: `PLAINTEXT://127.0.0.1:${ports.kafka},CONTROLLER://127.0.0.1:${ports.kafkaController}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${ports.kafka}`,
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': stateDir,
    'num.partitions': '3',
    // One node: the internal topics cannot have more replicas than brokers.
    'offsets.topic.replication.factor': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    'auto.create.topics.enable': 'false',
  };
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'server.properties'), Object.entries(properties).map(([key, value]) => `${key}=${value}`).join('\n') + '\n');
  await writeFile(path.join(dir, 'log4j.properties'), log4jProperties('[%d] %p %m (%c)%n') + 'log4j.logger.kafka=INFO\nlog4j.logger.org.apache.kafka=INFO\n');
}

function log4jProperties(pattern: string): string {
  return [
    'log4j.rootLogger=INFO, stdout',
    'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
    'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
    `log4j.appender.stdout.layout.ConversionPattern=${pattern}`,
    '',
  ].join('\n');
}

/** A KRaft cluster id: 16 random bytes, base64url without padding (what `kafka-storage random-uuid` prints).
 *  Like Kafka's own Uuid.randomUuid it never starts with '-', which the storage tool's argument parser takes for
 *  an option (1 id in 64 did, and failed CI once). The format call also passes it as `--cluster-id=ID`, so an id
 *  stored by an older version still works. */
export function kafkaClusterId(): string {
  for (;;) {
    const id = Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function fetchJson(url: string, method = 'GET'): Promise<unknown> {
  const response = await fetch(url, { method, signal: AbortSignal.timeout(checkTimeoutMs) });
  if (!response.ok) throw new StackError('hdfs', `${method} ${url} answered HTTP ${response.status}`);
  return response.json();
}
