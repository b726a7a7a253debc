-- Compacts one hour partition of app_events into a new Parquet version directory: the rows of the
-- partition's registered version (none for a new partition) and of the hour's committed live files,
-- each (kafka_topic, kafka_partition, kafka_offset) once. Parameters: database, event_date,
-- event_hour, live_files (the committed gzip JSON-lines files, one path or a Hadoop glob `dir/{a,b}`),
-- target (the new version's directory, which must not exist), max_records_per_file; columns,
-- live_columns and typed_columns (the table's columns, the JSON lines' schema and its cast to the
-- table's types: generated from the event contract by lib/pure/schemas.ts appEventsSql).
--
-- Rows of the registered version win over live rows of the same offset: a crash after a version
-- was switched in but before its live files were deleted leaves those files to be read again, and
-- they add nothing. The JSON is read with an explicit schema and FAILFAST: a malformed line fails
-- the compaction instead of being dropped. One writing task, sorted by lineage; files of at most
-- max_records_per_file rows.
CREATE OR REPLACE TEMPORARY VIEW qpipe_stream_live (
  :live_columns
)
USING json
OPTIONS (path :live_files, mode 'FAILFAST');

INSERT OVERWRITE DIRECTORY :target
USING parquet
OPTIONS (maxRecordsPerFile :max_records_per_file)
WITH registered AS (
  SELECT :columns, 0 AS preference
  FROM :database.app_events
  WHERE event_date = :event_date AND event_hour = :event_hour
),

live AS (
  SELECT
    :typed_columns,
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
  SELECT /*+ REPARTITION(1) */ :columns
  FROM ranked
  WHERE copy = 1
)

SELECT * FROM final
SORT BY kafka_topic, kafka_partition, kafka_offset;
