-- sales_agent_dim, type-2 (sales_agent_id is the source's sales_person_id): the batch's agents
-- snapshot against the current versions. An agent whose attributes changed gets its current version
-- closed (valid_to = the batch's hour) and a new one
-- opened (valid_from = the batch's hour); a new agent gets its first version; an unchanged row
-- changes nothing. An agent missing from the snapshot stays current (a snapshot that leaves an id
-- out does not end it). Within the batch the last line of an id wins (later file, then later line).
-- New versions get the next keys in id order, so a rerun computes the same keys, and once the
-- batch is in, a rerun finds nothing changed. Parameters: database, batch_id, valid_from.
INSERT OVERWRITE TABLE :database._stage_sales_agent_dim BY NAME
WITH snapshot AS (
  SELECT sales_agent_id, name, hire_date
  FROM (
    SELECT s.*, row_number() OVER (PARTITION BY sales_agent_id ORDER BY file_seq DESC, line_number DESC) AS line_rank
    FROM :database._stage_sales_agents AS s
    WHERE batch_id = :batch_id AND reason IS NULL
  )
  WHERE line_rank = 1
),

stored AS (
  SELECT * FROM :database.sales_agent_dim
),

changed AS (
  SELECT s.*
  FROM snapshot AS s
  LEFT JOIN stored AS c ON c.is_current AND s.sales_agent_id = c.sales_agent_id
  WHERE c.sales_agent_id IS NULL
    OR NOT (s.name <=> c.name AND s.hire_date <=> c.hire_date)
),

closed AS (
  SELECT
    d.sales_agent_key,
    d.sales_agent_id,
    d.name,
    d.hire_date,
    d.valid_from,
    IF(d.is_current AND ch.sales_agent_id IS NOT NULL, CAST(:valid_from AS TIMESTAMP), d.valid_to) AS valid_to,
    d.is_current AND ch.sales_agent_id IS NULL AS is_current,
    d.batch_id
  FROM stored AS d
  LEFT JOIN changed AS ch ON d.sales_agent_id = ch.sales_agent_id
),

opened AS (
  SELECT
    k.max_key + row_number() OVER (ORDER BY length(ch.sales_agent_id), ch.sales_agent_id) AS sales_agent_key,
    ch.sales_agent_id,
    ch.name,
    ch.hire_date,
    CAST(:valid_from AS TIMESTAMP) AS valid_from,
    CAST(NULL AS TIMESTAMP) AS valid_to,
    TRUE AS is_current,
    :batch_id AS batch_id
  FROM changed AS ch
  CROSS JOIN (SELECT coalesce(max(sales_agent_key), 0) AS max_key FROM stored) AS k
),

final AS (
  SELECT * FROM closed
  UNION ALL
  SELECT * FROM opened
)

SELECT /*+ REPARTITION(1) */ * FROM final;

INSERT OVERWRITE TABLE :database.sales_agent_dim BY NAME
SELECT /*+ REPARTITION(1) */ * FROM :database._stage_sales_agent_dim;
