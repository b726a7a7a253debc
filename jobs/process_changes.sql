-- Transactions of the batch that replaced a stored row with different content (logged one by one,
-- up to `max_rows`). Parameters: database, max_rows.
WITH final AS (
  SELECT transaction_id, replaced_batch_id, CAST(transaction_date AS STRING) AS transaction_date
  FROM :database._stage_fact_plan
  WHERE action = 'changed'
)

SELECT * FROM final ORDER BY transaction_id LIMIT :max_rows;
