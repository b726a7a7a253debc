-- The rows of the shared scratch tables a batch's later steps read (the parse stages and the fact
-- plan), the batch's own and any other's. processBatch records them in its heartbeat when the stage
-- and the plan are built, and compares on a retry: it resumes after its last completed step only
-- when nothing rebuilt them since. Parameters: database, batch_id.
SELECT
  (SELECT count(*) FROM :database._stage_transactions WHERE batch_id = :batch_id) AS transactions,
  (SELECT count(*) FROM :database._stage_branches WHERE batch_id = :batch_id) AS branches,
  (SELECT count(*) FROM :database._stage_sales_agents WHERE batch_id = :batch_id) AS sales_agents,
  (SELECT count(*) FROM :database._stage_fact_plan WHERE batch_id = :batch_id) AS fact_plan,
  (SELECT count(*) FROM :database._stage_transactions WHERE batch_id <> :batch_id)
    + (SELECT count(*) FROM :database._stage_branches WHERE batch_id <> :batch_id)
    + (SELECT count(*) FROM :database._stage_sales_agents WHERE batch_id <> :batch_id)
    + (SELECT count(*) FROM :database._stage_fact_plan WHERE batch_id <> :batch_id) AS other_batches
