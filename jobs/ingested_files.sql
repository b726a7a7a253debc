-- Merges one batch's rows of ingested_files, as one commit, from the JSON lines the ingest staged
-- for it on HDFS (one object per landing file the batch saw), read by an explicit schema: a file
-- (batch, name) is inserted, or updated when its row differs, and a stored file of the batch that
-- the staged rows no longer hold is deleted. A rerun of the batch's ingest stages the same rows and
-- commits nothing. Parameters: database, batch_id, path (the staged file).
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

MERGE INTO :database.ingested_files AS i
USING (
  WITH final AS (
    SELECT :batch_id AS batch_id, file_name, dataset, sha256, bytes, status, reason, detail, raw_path, ingested_at
    FROM qpipe_ingested_files
  )

  SELECT * FROM final
) AS s
ON i.batch_id = s.batch_id AND i.file_name = s.file_name
WHEN MATCHED AND NOT (
  i.dataset <=> s.dataset AND i.sha256 <=> s.sha256 AND i.bytes <=> s.bytes AND i.status <=> s.status
  AND i.reason <=> s.reason AND i.detail <=> s.detail AND i.raw_path <=> s.raw_path AND i.ingested_at <=> s.ingested_at
) THEN UPDATE SET *
WHEN NOT MATCHED THEN INSERT *
WHEN NOT MATCHED BY SOURCE AND i.batch_id = :batch_id THEN DELETE;
