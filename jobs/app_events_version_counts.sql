-- The checks of a compacted version before it is switched in (app_events_compact.sql, same session:
-- it reads that job's view of the live files). Parameters: database, event_date, event_hour, target.
-- rows must equal keys (no offset twice), and lie between the registered rows and those plus the
-- live rows (every registered row kept; live rows added, minus those already registered).
CREATE OR REPLACE TEMPORARY VIEW qpipe_stream_version
USING parquet
OPTIONS (path :target);

SELECT
  (SELECT count(*) FROM qpipe_stream_version) AS rows,
  (SELECT count(DISTINCT kafka_topic, kafka_partition, kafka_offset) FROM qpipe_stream_version) AS keys,
  (SELECT count(*) FROM :database.app_events WHERE event_date = :event_date AND event_hour = :event_hour) AS registered_rows,
  (SELECT count(*) FROM qpipe_stream_live) AS live_rows;
