import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import type { Config } from '../lib/config';
import { StackError } from '../lib/errors';
import { sparkHome, sparkHomeOrPlaceholder, type StackLayout } from './layout';
import type { ProcessSpec } from './processes';
import { runCommand } from './shell';

/**
 * The cluster profile's two extra services: a PostgreSQL cluster holding the Hive metastore, and a
 * Spark standalone master with its workers. Either is the company's own when its variable is set
 * (`QPIPE_METASTORE_URL`, `QPIPE_SPARK_MASTER`): then the stack checks it and never starts it.
 */

/** Deadline of one health-check request. */
export const checkTimeoutMs = 5_000;

/** Where the metastore is, and whether the stack runs it. */
export interface MetastoreTarget {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly external: boolean;
}

function localPasswordFile(layout: StackLayout): string {
  return path.join(layout.state, 'postgres.password');
}

/**
 * The metastore's password: `QPIPE_METASTORE_PASSWORD`, else, for the stack's own PostgreSQL, the
 * random one `stack up` generated at its first start (in the state dir, mode 600).
 */
export function metastorePassword(config: Config, layout: StackLayout): string {
  if (config.stack.cluster.metastorePassword !== '' || config.stack.cluster.metastoreUrl !== undefined) return config.stack.cluster.metastorePassword;
  try {
    return readFileSync(localPasswordFile(layout), 'utf8').trim();
  } catch {
    return '';
  }
}

export function metastoreTarget(config: Config): MetastoreTarget {
  const { cluster, ports } = config.stack;
  const url = cluster.metastoreUrl ?? `jdbc:postgresql://127.0.0.1:${ports.metastore}/metastore`;
  const parsed = new URL(url.slice('jdbc:'.length));
  return {
    url,
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    database: parsed.pathname.slice(1),
    user: cluster.metastoreUser,
    external: cluster.metastoreUrl !== undefined,
  };
}

/** The Spark master the Thrift Server submits to, and whether the stack runs it. */
export function sparkMasterTarget(config: Config): { url: string; external: boolean } {
  const { cluster, ports } = config.stack;
  return { url: cluster.sparkMaster ?? `spark://127.0.0.1:${ports.sparkMaster}`, external: cluster.sparkMaster !== undefined };
}

/** The Spark settings that put a Spark application (the Thrift Server, `spark-sql`) on the cluster profile's catalog. */
export function clusterCatalogConf(layout: StackLayout): Record<string, string> {
  return {
    // PostgreSQL's driver for the metastore client, which runs in the driver.
    'spark.driver.extraClassPath': jarsIn(layout.metastoreLib).join(':'),
    // The metastore's connection (its password among it) is in hive-site.xml under SPARK_CONF_DIR,
    // not on a command line every `ps` shows.
  };
}

/** The Thrift Server's settings for running its jobs on the cluster's executors. */
export function clusterExecutorConf(config: Config): Record<string, string> {
  const { memory, ports } = config.stack;
  return {
    'spark.master': sparkMasterTarget(config).url,
    'spark.executor.memory': memory.sparkExecutorMemory,
    'spark.executor.cores': '1',
    'spark.executor.extraJavaOptions': '-Duser.timezone=UTC',
    // The driver's UI and its REST API (/api/v1): which executor ran which task.
    'spark.ui.enabled': 'true',
    'spark.ui.port': String(ports.sparkUi),
    'spark.ui.retainedJobs': '200',
    'spark.ui.retainedStages': '200',
    'spark.sql.ui.retainedExecutions': '50',
  };
}

/** Writes the hive-site.xml of the cluster profile's Spark applications; returns its directory (SPARK_CONF_DIR). */
export async function writeClusterSparkConf(config: Config, layout: StackLayout): Promise<string> {
  const dir = path.join(layout.conf, 'spark-cluster');
  const metastore = metastoreTarget(config);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'hive-site.xml');
  await writeFile(
    file,
    configurationXml({
      'javax.jdo.option.ConnectionURL': metastore.url,
      'javax.jdo.option.ConnectionDriverName': 'org.postgresql.Driver',
      'javax.jdo.option.ConnectionUserName': metastore.user,
      'javax.jdo.option.ConnectionPassword': metastorePassword(config, layout),
      // The schema is created once, by `stack up` (ensureMetastoreSchema); the engines never change it.
      'datanucleus.schema.autoCreateAll': 'false',
      'hive.metastore.schema.verification': 'true',
    }),
    { mode: 0o600 },
  );
  await chmod(file, 0o600);
  return dir;
}

export function configurationXml(properties: Record<string, string>): string {
  const escape = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const body = Object.entries(properties)
    .map(([name, value]) => `  <property><name>${name}</name><value>${escape(value)}</value></property>`)
    .join('\n');
  return `<?xml version="1.0"?>\n<!-- written by qpipe stack up; edit lib/config.ts settings instead -->\n<configuration>\n${body}\n</configuration>\n`;
}

