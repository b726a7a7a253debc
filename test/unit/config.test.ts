import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../lib/config';
import { ConfigError } from '../../lib/errors';
import { metastoreTarget, sparkMasterTarget } from '../../stack/cluster';

const home = '/opt/qpipe';

describe('loadConfig', () => {
  it('gives the documented local-stack defaults when nothing is set', () => {
    const config = loadConfig({}, home);
    expect(config.dirs).toEqual({
      landing: '/opt/qpipe/data/landing',
      reports: '/opt/qpipe/data/reports',
      archive: '/opt/qpipe/data/archive',
      rejected: '/opt/qpipe/data/rejected',
    });
    expect(config.hdfs).toEqual({ url: 'http://127.0.0.1:9870', user: 'qpipe', root: '/qpipe', timeoutMs: 60_000 });
    expect(config.hive).toMatchObject({ host: '127.0.0.1', port: 10000, auth: 'NONE', database: 'q_dwh', password: '' });
    expect(config.kafka).toMatchObject({ brokers: ['127.0.0.1:9092'], topic: 'app_logs', dlqTopic: 'app_logs.dlq', ssl: false, sasl: undefined });
    expect(config.temporal).toMatchObject({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'qpipe', tls: undefined, uiUrl: 'http://127.0.0.1:8233' });
    expect(config.stack.dir).toBe('/opt/qpipe/.stack');
  });

  it('derives client addresses from the stack ports so one variable moves both', () => {
    const config = loadConfig({ QPIPE_KAFKA_PORT: '19092', QPIPE_HDFS_HTTP_PORT: '19870', QPIPE_TEMPORAL_PORT: '17233', QPIPE_HIVE_PORT: '20000' }, home);
    expect(config.kafka.brokers).toEqual(['127.0.0.1:19092']);
    expect(config.hdfs.url).toBe('http://127.0.0.1:19870');
    expect(config.temporal.address).toBe('127.0.0.1:17233');
    expect(config.hive.port).toBe(20000);
    expect(config.stack.ports.thrift).toBe(20000);
  });

  it('reads the stack profile and the cluster profile\'s Spark master and metastore: unset means the stack starts them', () => {
    const defaults = loadConfig({}, home).stack;
    expect(defaults.profile).toBeUndefined();
    expect(defaults.cluster).toEqual({ sparkMaster: undefined, sparkWorkers: 2, metastoreUrl: undefined, metastoreUser: 'qpipe', metastorePassword: '' });
    expect(metastoreTarget(loadConfig({ QPIPE_METASTORE_PORT: '15432' }, home))).toMatchObject({ url: 'jdbc:postgresql://127.0.0.1:15432/metastore', host: '127.0.0.1', port: 15432, database: 'metastore', external: false });
    expect(sparkMasterTarget(loadConfig({}, home))).toEqual({ url: 'spark://127.0.0.1:7077', external: false });

    const external = loadConfig(
      { QPIPE_STACK_PROFILE: 'cluster', QPIPE_SPARK_MASTER: 'yarn', QPIPE_METASTORE_URL: 'jdbc:postgresql://db.internal:6432/hive?ssl=true', QPIPE_METASTORE_PASSWORD: 's3cret' },
      home,
    );
    expect(external.stack.profile).toBe('cluster');
    expect(sparkMasterTarget(external)).toEqual({ url: 'yarn', external: true });
    expect(metastoreTarget(external)).toMatchObject({ host: 'db.internal', port: 6432, database: 'hive', external: true });
    expect(external.stack.cluster.metastorePassword).toBe('s3cret');
    expect(() => loadConfig({ QPIPE_METASTORE_URL: 'postgres://db/hive?password=s3cret' }, home)).toThrow(/got "postgres:\/\/db\/hive"$/);
    expect(loadConfig({ QPIPE_SPARK_MASTER: 'k8s://https://kube:6443' }, home).stack.cluster.sparkMaster).toBe('k8s://https://kube:6443');

    expect(() => loadConfig({ QPIPE_STACK_PROFILE: 'yarn' }, home)).toThrow(/QPIPE_STACK_PROFILE.*local, cluster/);
    expect(() => loadConfig({ QPIPE_SPARK_MASTER: 'local[4]' }, home)).toThrow(/QPIPE_SPARK_MASTER/);
    expect(() => loadConfig({ QPIPE_METASTORE_URL: 'jdbc:derby:;databaseName=x' }, home)).toThrow(/QPIPE_METASTORE_URL/);
    expect(() => loadConfig({ QPIPE_SPARK_WORKERS: '9' }, home)).toThrow(/QPIPE_SPARK_WORKERS: expected 1-8/);
  });

  it("reads Temporal's own variables and resolves relative dirs against the repository", () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: 'temporal.example:7233', TEMPORAL_NAMESPACE: 'qpipe-prod', QPIPE_LANDING_DIR: 'drops', QPIPE_REPORTS_DIR: '/srv/reports' }, home);
    expect(config.temporal.address).toBe('temporal.example:7233');
    expect(config.temporal.namespace).toBe('qpipe-prod');
    expect(config.dirs.landing).toBe('/opt/qpipe/drops');
    expect(config.dirs.reports).toBe('/srv/reports');
  });

  it('builds Kafka SASL settings only with a mechanism, and then requires the credentials', () => {
    const config = loadConfig({ QPIPE_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', QPIPE_KAFKA_SASL_USERNAME: 'u', QPIPE_KAFKA_SASL_PASSWORD: 'p', QPIPE_KAFKA_SSL: 'true' }, home);
    expect(config.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: 'p' });
    expect(config.kafka.ssl).toBe(true);
    expect(() => loadConfig({ QPIPE_KAFKA_SASL_MECHANISM: 'plain' }, home)).toThrow(new ConfigError('QPIPE_KAFKA_SASL_USERNAME', 'is required'));
  });

  it.each([
    ['QPIPE_HIVE_PORT', '70000', 'expected a port (1-65535), got 70000'],
    ['QPIPE_HDFS_TIMEOUT_MS', '-5', 'expected a positive whole number, got "-5"'],
    ['QPIPE_HIVE_AUTH', 'KERBEROS', 'expected one of NONE, NOSASL, got "KERBEROS"'],
    ['QPIPE_WEBHDFS_URL', 'ftp://x', 'expected an http(s) URL, got "ftp://x"'],
    ['QPIPE_HDFS_ROOT', 'relative/root', 'expected an absolute HDFS path, got "relative/root"'],
    ['QPIPE_HIVE_DATABASE', 'q-dwh; DROP', 'expected an SQL identifier, got "q-dwh; DROP"'],
    ['QPIPE_KAFKA_HEAP', 'lots', 'expected a JVM size such as 512m or 2g, got "lots"'],
    ['QPIPE_KAFKA_SSL', 'maybe', 'expected true or false, got "maybe"'],
    ['QPIPE_SCHEDULE_TIMEZONE', 'Mars/Olympus', 'expected an IANA time zone such as UTC or Europe/Berlin, got "Mars/Olympus"'],
    ['QPIPE_DAILY_DUMP_AT', '24:00', 'expected a time HH:MM (00:00-23:59), got "24:00"'],
    ['QPIPE_HOURLY_AT_MINUTE', '60', 'expected a minute 0-59, got "60"'],
    ['QPIPE_EVENT_SOURCE_UTC_OFFSET', 'CET', 'expected a UTC offset such as +00:00 or -05:00, got "CET"'],
  ])('rejects %s=%s with one line naming the variable', (variable, value, reason) => {
    let caught: unknown;
    try {
      loadConfig({ [variable]: value }, home);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(variable);
    expect((caught as ConfigError).message).toBe(`${variable}: ${reason}`);
  });

  it('requires the Temporal client certificate and key together, and turns TLS on with them', () => {
    expect(() => loadConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: 'c.pem' }, home)).toThrow('TEMPORAL_TLS_CLIENT_KEY_PATH: client certificate and key go together');
    const config = loadConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: 'c.pem', TEMPORAL_TLS_CLIENT_KEY_PATH: 'k.pem' }, home);
    expect(config.temporal.tls).toEqual({ clientCertPath: '/opt/qpipe/c.pem', clientKeyPath: '/opt/qpipe/k.pem', serverCaCertPath: undefined });
  });

  it('reads the schedule times: the dump and the warehouse maintenance at a local time in a zone, the hourly runs at a minute', () => {
    expect(loadConfig({}, home).schedules).toEqual({ timeZone: 'UTC', dailyDumpAt: { hour: 1, minute: 0 }, hourlyAtMinute: 5, warehouseMaintenanceAt: { hour: 2, minute: 0 } });
    const config = loadConfig({ QPIPE_SCHEDULE_TIMEZONE: 'America/New_York', QPIPE_DAILY_DUMP_AT: '06:30', QPIPE_HOURLY_AT_MINUTE: '0', QPIPE_WAREHOUSE_MAINTENANCE_AT: '03:15' }, home);
    expect(config.schedules).toEqual({ timeZone: 'America/New_York', dailyDumpAt: { hour: 6, minute: 30 }, hourlyAtMinute: 0, warehouseMaintenanceAt: { hour: 3, minute: 15 } });
  });

  it('reads the warehouse upkeep: 7 days of VACUUM retention and 128 MB OPTIMIZE files by default; a retention of 0 is allowed', () => {
    expect(loadConfig({}, home).warehouse).toEqual({ vacuumRetentionHours: 168, optimizeFileBytes: 128 * 1024 * 1024 });
    expect(loadConfig({ QPIPE_WAREHOUSE_VACUUM_RETENTION_HOURS: '0', QPIPE_WAREHOUSE_OPTIMIZE_FILE_MB: '16' }, home).warehouse).toEqual({ vacuumRetentionHours: 0, optimizeFileBytes: 16 * 1024 * 1024 });
    expect(() => loadConfig({ QPIPE_WAREHOUSE_OPTIMIZE_FILE_MB: '0' }, home)).toThrow('QPIPE_WAREHOUSE_OPTIMIZE_FILE_MB: expected a positive whole number, got "0"');
  });

  it('reads a KEY=VALUE config file that the environment overrides', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'qpipe-config-'));
    const file = path.join(dir, 'qpipe.env');
    writeFileSync(file, '# comment\nQPIPE_HDFS_USER=alice\nQPIPE_KAFKA_TOPIC="events"\n\nQPIPE_HIVE_DATABASE=from_file\n');
    const config = loadConfig({ QPIPE_CONFIG_FILE: file, QPIPE_HIVE_DATABASE: 'from_env' }, home);
    expect(config.hdfs.user).toBe('alice');
    expect(config.kafka.topic).toBe('events');
    expect(config.kafka.dlqTopic).toBe('events.dlq');
    expect(config.hive.database).toBe('from_env');
    writeFileSync(file, 'not a pair\n');
    expect(() => loadConfig({ QPIPE_CONFIG_FILE: file }, home)).toThrow(`QPIPE_CONFIG_FILE: ${file}:1 is not KEY=VALUE`);
  });
});
