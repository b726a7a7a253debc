-- The streaming table q_dwh.app_events (specs/events.md): app-log events by the hour of their own
-- time. Parameters: database, location (the table's HDFS directory).
--
-- The stream worker writes JSON lines into the streaming zone; the table never reads them there.
-- Each hour partition points at one compacted Parquet version of the hour
-- (`<location>/event_date=D/event_hour=HH/v<N>`), written whole by stream maintenance and switched in
-- by one ALTER TABLE … SET LOCATION: a reader sees the old version or the new one, never a mix.
-- `schema_version` is the event contract's version each row was validated against (NULL for rows
-- written before versions were recorded); a table created without it gets it added by the activity.
CREATE DATABASE IF NOT EXISTS :database;

CREATE TABLE IF NOT EXISTS :database.app_events (
  event_type STRING,
  customer_id STRING,
  product_id STRING,
  event_ts TIMESTAMP,
  category STRING,
  source STRING,
  quantity INT,
  total_amount DECIMAL(10,2),
  payment_method STRING,
  recommended_product_id STRING,
  algorithm STRING,
  extra STRING,
  kafka_topic STRING,
  kafka_partition INT,
  kafka_offset BIGINT,
  ingested_at TIMESTAMP,
  schema_version INT,
  event_date DATE,
  event_hour INT
)
USING parquet
PARTITIONED BY (event_date, event_hour)
LOCATION :location;
