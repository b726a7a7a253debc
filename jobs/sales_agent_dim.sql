-- sales_agent_dim, type-2 (sales_agent_id is the source's sales_person_id), as one MERGE: the
-- batch's agents snapshot against the current versions, with branch_dim.sql's rules. An agent whose
-- name or hire date changed gets its current version closed and a new one inserted (both stamped
-- with the batch's hour); a new agent gets its first version; an unchanged or absent agent changes
-- nothing; within the batch the last line of an id wins; new versions get the next keys in id order.
-- Parameters: database, batch_id, valid_from.
MERGE INTO :database.sales_agent_dim AS d
USING (
  WITH snapshot AS (
    SELECT sales_agent_id, name, hire_date
    FROM (
      SELECT s.*, row_number() OVER (PARTITION BY sales_agent_id ORDER BY file_seq DESC, line_number DESC) AS line_rank
      FROM :database._stage_sales_agents AS s
      WHERE batch_id = :batch_id AND reason IS NULL
    )
    WHERE line_rank = 1
  ),

  current_versions AS (
    SELECT * FROM :database.sales_agent_dim WHERE is_current
  ),

  changed AS (
    SELECT s.*, c.sales_agent_key AS current_key
    FROM snapshot AS s
    LEFT JOIN current_versions AS c ON s.sales_agent_id = c.sales_agent_id
    WHERE c.sales_agent_id IS NULL
      OR NOT (s.name <=> c.name AND s.hire_date <=> c.hire_date)
  ),

  closing AS (
    SELECT current_key AS merge_key, CAST(NULL AS BIGINT) AS sales_agent_key, sales_agent_id, name, hire_date
    FROM changed
    WHERE current_key IS NOT NULL
  ),

  opening AS (
    SELECT
      CAST(NULL AS BIGINT) AS merge_key,
      k.max_key + row_number() OVER (ORDER BY length(ch.sales_agent_id), ch.sales_agent_id) AS sales_agent_key,
      ch.sales_agent_id,
      ch.name,
      ch.hire_date
    FROM changed AS ch
    CROSS JOIN (SELECT coalesce(max(sales_agent_key), 0) AS max_key FROM :database.sales_agent_dim) AS k
  ),

  final AS (
    SELECT * FROM closing
    UNION ALL
    SELECT * FROM opening
  )

  SELECT * FROM final
) AS s
ON d.sales_agent_key = s.merge_key
WHEN MATCHED AND d.is_current THEN
  UPDATE SET valid_to = CAST(:valid_from AS TIMESTAMP), is_current = FALSE
WHEN NOT MATCHED AND s.merge_key IS NULL THEN
  INSERT (sales_agent_key, sales_agent_id, name, hire_date, valid_from, valid_to, is_current, batch_id)
  VALUES (s.sales_agent_key, s.sales_agent_id, s.name, s.hire_date, CAST(:valid_from AS TIMESTAMP), CAST(NULL AS TIMESTAMP), TRUE, :batch_id);
