-- The batch's rejected lines, with their reason, file, line number and raw text: the batch's rows of
-- rejected_rows replaced whole in one commit (INSERT … REPLACE WHERE), so a rerun gives the same
-- rows, never more. Parameters: database, batch_id, rejected_at (the manifest's ingestedAt: fixed
-- for the batch, so a rerun writes identical rows).
INSERT INTO :database.rejected_rows REPLACE WHERE batch_id = :batch_id
WITH transactions AS (
  SELECT 'sales_transactions' AS dataset, source_file, line_number, reason, raw_line
  FROM :database._stage_transactions
  WHERE batch_id = :batch_id AND reason IS NOT NULL
),

branches AS (
  SELECT 'branches' AS dataset, source_file, line_number, reason, raw_line
  FROM :database._stage_branches
  WHERE batch_id = :batch_id AND reason IS NOT NULL
),

sales_agents AS (
  SELECT 'sales_agents' AS dataset, source_file, line_number, reason, raw_line
  FROM :database._stage_sales_agents
  WHERE batch_id = :batch_id AND reason IS NOT NULL
),

final AS (
  SELECT :batch_id AS batch_id, dataset, source_file, line_number, reason, raw_line, CAST(:rejected_at AS TIMESTAMP) AS rejected_at
  FROM (
    SELECT * FROM transactions
    UNION ALL
    SELECT * FROM branches
    UNION ALL
    SELECT * FROM sales_agents
  )
)

SELECT /*+ REPARTITION(1) */ * FROM final;
