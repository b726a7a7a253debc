-- The streaming table q_dwh.app_events (specs/events.md): app-log events by the hour of their own
-- time. Parameters: database, location (the table's HDFS directory), columns (`name TYPE, …`,
-- generated from the event contract schemas/app_events/ by lib/pure/schemas.ts appEventsColumns:
-- its fields, then extra, the Kafka lineage, ingested_at and schema_version).
--
-- The stream worker writes JSON lines into the streaming zone; the table never reads them there.
-- Each hour partition points at one compacted Parquet version of the hour
-- (`<location>/event_date=D/event_hour=HH/v<N>`), written whole by stream maintenance and switched in
-- by one ALTER TABLE … SET LOCATION: a reader sees the old version or the new one, never a mix.
-- `schema_version` is the event contract's version each row was validated against (NULL for rows
-- written before versions were recorded). A table created before a column was in the contract gets
-- it added by the activity (ALTER TABLE … ADD COLUMNS): its older rows read NULL there.
CREATE DATABASE IF NOT EXISTS :database;

CREATE TABLE IF NOT EXISTS :database.app_events (
  :columns,
  event_date DATE,
  event_hour INT
)
USING parquet
PARTITIONED BY (event_date, event_hour)
LOCATION :location;
