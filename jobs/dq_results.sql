-- Merges one batch's check verdicts into dq_results and the sample of failing rows into
-- dq_failed_rows, one commit each, from the JSON lines the audit wrote for it on HDFS (read by an
-- explicit schema). A (batch, table, check) row is inserted, or updated when its verdict differs, and a
-- stored row of the batch the audit no longer produced is deleted: a rerun of the same audit commits
-- nothing. Parameters: database, batch_id, results_path, failed_rows_path.
CREATE OR REPLACE TEMPORARY VIEW qpipe_dq_results (
  table_name STRING,
  check_name STRING,
  check_type STRING,
  severity STRING,
  status STRING,
  observed DOUBLE,
  threshold STRING,
  rows_checked BIGINT,
  failing_rows BIGINT,
  message STRING,
  checked_at TIMESTAMP
)
USING json
OPTIONS (path :results_path, mode 'FAILFAST');

CREATE OR REPLACE TEMPORARY VIEW qpipe_dq_failed_rows (
  table_name STRING,
  check_name STRING,
  source_file STRING,
  line_number BIGINT,
  row_id STRING,
  value STRING
)
USING json
OPTIONS (path :failed_rows_path, mode 'FAILFAST');

MERGE INTO :database.dq_results AS d
USING (SELECT :batch_id AS batch_id, * FROM qpipe_dq_results) AS s
ON d.batch_id = s.batch_id AND d.table_name = s.table_name AND d.check_name = s.check_name
WHEN MATCHED AND NOT (
  d.check_type <=> s.check_type AND d.severity <=> s.severity AND d.status <=> s.status AND d.observed <=> s.observed
  AND d.threshold <=> s.threshold AND d.rows_checked <=> s.rows_checked AND d.failing_rows <=> s.failing_rows AND d.message <=> s.message
) THEN UPDATE SET *
WHEN NOT MATCHED THEN INSERT *
WHEN NOT MATCHED BY SOURCE AND d.batch_id = :batch_id THEN DELETE;

MERGE INTO :database.dq_failed_rows AS d
USING (SELECT :batch_id AS batch_id, * FROM qpipe_dq_failed_rows) AS s
ON d.batch_id = s.batch_id AND d.table_name = s.table_name AND d.check_name = s.check_name
  AND d.source_file <=> s.source_file AND d.line_number <=> s.line_number
WHEN MATCHED AND NOT (d.row_id <=> s.row_id AND d.value <=> s.value) THEN UPDATE SET *
WHEN NOT MATCHED THEN INSERT *
WHEN NOT MATCHED BY SOURCE AND d.batch_id = :batch_id THEN DELETE;
