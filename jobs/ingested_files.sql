-- ingested_files: one row per landing file a batch saw (ingested, duplicate or rejected).
-- Its rows are JSON lines that the ingest activity writes atomically per batch under
-- <root>/meta/ingested_files/batch_id=<id>/, so a rerun replaces a batch's rows, never appends.
CREATE DATABASE IF NOT EXISTS :database;

CREATE TABLE IF NOT EXISTS :database.ingested_files (
  file_name STRING,
  dataset STRING,
  sha256 STRING,
  bytes BIGINT,
  status STRING,
  reason STRING,
  detail STRING,
  raw_path STRING,
  ingested_at TIMESTAMP,
  batch_id STRING
)
USING json
PARTITIONED BY (batch_id)
LOCATION :location;
