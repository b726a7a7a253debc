-- `qpipe schema drift`, the files' side: every header column of the ingested raw files, per family,
-- from the batches' manifests on HDFS (the columns the ingest recorded; one pretty-printed JSON
-- document each), with the files that had it and the first and last batch. The command keeps those
-- the contract does not list. Parameters: manifests (the manifests' directory).
CREATE OR REPLACE TEMPORARY VIEW qpipe_manifests (
  batchId STRING,
  files ARRAY<STRUCT<dataset: STRING, status: STRING, columns: ARRAY<STRING>>>
)
USING json
OPTIONS (path :manifests, multiLine 'true', mode 'FAILFAST');

SELECT
  file.dataset AS family,
  column,
  count(*) AS seen,
  min(batchId) AS first_seen,
  max(batchId) AS last_seen
FROM qpipe_manifests
LATERAL VIEW explode(files) exploded_files AS file
LATERAL VIEW explode(file.columns) exploded_columns AS column
WHERE file.status = 'ingested'
GROUP BY file.dataset, column
ORDER BY family, column;
