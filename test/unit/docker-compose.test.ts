import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { stackVersions } from '../../stack/versions';

// docker-compose.yml cannot run here (no Docker engine): its network exposure is checked as text.
const compose = readFileSync(path.resolve(__dirname, '..', '..', 'docker-compose.yml'), 'utf8');

describe('docker-compose.yml', () => {
  it('binds every service to loopback, as the native stack does (host networking, HDFS permissions off)', () => {
    expect(compose).not.toMatch(/0\.0\.0\.0/);
    const addresses = [...compose.matchAll(/XML_(dfs\.[\w.-]*address): (\S+)/g)].map(([, key, value]) => [key, value]);
    expect(addresses.map(([key]) => key).sort()).toEqual(['dfs.datanode.address', 'dfs.datanode.http.address', 'dfs.datanode.ipc.address', 'dfs.namenode.http-address', 'dfs.namenode.rpc-address']);
    for (const [key, value] of addresses) expect([key, value!.startsWith('127.0.0.1:')]).toEqual([key, true]);
    for (const setting of ['spark.driver.host=127.0.0.1', 'spark.driver.bindAddress=127.0.0.1', 'spark.hadoop.hive.server2.thrift.bind.host=127.0.0.1', '"--ip", "127.0.0.1"', 'KAFKA_LISTENERS: PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093', '--web.listen-address=127.0.0.1:9090']) {
      expect(compose).toContain(setting);
    }
  });

  it('offers the two profiles of the native stack: one Thrift Server each, the cluster one on the standalone master with the PostgreSQL metastore', () => {
    const profiles = [...compose.matchAll(/^ {2}([\w-]+):(?: &[\w-]+)?\n(?: {4}.*\n)*? {4}profiles: \[(\w+)\]/gm)].map(([, service, profile]) => `${service}:${profile}`);
    expect(profiles.sort()).toEqual(
      ['metastore-db:cluster', 'metastore-jars:cluster', 'metastore-schema:cluster', 'spark-master:cluster', 'spark-thrift-cluster:cluster', 'spark-thrift:local', 'spark-worker-1:cluster'].sort(),
    );
    expect(compose).toContain('spark-worker-2:\n    <<: *spark-worker');
    for (const setting of ['spark://127.0.0.1:7077', 'jdbc:postgresql://127.0.0.1:5432/metastore', `org.postgresql:postgresql:${stackVersions.postgresJdbc}`, 'listen_addresses=127.0.0.1', 'SchemaTool']) {
      expect(compose).toContain(setting);
    }
  });

  it('runs Prometheus with the shipped scrape config and rules (ops/prometheus)', () => {
    expect(compose).toContain('"./ops/prometheus:/etc/prometheus:ro"');
    expect(compose).toContain('"--config.file=/etc/prometheus/prometheus.yml"');
  });
});
