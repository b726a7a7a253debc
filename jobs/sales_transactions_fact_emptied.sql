-- Date partitions of the fact that the batch emptied (their only rows were replaced by rows of
-- another date): the dynamic overwrite writes no file for them, so they are dropped one by one
-- (sales_transactions_fact_drop_partition.sql). Parameters: database.
WITH removed_dates AS (
  SELECT DISTINCT transaction_date FROM :database._stage_fact_plan WHERE role = 'remove'
),

final AS (
  SELECT CAST(r.transaction_date AS STRING) AS transaction_date
  FROM removed_dates AS r
  LEFT ANTI JOIN :database._stage_fact AS s ON r.transaction_date = s.transaction_date
)

SELECT * FROM final ORDER BY transaction_date;
