-- Rows of one version of a star table written by a batch at or after `batch_id`: a revert's target
-- version must have none, nor may the current version of a table the revert leaves. No filter, so
-- every data file of the version is read (a version whose files VACUUM deleted fails here, before the
-- revert has touched anything). Parameters: database, table, version, batch_id.
WITH final AS (
  SELECT count_if(batch_id >= :batch_id) AS batch_rows
  FROM :database.:table VERSION AS OF :version
)

SELECT * FROM final;
