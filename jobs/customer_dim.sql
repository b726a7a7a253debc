-- customer_dim, type-2, from the customer fields of the batch's accepted transaction lines (replayed
-- ones too: they carry the customer as the source sent it this hour). A customer whose first name,
-- last name or cleaned email differs from its current version gets that version closed (valid_to =
-- the batch's hour) and a new one opened (valid_from = the batch's hour); a new customer gets its
-- first version; an unchanged one changes nothing; one absent from the batch stays current. Within
-- the batch the last line of a customer id wins. New versions get the next keys in id order.
-- Parameters: database, batch_id, valid_from.
INSERT OVERWRITE TABLE :database._stage_customer_dim BY NAME
WITH snapshot AS (
  SELECT customer_id, first_name, last_name, email
  FROM (
    SELECT
      t.*,
      row_number() OVER (PARTITION BY customer_id ORDER BY file_seq DESC, line_number DESC) AS line_rank
    FROM :database._stage_transactions AS t
    WHERE batch_id = :batch_id AND reason IS NULL
  )
  WHERE line_rank = 1
),

stored AS (
  SELECT * FROM :database.customer_dim
),

changed AS (
  SELECT s.*
  FROM snapshot AS s
  LEFT JOIN stored AS c ON c.is_current AND s.customer_id = c.customer_id
  WHERE c.customer_id IS NULL
    OR NOT (s.first_name <=> c.first_name AND s.last_name <=> c.last_name AND s.email <=> c.email)
),

closed AS (
  SELECT
    d.customer_key,
    d.customer_id,
    d.first_name,
    d.last_name,
    d.email,
    d.valid_from,
    IF(d.is_current AND ch.customer_id IS NOT NULL, CAST(:valid_from AS TIMESTAMP), d.valid_to) AS valid_to,
    d.is_current AND ch.customer_id IS NULL AS is_current,
    d.batch_id
  FROM stored AS d
  LEFT JOIN changed AS ch ON d.customer_id = ch.customer_id
),

opened AS (
  SELECT
    k.max_key + row_number() OVER (ORDER BY length(ch.customer_id), ch.customer_id) AS customer_key,
    ch.customer_id,
    ch.first_name,
    ch.last_name,
    ch.email,
    CAST(:valid_from AS TIMESTAMP) AS valid_from,
    CAST(NULL AS TIMESTAMP) AS valid_to,
    TRUE AS is_current,
    :batch_id AS batch_id
  FROM changed AS ch
  CROSS JOIN (SELECT coalesce(max(customer_key), 0) AS max_key FROM stored) AS k
),

final AS (
  SELECT * FROM closed
  UNION ALL
  SELECT * FROM opened
)

SELECT /*+ REPARTITION(1) */ * FROM final;

INSERT OVERWRITE TABLE :database.customer_dim BY NAME
SELECT /*+ REPARTITION(1) */ * FROM :database._stage_customer_dim;
