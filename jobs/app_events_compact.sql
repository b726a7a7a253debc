-- Compacts one hour partition of app_events into a new Parquet version directory: the rows of the
-- partition's registered version (none for a new partition) and of the hour's committed live files,
-- each (kafka_topic, kafka_partition, kafka_offset) once. Parameters: database, event_date,
-- event_hour, live_files (the committed gzip JSON-lines files, one path or a Hadoop glob `dir/{a,b}`),
-- target (the new version's directory, which must not exist), max_records_per_file.
--
-- Rows of the registered version win over live rows of the same offset: a crash after a version
-- was switched in but before its live files were deleted leaves those files to be read again, and
-- they add nothing. The JSON is read with an explicit schema and FAILFAST: a malformed line fails
-- the compaction instead of being dropped. One writing task, sorted by lineage; files of at most
-- max_records_per_file rows.
CREATE OR REPLACE TEMPORARY VIEW qpipe_stream_live (
  event_type STRING,
  customer_id STRING,
  product_id STRING,
  event_ts STRING,
  category STRING,
  source STRING,
  quantity INT,
  total_amount STRING,
  payment_method STRING,
  recommended_product_id STRING,
  algorithm STRING,
  extra STRING,
  kafka_topic STRING,
  kafka_partition INT,
  kafka_offset STRING,
  ingested_at STRING,
  schema_version INT
)
USING json
OPTIONS (path :live_files, mode 'FAILFAST');

INSERT OVERWRITE DIRECTORY :target
USING parquet
OPTIONS (maxRecordsPerFile :max_records_per_file)
WITH registered AS (
  SELECT
    event_type, customer_id, product_id, event_ts, category, source, quantity, total_amount,
    payment_method, recommended_product_id, algorithm, extra, kafka_topic, kafka_partition,
    kafka_offset, ingested_at, schema_version,
    0 AS preference
  FROM :database.app_events
  WHERE event_date = :event_date AND event_hour = :event_hour
),

live AS (
  SELECT
    event_type, customer_id, product_id,
    CAST(event_ts AS TIMESTAMP) AS event_ts,
    category, source, quantity,
    CAST(total_amount AS DECIMAL(10,2)) AS total_amount,
    payment_method, recommended_product_id, algorithm, extra, kafka_topic, kafka_partition,
    CAST(kafka_offset AS BIGINT) AS kafka_offset,
    CAST(ingested_at AS TIMESTAMP) AS ingested_at,
    schema_version,
    1 AS preference
  FROM qpipe_stream_live
),

ranked AS (
  SELECT
    *,
    row_number() OVER (PARTITION BY kafka_topic, kafka_partition, kafka_offset ORDER BY preference) AS copy
  FROM (SELECT * FROM registered UNION ALL SELECT * FROM live)
),

final AS (
  SELECT /*+ REPARTITION(1) */
    event_type, customer_id, product_id, event_ts, category, source, quantity, total_amount,
    payment_method, recommended_product_id, algorithm, extra, kafka_topic, kafka_partition,
    kafka_offset, ingested_at, schema_version
  FROM ranked
  WHERE copy = 1
)

SELECT * FROM final
SORT BY kafka_topic, kafka_partition, kafka_offset;
