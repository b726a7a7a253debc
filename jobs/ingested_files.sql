-- Replaces one batch's rows of ingested_files, in one commit, with the JSON lines the ingest staged
-- for it on HDFS (one object per landing file the batch saw), read by an explicit schema. A rerun
-- of the batch's ingest writes the same file and replaces the same rows.
-- Parameters: database, batch_id, path (the staged file).
CREATE OR REPLACE TEMPORARY VIEW qpipe_ingested_files (
  file_name STRING,
  dataset STRING,
  sha256 STRING,
  bytes BIGINT,
  status STRING,
  reason STRING,
  detail STRING,
  raw_path STRING,
  ingested_at TIMESTAMP
)
USING json
OPTIONS (path :path, mode 'FAILFAST');

INSERT INTO :database.ingested_files REPLACE WHERE batch_id = :batch_id
WITH final AS (
  SELECT :batch_id AS batch_id, file_name, dataset, sha256, bytes, status, reason, detail, raw_path, ingested_at
  FROM qpipe_ingested_files
)

SELECT * FROM final;
