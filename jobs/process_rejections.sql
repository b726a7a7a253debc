-- The batch's rejected lines by reason (all datasets), for its processed marker.
-- Parameters: database, batch_id.
WITH final AS (
  SELECT reason, count(*) AS rejected
  FROM :database.rejected_rows
  WHERE batch_id = :batch_id
  GROUP BY reason
)

SELECT * FROM final ORDER BY reason;