function jarsIn(dir: string): string[] {
  try {
    return readdirSync(dir).filter((file) => file.endsWith('.jar')).sort().map((file) => path.join(dir, file));
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

const runsAsRoot = () => process.getuid?.() === 0;

/**
 * The directory of Debian's PostgreSQL binaries (/usr/lib/postgresql/N/bin): the version of the
 * stack's data dir once it exists (a cluster runs only with its own major version), else the newest
 * installed.
 */
export function postgresBinDir(layout: StackLayout): string {
  const root = '/usr/lib/postgresql';
  const dataVersion = (() => {
    try {
      return readFileSync(path.join(layout.state, 'postgres', 'PG_VERSION'), 'utf8').trim();
    } catch {
      return undefined;
    }
  })();
  if (dataVersion !== undefined) return path.join(root, dataVersion, 'bin');
  let versions: string[] = [];
  try {
    versions = readdirSync(root).filter((name) => /^\d+$/.test(name) && existsSync(path.join(root, name, 'bin', 'postgres')));
  } catch {
    // not installed
  }
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  return path.join(root, newest ?? 'not-installed', 'bin');
}

/** Runs a PostgreSQL binary as the `postgres` user when we are root (the server refuses to run as root). */
function asPostgresUser(command: string, args: string[]): { command: string; args: string[] } {
  return runsAsRoot() ? { command: 'setpriv', args: ['--reuid=postgres', '--regid=postgres', '--clear-groups', command, ...args] } : { command, args };
}

export function postgresProcess(config: Config, layout: StackLayout): ProcessSpec {
  const dataDir = path.join(layout.state, 'postgres');
  const { command, args } = asPostgresUser(path.join(postgresBinDir(layout), 'postgres'), [
    '-D', dataDir, '-p', String(config.stack.ports.metastore),
    '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=',
    '-c', 'shared_buffers=64MB', '-c', 'max_connections=60', '-c', 'logging_collector=off',
  ]);
  // SIGINT is PostgreSQL's fast shutdown (SIGTERM waits for every client to leave).
  return { name: 'postgres', command, args, cwd: layout.state, stopSignal: 'SIGINT' };
}

/**
 * Creates the PostgreSQL cluster on first start: initdb with the metastore user as superuser and
 * password authentication (scram-sha-256) for every connection; the password is
 * `QPIPE_METASTORE_PASSWORD`, else a random one kept in the state dir (mode 600).
 */
export async function preparePostgres(config: Config, layout: StackLayout): Promise<void> {
  if (!existsSync(path.join(postgresBinDir(layout), 'postgres'))) {
    throw new StackError('metastore', "PostgreSQL's server is not installed: install Debian's postgresql (apt-get install postgresql; bin/test-cluster does when run as root), or set QPIPE_METASTORE_URL to an existing metastore");
  }
  const dataDir = path.join(layout.state, 'postgres');
  if (existsSync(path.join(dataDir, 'PG_VERSION'))) return;
  await mkdir(layout.state, { recursive: true });
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { mode: 0o700 });
  const passwordFile = localPasswordFile(layout);
  const password = config.stack.cluster.metastorePassword || randomBytes(24).toString('base64url');
  await writeFile(passwordFile, password + '\n', { mode: 0o600 });
  if (runsAsRoot()) {
    const uid = Number((await runCommand('metastore', 'id', ['-u', 'postgres']).catch(() => {
      throw new StackError('metastore', "PostgreSQL refuses to run as root and there is no postgres user to run it as: run the stack as another user, or install Debian's postgresql (it creates the user)");
    })).trim());
    const gid = Number((await runCommand('metastore', 'id', ['-g', 'postgres'])).trim());
    await chown(dataDir, uid, gid);
    await chown(passwordFile, uid, gid);
  }
  try {
    const { command, args } = asPostgresUser(path.join(postgresBinDir(layout), 'initdb'), [
      '-D', dataDir, '-U', config.stack.cluster.metastoreUser, '--auth=scram-sha-256', `--pwfile=${passwordFile}`, '-E', 'UTF8', '--locale=C.UTF-8',
    ]);
    await runCommand('metastore', command, args, { timeoutMs: 120_000, cwd: layout.state });
  } finally {
    // A password from the environment is not kept on disk.
    if (config.stack.cluster.metastorePassword) await rm(passwordFile, { force: true });
  }
}

/** Runs one SQL statement with psql and returns its unaligned output. */
export function psql(config: Config, layout: StackLayout, database: string, sql: string): Promise<string> {
  const metastore = metastoreTarget(config);
  return runCommand(
    'metastore',
    path.join(postgresBinDir(layout), 'psql'),
    ['-h', metastore.host, '-p', String(metastore.port), '-U', metastore.user, '-d', database, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', sql],
    { timeoutMs: 30_000, env: { ...process.env, PGPASSWORD: metastorePassword(config, layout), PGCONNECT_TIMEOUT: '5' } },
  ).then((output) => output.trim());
}

/** The Hive metastore schema version the schema tool writes: Spark 4.0's built-in Hive client is 2.3. */
const hiveSchemaVersion = '2.3.0';

/**
 * Creates the Hive metastore schema once: in a fresh database, DataNucleus' SchemaTool creates every
 * table of the hive-metastore jar's JDO mapping (the jar Spark itself uses), then the VERSION row
 * the engines verify. A database without the VERSION row is an interrupted creation (no engine can
 * have used it: they refuse a schema without one), so it is dropped and created again; any other
 * failure to read it (a connection error) stops `up` and drops nothing.
 */
export async function ensureMetastoreSchema(config: Config, layout: StackLayout, progress: (message: string) => void): Promise<void> {
  const metastore = metastoreTarget(config);
  const databaseExists = (await psql(config, layout, 'postgres', `SELECT count(*) FROM pg_database WHERE datname = '${metastore.database}'`)) === '1';
  const versionTable = databaseExists && (await psql(config, layout, metastore.database, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'VERSION'")) === '1';
  const version = versionTable ? await psql(config, layout, metastore.database, 'SELECT "SCHEMA_VERSION" FROM "VERSION"') : '';
  if (version === hiveSchemaVersion) return;
  if (version !== '') throw new StackError('metastore', `the metastore's schema is version ${version}; Spark's Hive client needs ${hiveSchemaVersion}`);
  progress(`creating the Hive metastore schema ${hiveSchemaVersion} in PostgreSQL (first time only)`);
  await psql(config, layout, 'postgres', `DROP DATABASE IF EXISTS ${metastore.database}`);
  await psql(config, layout, 'postgres', `CREATE DATABASE ${metastore.database}`);
  const home = sparkHome(layout);
  const hiveJar = home && jarsIn(path.join(home, 'jars')).find((jar) => /\/hive-metastore-[\d.]+\.jar$/.test(jar));
  if (!home || !hiveJar) throw new StackError('metastore', 'no hive-metastore jar in the pyspark install');
  const work = path.join(layout.conf, 'metastore-schema');
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    await runCommand('metastore', 'jar', ['xf', hiveJar, 'package.jdo'], { cwd: work, timeoutMs: 60_000 });
    const props = path.join(work, 'datanucleus.properties');
    await writeFile(
      props,
      Object.entries({
        'javax.jdo.option.ConnectionURL': metastore.url,
        'javax.jdo.option.ConnectionDriverName': 'org.postgresql.Driver',
        'javax.jdo.option.ConnectionUserName': metastore.user,
        'javax.jdo.option.ConnectionPassword': metastorePassword(config, layout),
        // Hive's own DataNucleus settings (HiveConf defaults), so the names match what it reads.
        'datanucleus.identifierFactory': 'datanucleus1',
        'datanucleus.rdbms.useLegacyNativeValueStrategy': 'true',
      }).map(([key, value]) => `${key}=${value}`).join('\n') + '\n',
      { mode: 0o600 },
    );
    const classpath = [path.join(home, 'jars', '*'), ...jarsIn(layout.metastoreLib)].join(':');
    await runCommand('metastore', 'java', ['-cp', classpath, 'org.datanucleus.store.schema.SchemaTool', '-create', '-api', 'JDO', '-props', props, path.join(work, 'package.jdo')], { timeoutMs: 300_000, cwd: work });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  await psql(config, layout, metastore.database, `INSERT INTO "VERSION" ("VER_ID", "SCHEMA_VERSION", "VERSION_COMMENT") VALUES (1, '${hiveSchemaVersion}', 'created by qpipe stack up')`);
  progress(`created the Hive metastore schema (${await psql(config, layout, metastore.database, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")} tables)`);
}

/** Resolves when a TCP connection to host:port opens (an external service's reachability). */
export function tcpReachable(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: checkTimeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`${host}:${port} did not answer within ${checkTimeoutMs} ms`));
    });
    socket.once('error', (error) => reject(new Error(`${host}:${port}: ${error.message}`)));
  });
}

