-- sales_transactions_fact, upserted by transaction_id from the plan (sales_transactions_fact_plan.sql).
-- Only the date partitions the batch touches are rewritten: those that gain a row and those that
-- lose one (a replaced row whose date changed). Their new content (the stored rows minus the removed
-- ones, plus the added rows) is staged in _stage_fact, then written over the fact with dynamic
-- partition overwrite (the table's partitionOverwriteMode): every other partition stays as it is.
-- One file per partition: the rows are hash-partitioned by date, so each date is written by one task;
-- 8 tasks (not the adaptive coalescing's one for a small batch) let Spark overlap the HDFS file
-- writes of a batch that touches hundreds of dates. Parameters: database.
INSERT OVERWRITE TABLE :database._stage_fact BY NAME
WITH plan AS (
  SELECT * FROM :database._stage_fact_plan
),

touched_dates AS (
  SELECT DISTINCT transaction_date FROM plan WHERE role IN ('add', 'remove')
),

removed AS (
  SELECT transaction_id, transaction_date, batch_id, content_hash FROM plan WHERE role = 'remove'
),

kept AS (
  SELECT f.*
  FROM :database.sales_transactions_fact AS f
  LEFT SEMI JOIN touched_dates AS d ON f.transaction_date = d.transaction_date
  LEFT ANTI JOIN removed AS r
    ON f.transaction_id = r.transaction_id
    AND f.transaction_date = r.transaction_date
    AND f.batch_id = r.batch_id
    AND f.content_hash <=> r.content_hash
),

added AS (
  SELECT
    transaction_id,
    customer_id,
    customer_key,
    product_id,
    product_key,
    sales_agent_id,
    sales_agent_key,
    branch_id,
    branch_key,
    offer_number,
    discount_percentage,
    units,
    unit_price,
    total_paid_price,
    is_online,
    payment_method,
    shipping_street,
    shipping_city,
    shipping_state,
    shipping_postal_code,
    batch_id,
    replaced_batch_id,
    source_file,
    line_number,
    content_hash,
    transaction_date
  FROM plan
  WHERE role = 'add'
),

final AS (
  SELECT
    transaction_id,
    customer_id,
    customer_key,
    product_id,
    product_key,
    sales_agent_id,
    sales_agent_key,
    branch_id,
    branch_key,
    offer_number,
    discount_percentage,
    units,
    unit_price,
    total_paid_price,
    is_online,
    payment_method,
    shipping_street,
    shipping_city,
    shipping_state,
    shipping_postal_code,
    batch_id,
    replaced_batch_id,
    source_file,
    line_number,
    content_hash,
    transaction_date
  FROM kept
  UNION ALL
  SELECT * FROM added
)

SELECT * FROM final;

INSERT OVERWRITE TABLE :database.sales_transactions_fact BY NAME
SELECT /*+ REPARTITION(8, transaction_date) */ * FROM :database._stage_fact;
