-- product_dim, type-1, as one MERGE: the latest attributes win. A product of the batch whose name
-- or category differs from the stored row is updated in place (same key, batch_id = this batch); a
-- new product is inserted with the next key in id order; the others stay as they are. Within the
-- batch the last line of a product id wins. Keys never change once given; once the batch is in, a
-- rerun finds nothing to change and the MERGE commits nothing. Parameters: database, batch_id.
MERGE INTO :database.product_dim AS d
USING (
  WITH latest AS (
    SELECT product_id, product_name, product_category
    FROM (
      SELECT t.*, row_number() OVER (PARTITION BY product_id ORDER BY file_seq DESC, line_number DESC) AS line_rank
      FROM :database._stage_transactions AS t
      WHERE batch_id = :batch_id AND reason IS NULL
    )
    WHERE line_rank = 1
  ),

  stored AS (
    SELECT product_id FROM :database.product_dim
  ),

  added AS (
    SELECT
      k.max_key + row_number() OVER (ORDER BY length(n.product_id), n.product_id) AS product_key,
      n.product_id
    FROM (SELECT l.product_id FROM latest AS l LEFT ANTI JOIN stored AS s ON l.product_id = s.product_id) AS n
    CROSS JOIN (SELECT coalesce(max(product_key), 0) AS max_key FROM :database.product_dim) AS k
  ),

  final AS (
    SELECT l.*, a.product_key
    FROM latest AS l
    LEFT JOIN added AS a ON l.product_id = a.product_id
  )

  SELECT * FROM final
) AS s
ON d.product_id = s.product_id
WHEN MATCHED AND NOT (d.product_name <=> s.product_name AND d.product_category <=> s.product_category) THEN
  UPDATE SET product_name = s.product_name, product_category = s.product_category, batch_id = :batch_id
WHEN NOT MATCHED THEN
  INSERT (product_key, product_id, product_name, product_category, batch_id)
  VALUES (s.product_key, s.product_id, s.product_name, s.product_category, :batch_id);
