-- The fact merge's plan (_stage_fact_plan): one row per transaction id of the batch, the incoming
-- row with what becomes of it. The batch's accepted lines are reduced to one incoming row per id (the
-- last line wins), keyed with the dimension versions current after this batch's dimension merges,
-- and set against the stored row of the same id (the fact holds one row per id, whatever its date):
--
--   no stored row                          → `new`: written
--   a stored row with the same content     → `replayed`: nothing written (its batch and keys stay)
--   a stored row of a later batch          → `superseded`: nothing written (the later batch wins)
--   a stored row of this or an earlier batch with other content → `changed`: written over it
--
-- Rerun-safe: when an interrupted run of this batch already wrote its row, the stored row has the
-- same content and this batch's id; it is reported with the action it was written with (`new`, or
-- `changed` when it carries a replaced_batch_id) and not written again. Only the stored rows' id,
-- batch and hash columns are read. Parameters: database, batch_id.
INSERT OVERWRITE TABLE :database._stage_fact_plan BY NAME
WITH accepted AS (
  SELECT * FROM :database._stage_transactions
  WHERE batch_id = :batch_id AND reason IS NULL
),

incoming AS (
  SELECT *
  FROM (
    SELECT a.*, row_number() OVER (PARTITION BY transaction_id ORDER BY file_seq DESC, line_number DESC) AS line_rank
    FROM accepted AS a
  )
  WHERE line_rank = 1
),

keyed AS (
  -- an id missing from its dimension keeps the id and gets a NULL key (a data-quality warning)
  SELECT
    i.*,
    c.customer_key,
    p.product_key,
    a.sales_agent_key,
    b.branch_key
  FROM incoming AS i
  LEFT JOIN (SELECT customer_id, customer_key FROM :database.customer_dim WHERE is_current) AS c
    ON i.customer_id = c.customer_id
  LEFT JOIN (SELECT product_id, product_key FROM :database.product_dim) AS p
    ON i.product_id = p.product_id
  LEFT JOIN (SELECT sales_agent_id, sales_agent_key FROM :database.sales_agent_dim WHERE is_current) AS a
    ON i.sales_agent_id = a.sales_agent_id
  LEFT JOIN (SELECT branch_id, branch_key FROM :database.branch_dim WHERE is_current) AS b
    ON i.branch_id = b.branch_id
),

stored AS (
  SELECT f.transaction_id, f.batch_id, f.replaced_batch_id, f.content_hash
  FROM :database.sales_transactions_fact AS f
  LEFT SEMI JOIN incoming AS i ON f.transaction_id = i.transaction_id
),

final AS (
  SELECT
    k.transaction_id,
    k.transaction_date,
    k.batch_id,
    k.content_hash,
    CASE
      WHEN s.transaction_id IS NULL THEN 'new'
      WHEN s.content_hash <=> k.content_hash AND s.batch_id = k.batch_id THEN IF(s.replaced_batch_id IS NULL, 'new', 'changed')
      WHEN s.content_hash <=> k.content_hash THEN 'replayed'
      WHEN s.batch_id > k.batch_id THEN 'superseded'
      ELSE 'changed'
    END AS action,
    CASE
      WHEN s.content_hash <=> k.content_hash AND s.batch_id = k.batch_id THEN s.replaced_batch_id
      WHEN NOT (s.content_hash <=> k.content_hash) AND s.batch_id <= k.batch_id THEN s.batch_id
    END AS replaced_batch_id,
    s.transaction_id IS NULL OR (NOT (s.content_hash <=> k.content_hash) AND s.batch_id <= k.batch_id) AS written,
    k.customer_id,
    k.customer_key,
    k.product_id,
    k.product_key,
    k.sales_agent_id,
    k.sales_agent_key,
    k.branch_id,
    k.branch_key,
    k.offer_number,
    k.discount_percentage,
    k.units,
    k.unit_price,
    k.total_paid_price,
    k.is_online,
    k.payment_method,
    k.shipping_street,
    k.shipping_city,
    k.shipping_state,
    k.shipping_postal_code,
    k.source_file,
    k.line_number,
    k.email IS NULL AS email_missing
  FROM keyed AS k
  LEFT JOIN stored AS s ON k.transaction_id = s.transaction_id
)

SELECT * FROM final;