// ---------------------------------------------------------------------------------------------
// Spark standalone

/** The master and the workers, from the same pyspark install as the Thrift Server. */
export function sparkClusterProcesses(config: Config, layout: StackLayout): ProcessSpec[] {
  const home = sparkHomeOrPlaceholder(layout);
  const { ports, memory, cluster } = config.stack;
  const env = { SPARK_HOME: home, SPARK_LOCAL_IP: '127.0.0.1', SPARK_DAEMON_MEMORY: memory.sparkDaemonHeap };
  const sparkClass = path.join(home, 'bin', 'spark-class');
  const master: ProcessSpec = {
    name: 'spark-master',
    command: sparkClass,
    args: ['org.apache.spark.deploy.master.Master', '--host', '127.0.0.1', '--port', String(ports.sparkMaster), '--webui-port', String(ports.sparkMasterUi)],
    env,
    cwd: layout.state,
  };
  const workers = Array.from({ length: cluster.sparkWorkers }, (_, index): ProcessSpec => {
    const workDir = sparkWorkerDir(layout, index + 1);
    return {
      name: `spark-worker-${index + 1}`,
      command: sparkClass,
      args: [
        'org.apache.spark.deploy.worker.Worker', '--host', '127.0.0.1', '--webui-port', String(ports.sparkWorkerUi + index),
        '--cores', '1', '--memory', memory.sparkExecutorMemory, '--work-dir', workDir, `spark://127.0.0.1:${ports.sparkMaster}`,
      ],
      // Executors' shuffle and spill files. The worker purges the work dirs of stopped applications
      // (every 30 minutes, those older than 7 days: Spark's defaults).
      env: { ...env, SPARK_LOCAL_DIRS: path.join(workDir, 'tmp'), SPARK_WORKER_OPTS: '-Dspark.worker.cleanup.enabled=true' },
      cwd: layout.state,
    };
  });
  return [master, ...workers];
}

