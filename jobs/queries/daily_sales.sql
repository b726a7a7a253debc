-- daily-sales (specs/warehouse.md, "Named queries" and "The B2B daily dump"): units sold in store
-- (is_online = false) per agent and product over the transaction dates asked for (one date for the
-- dump). One row per (agent id, product id): two products named "Boots" are two rows. The agent's
-- name is the current one (sales_agent_dim, is_current); a sale by an agent the dimension does not
-- know keeps its row with a NULL name (it sorts first). Order: agent name asc, product name asc,
-- units desc, product id asc (numeric), then agent id (two agents with one name). The output has
-- the dump's three columns only. Parameters: database; date_from, date_to (inclusive
-- transaction-date bounds, NULL: open); limit (NULL: no cap; 2147483647 is Spark's largest LIMIT).
WITH store_sales AS (
  SELECT sales_agent_id, product_id, units
  FROM :database.sales_transactions_fact
  WHERE NOT is_online
    AND (:date_from IS NULL OR transaction_date >= CAST(:date_from AS DATE))
    AND (:date_to IS NULL OR transaction_date <= CAST(:date_to AS DATE))
),

per_agent_product AS (
  SELECT sales_agent_id, product_id, sum(units) AS total_sold_units
  FROM store_sales
  GROUP BY sales_agent_id, product_id
),

current_agents AS (
  SELECT sales_agent_id, name
  FROM :database.sales_agent_dim
  WHERE is_current
),

final AS (
  SELECT
    a.name AS sales_agent_name,
    p.product_name,
    s.total_sold_units,
    s.product_id,
    s.sales_agent_id
  FROM per_agent_product AS s
  LEFT JOIN current_agents AS a ON s.sales_agent_id = a.sales_agent_id
  LEFT JOIN :database.product_dim AS p ON s.product_id = p.product_id
)

SELECT sales_agent_name, product_name, total_sold_units
FROM final
ORDER BY
  sales_agent_name ASC NULLS FIRST,
  product_name ASC NULLS FIRST,
  total_sold_units DESC,
  try_cast(product_id AS BIGINT) ASC NULLS LAST,
  product_id ASC,
  try_cast(sales_agent_id AS BIGINT) ASC NULLS LAST,
  sales_agent_id ASC
LIMIT coalesce(:limit, 2147483647);
