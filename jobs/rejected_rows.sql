-- The batch's rejected lines, with their reason, file, line number and raw text, merged into
-- rejected_rows as one commit: a line (batch, file, line number) is inserted, or updated when its
-- row differs, and a stored line of the batch that is no longer rejected is deleted. A rerun of the
-- batch finds every row as it is and commits nothing. Parameters: database, batch_id, rejected_at
-- (the manifest's ingestedAt: fixed for the batch, so a rerun computes identical rows).
MERGE INTO :database.rejected_rows AS r
USING (
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

  SELECT * FROM final
) AS s
ON r.batch_id = s.batch_id AND r.source_file = s.source_file AND r.line_number = s.line_number
WHEN MATCHED AND NOT (r.dataset <=> s.dataset AND r.reason <=> s.reason AND r.raw_line <=> s.raw_line AND r.rejected_at <=> s.rejected_at) THEN UPDATE SET *
WHEN NOT MATCHED THEN INSERT *
WHEN NOT MATCHED BY SOURCE AND r.batch_id = :batch_id THEN DELETE;
