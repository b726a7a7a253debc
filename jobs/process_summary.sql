-- What one processed batch did, for its processed marker: one row of counts, read from the fact
-- plan, the parse stages and the dimensions (never from the wall clock). Computed after the merges,
-- so a rerun after an interruption reports what a clean run would have. Warnings count the fact
-- rows the batch wrote (new or changed). Parameters: database, batch_id.
WITH plan AS (
  SELECT * FROM :database._stage_fact_plan
),

fact_counts AS (
  SELECT
    count_if(action = 'new') AS fact_new,
    count_if(action = 'changed') AS fact_changed,
    count_if(action = 'replayed') AS fact_replayed,
    count_if(action = 'superseded') AS fact_superseded,
    count_if(action IN ('new', 'changed') AND NOT is_online AND (sales_agent_key IS NULL OR branch_key IS NULL)) AS unknown_agent_or_branch,
    count_if(action IN ('new', 'changed') AND is_online AND shipping_city IS NULL) AS null_city,
    count_if(action IN ('new', 'changed') AND email_missing) AS invalid_email
  FROM plan
),

line_counts AS (
  SELECT
    count(*) AS transaction_lines,
    count_if(reason IS NULL) AS transaction_lines_accepted,
    count(DISTINCT IF(reason IS NULL, transaction_id, NULL)) AS transaction_ids
  FROM :database._stage_transactions
  WHERE batch_id = :batch_id
),

dimension_counts AS (
  SELECT
    (SELECT count(*) FROM :database._stage_branches WHERE batch_id = :batch_id) AS branch_lines,
    (SELECT count(*) FROM :database._stage_sales_agents WHERE batch_id = :batch_id) AS sales_agent_lines,
    (SELECT count(*) FROM :database.customer_dim WHERE batch_id = :batch_id) AS customer_versions,
    (SELECT count(*) FROM :database.sales_agent_dim WHERE batch_id = :batch_id) AS sales_agent_versions,
    (SELECT count(*) FROM :database.branch_dim WHERE batch_id = :batch_id) AS branch_versions,
    (SELECT count(*) FROM :database.product_dim WHERE batch_id = :batch_id) AS product_rows
),

final AS (
  SELECT * FROM fact_counts CROSS JOIN line_counts CROSS JOIN dimension_counts
)

SELECT * FROM final;
