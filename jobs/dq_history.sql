-- The rows earlier batches' row_count_change checks saw, newest first, up to 100 per check: the
-- anomaly check's history (its median is taken in lib/pure/dq.ts). Discarded batches and checks in
-- error are left out; a stream hour's audit (`stream:<hour>`) reads the stream hours' only.
-- Parameters: database, batch_id, stream (whether batch_id is a stream hour's).
SELECT table_name, check_name, batch_id, rows_checked
FROM (
  SELECT
    table_name, check_name, batch_id, rows_checked,
    row_number() OVER (PARTITION BY table_name, check_name ORDER BY batch_id DESC) AS n
  FROM :database.dq_results
  WHERE check_type = 'row_count_change' AND status <> 'error' AND batch_id < :batch_id
    AND (batch_id LIKE 'stream:%') = :stream
    AND batch_id NOT IN (SELECT batch_id FROM :database.batch_decisions WHERE decision = 'discard')
)
WHERE n <= 100
ORDER BY table_name, check_name, batch_id DESC;
