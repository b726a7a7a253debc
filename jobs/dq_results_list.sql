-- `qpipe dq results`: the checks' verdicts, newest batch first, failing ones first within a batch.
-- Parameters: database, batch_id (NULL: every batch), hour (NULL: every hour; an hour matches its
-- batch and its stream maintenance's `stream:<hour>`), limit (NULL: all).
SELECT
  batch_id,
  table_name AS `table`,
  check_name AS `check`,
  severity,
  status,
  observed,
  threshold,
  failing_rows,
  rows_checked,
  message
FROM :database.dq_results
WHERE (:batch_id IS NULL OR batch_id = :batch_id)
  AND (:hour IS NULL OR batch_id = :hour OR batch_id = concat('stream:', :hour))
ORDER BY
  regexp_replace(batch_id, '^stream:', '') DESC,
  batch_id,
  CASE status WHEN 'fail' THEN 0 WHEN 'error' THEN 1 WHEN 'warn' THEN 2 ELSE 3 END,
  table_name,
  check_name
LIMIT coalesce(:limit, 2147483647);
