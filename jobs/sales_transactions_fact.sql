-- sales_transactions_fact, upserted by transaction_id from the plan (sales_transactions_fact_plan.sql)
-- as one MERGE (one atomic commit): the plan's written rows replace the stored row of their id,
-- wherever its date was, or are inserted. The conditions repeat the plan's rules, so a rerun after
-- this batch's commit (every row then stored with the same content) changes nothing and commits
-- nothing: a replay never writes, and a row of a later batch is never overwritten. Only the files
-- holding a replaced row change (its old copy is marked deleted by a deletion vector).
-- Parameters: database.
MERGE INTO :database.sales_transactions_fact AS f
USING (
  WITH final AS (
    SELECT
      transaction_id,
      transaction_date,
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
      content_hash
    FROM :database._stage_fact_plan
    WHERE written
  )

  SELECT * FROM final
) AS s
ON f.transaction_id = s.transaction_id
WHEN MATCHED AND NOT (f.content_hash <=> s.content_hash) AND f.batch_id <= s.batch_id THEN UPDATE SET *
WHEN NOT MATCHED THEN INSERT *;
