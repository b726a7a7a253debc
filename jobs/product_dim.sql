-- product_dim, type-1: the latest attributes win. A product of the batch whose name or category
-- differs from the stored row is updated in place (same key, batch_id = this batch); a new product
-- gets the next key in id order; the others stay as they are. Within the batch the last line of a
-- product id wins. Keys never change once given. Parameters: database, batch_id.
INSERT OVERWRITE TABLE :database._stage_product_dim BY NAME
WITH latest AS (
  SELECT product_id, product_name, product_category
  FROM (
    SELECT
      t.*,
      row_number() OVER (PARTITION BY product_id ORDER BY file_seq DESC, line_number DESC) AS line_rank
    FROM :database._stage_transactions AS t
    WHERE batch_id = :batch_id AND reason IS NULL
  )
  WHERE line_rank = 1
),

stored AS (
  SELECT * FROM :database.product_dim
),

updated AS (
  SELECT
    s.product_key,
    s.product_id,
    IF(l.product_id IS NULL, s.product_name, l.product_name) AS product_name,
    IF(l.product_id IS NULL, s.product_category, l.product_category) AS product_category,
    IF(
      l.product_id IS NOT NULL AND NOT (l.product_name <=> s.product_name AND l.product_category <=> s.product_category),
      :batch_id,
      s.batch_id
    ) AS batch_id
  FROM stored AS s
  LEFT JOIN latest AS l ON s.product_id = l.product_id
),

added AS (
  SELECT
    k.max_key + row_number() OVER (ORDER BY length(n.product_id), n.product_id) AS product_key,
    n.product_id,
    n.product_name,
    n.product_category,
    :batch_id AS batch_id
  FROM (SELECT * FROM latest AS l LEFT ANTI JOIN stored AS s ON l.product_id = s.product_id) AS n
  CROSS JOIN (SELECT coalesce(max(product_key), 0) AS max_key FROM stored) AS k
),

final AS (
  SELECT * FROM updated
  UNION ALL
  SELECT * FROM added
)

SELECT /*+ REPARTITION(1) */ * FROM final;

INSERT OVERWRITE TABLE :database.product_dim BY NAME
SELECT /*+ REPARTITION(1) */ * FROM :database._stage_product_dim;
