-- customer_dim, type-2, as one MERGE, from the customer fields of the batch's accepted transaction
-- lines (replayed ones too: they carry the customer as the source sent it this hour), with
-- branch_dim.sql's rules. A customer whose first name, last name or cleaned email differs from its
-- current version gets that version closed and a new one inserted (both stamped with the batch's
-- hour); a new customer gets its first version; an unchanged or absent one changes nothing; within
-- the batch the last line of a customer id wins; new versions get the next keys in id order.
-- Parameters: database, batch_id, valid_from.
MERGE INTO :database.customer_dim AS d
USING (
  WITH snapshot AS (
    SELECT customer_id, first_name, last_name, email
    FROM (
      SELECT t.*, row_number() OVER (PARTITION BY customer_id ORDER BY file_seq DESC, line_number DESC) AS line_rank
      FROM :database._stage_transactions AS t
      WHERE batch_id = :batch_id AND reason IS NULL
    )
    WHERE line_rank = 1
  ),

  current_versions AS (
    SELECT * FROM :database.customer_dim WHERE is_current
  ),

  changed AS (
    SELECT s.*, c.customer_key AS current_key
    FROM snapshot AS s
    LEFT JOIN current_versions AS c ON s.customer_id = c.customer_id
    WHERE c.customer_id IS NULL
      OR NOT (s.first_name <=> c.first_name AND s.last_name <=> c.last_name AND s.email <=> c.email)
  ),

  closing AS (
    SELECT current_key AS merge_key, CAST(NULL AS BIGINT) AS customer_key, customer_id, first_name, last_name, email
    FROM changed
    WHERE current_key IS NOT NULL
  ),

  opening AS (
    SELECT
      CAST(NULL AS BIGINT) AS merge_key,
      k.max_key + row_number() OVER (ORDER BY length(ch.customer_id), ch.customer_id) AS customer_key,
      ch.customer_id,
      ch.first_name,
      ch.last_name,
      ch.email
    FROM changed AS ch
    CROSS JOIN (SELECT coalesce(max(customer_key), 0) AS max_key FROM :database.customer_dim) AS k
  ),

  final AS (
    SELECT * FROM closing
    UNION ALL
    SELECT * FROM opening
  )

  SELECT * FROM final
) AS s
ON d.customer_key = s.merge_key
WHEN MATCHED AND d.is_current THEN
  UPDATE SET valid_to = CAST(:valid_from AS TIMESTAMP), is_current = FALSE
WHEN NOT MATCHED AND s.merge_key IS NULL THEN
  INSERT (customer_key, customer_id, first_name, last_name, email, valid_from, valid_to, is_current, batch_id)
  VALUES (s.customer_key, s.customer_id, s.first_name, s.last_name, s.email, CAST(:valid_from AS TIMESTAMP), CAST(NULL AS TIMESTAMP), TRUE, :batch_id);
