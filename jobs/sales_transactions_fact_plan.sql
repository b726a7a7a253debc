-- The fact merge's plan (_stage_fact_plan): for every transaction id of the batch, which version
-- stays in the fact and what becomes of the others. The batch's accepted lines are reduced to one
-- incoming row per id (the last line wins), keyed with the dimension versions current after this
-- batch's dimension merges; then, with every stored row of the same id (whatever its date):
--
--   a stored row with the same content      → keep it untouched (a replay; its batch and keys stay)
--   a stored row of a later batch           → keep it (the later batch wins; action `superseded`)
--   otherwise the incoming row              → add it (`new`, or `changed` when it replaces stored rows)
--   every other stored row of the id        → remove it (wherever its date partition is)
--
-- Rerun-safe: when an interrupted run of this batch already wrote its row, the stored row has the
-- same content and this batch's id, and is reported with the action it was written with (`new`, or
-- `changed` when it carries a replaced_batch_id). Parameters: database, batch_id.
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
  SELECT
    f.transaction_id,
    f.transaction_date,
    f.batch_id,
    f.replaced_batch_id,
    f.content_hash,
    i.content_hash AS incoming_hash
  FROM :database.sales_transactions_fact AS f
  JOIN incoming AS i ON f.transaction_id = i.transaction_id
),

candidates AS (
  SELECT
    transaction_id,
    transaction_date,
    batch_id,
    replaced_batch_id,
    content_hash,
    'stored' AS origin,
    CASE WHEN content_hash = incoming_hash THEN 0 WHEN batch_id > :batch_id THEN 1 ELSE 3 END AS priority
  FROM stored
  UNION ALL
  SELECT transaction_id, transaction_date, batch_id, CAST(NULL AS STRING), content_hash, 'incoming', 2
  FROM incoming
),

ranked AS (
  SELECT
    c.*,
    row_number() OVER (PARTITION BY transaction_id ORDER BY priority, batch_id DESC, transaction_date DESC) AS candidate_rank,
    count(IF(origin = 'stored', 1, NULL)) OVER (PARTITION BY transaction_id) AS stored_rows,
    max(IF(origin = 'stored', batch_id, NULL)) OVER (PARTITION BY transaction_id) AS latest_stored_batch
  FROM candidates AS c
),

winners AS (
  SELECT
    transaction_id,
    CASE
      WHEN origin = 'incoming' AND stored_rows = 0 THEN 'new'
      WHEN origin = 'incoming' THEN 'changed'
      WHEN priority = 0 AND batch_id = :batch_id THEN IF(replaced_batch_id IS NULL, 'new', 'changed')
      WHEN priority = 0 THEN 'replayed'
      ELSE 'superseded'
    END AS action,
    IF(origin = 'incoming', latest_stored_batch, replaced_batch_id) AS replaced_batch_id
  FROM ranked
  WHERE candidate_rank = 1
),

roles AS (
  SELECT
    r.transaction_id,
    r.transaction_date,
    r.batch_id,
    r.content_hash,
    r.origin,
    CASE
      WHEN r.candidate_rank = 1 AND r.origin = 'incoming' THEN 'add'
      WHEN r.candidate_rank = 1 THEN 'keep'
      WHEN r.origin = 'stored' THEN 'remove'
      ELSE 'skip'
    END AS role,
    w.action,
    w.replaced_batch_id
  FROM ranked AS r
  JOIN winners AS w ON r.transaction_id = w.transaction_id
),

final AS (
  -- the incoming row's columns ride along on its own candidate row; stored rows carry only their identity
  SELECT
    r.*,
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
    IF(r.origin = 'incoming', k.email IS NULL, NULL) AS email_missing
  FROM roles AS r
  LEFT JOIN keyed AS k ON r.origin = 'incoming' AND r.transaction_id = k.transaction_id
)

SELECT * FROM final;