export const sparkWorkerDir = (layout: StackLayout, number: number) => path.join(layout.state, `spark-worker-${number}`);

export async function prepareSparkCluster(config: Config, layout: StackLayout): Promise<void> {
  for (let number = 1; number <= config.stack.cluster.sparkWorkers; number++) await mkdir(path.join(sparkWorkerDir(layout, number), 'tmp'), { recursive: true });
}

/** The master's JSON view (its web UI's /json): its state and its workers. */
export interface SparkMasterState {
  readonly status: string;
  readonly workers: { id: string; host: string; port: number; webuiaddress: string; state: string; cores: number; coresused: number }[];
  readonly activeapps: { id: string; name: string; cores: number }[];
}

export function sparkMasterState(config: Config): Promise<SparkMasterState> {
  return getJson<SparkMasterState>(`http://127.0.0.1:${config.stack.ports.sparkMasterUi}/json/`);
}

/** One executor of the Thrift Server's application, as its driver's REST API (`/api/v1`) reports it. */
export interface SparkExecutor {
  readonly id: string;
  readonly isActive: boolean;
  readonly activeTasks: number;
  readonly completedTasks: number;
  readonly failedTasks: number;
  readonly totalTasks: number;
  readonly removeReason?: string;
  readonly executorLogs: Record<string, string>;
}

/** GET from the Thrift Server application's REST API: `resource` under `/api/v1/applications/<its id>/`. */
async function thriftApi<T>(config: Config, resource: string): Promise<T> {
  const api = `http://127.0.0.1:${config.stack.ports.sparkUi}/api/v1`;
  const [app] = await getJson<{ id: string }[]>(`${api}/applications`);
  if (!app) throw new Error('the Thrift Server reports no application');
  return getJson<T>(`${api}/applications/${app.id}/${resource}`);
}

/** The Thrift Server's executors, removed ones included, the driver's entry (id `driver`) too. */
export function thriftExecutors(config: Config): Promise<SparkExecutor[]> {
  return thriftApi<SparkExecutor[]>(config, 'allexecutors');
}

/** The number of the worker an executor runs on: its logs are served by that worker's web UI, whose port numbers it. */
export function executorWorker(config: Config, executor: SparkExecutor): number | undefined {
  const url = executor.executorLogs.stdout;
  return url ? Number(new URL(url).port) - config.stack.ports.sparkWorkerUi + 1 : undefined;
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(checkTimeoutMs) });
  if (!response.ok) throw new Error(`GET ${url} answered HTTP ${response.status}`);
  return (await response.json()) as T;
}

export async function checkSparkCluster(config: Config): Promise<void> {
  const master = sparkMasterTarget(config);
  if (master.external) {
    const match = /^spark:\/\/([^:/]+):(\d+)$/.exec(master.url);
    // yarn and k8s masters are reached through their own clients: the Thrift Server's start checks them.
    if (match) await tcpReachable(match[1]!, Number(match[2]));
    return;
  }
  const state = await sparkMasterState(config);
  if (state.status !== 'ALIVE') throw new Error(`the Spark master is ${state.status}`);
  const alive = state.workers.filter((worker) => worker.state === 'ALIVE').length;
  if (alive < config.stack.cluster.sparkWorkers) throw new Error(`${alive} of ${config.stack.cluster.sparkWorkers} Spark workers alive`);
}
