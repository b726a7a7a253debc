-- Rows of one version of a star table written by a batch at or after `batch_id` (a revert's target
-- version must have none). Parameters: database, table, version, batch_id.
WITH final AS (
  SELECT count(*) AS batch_rows
  FROM :database.:table VERSION AS OF :version
  WHERE batch_id >= :batch_id
)

SELECT * FROM final;
