-- most-selling-products (specs/warehouse.md, "Named queries"): units and revenue per product over
-- every sale, online and in store. Products are told apart by id (two products named "Boots" are two
-- rows); the name is product_dim's (type 1: the latest). Order: units desc, product id asc (numeric).
-- Parameters: database; date_from, date_to (inclusive transaction-date bounds, NULL: open);
-- limit (NULL: no cap; 2147483647 is Spark's largest LIMIT).
WITH sales AS (
  SELECT product_id, units, total_paid_price
  FROM :database.sales_transactions_fact
  WHERE (:date_from IS NULL OR transaction_date >= CAST(:date_from AS DATE))
    AND (:date_to IS NULL OR transaction_date <= CAST(:date_to AS DATE))
),

per_product AS (
  SELECT product_id, sum(units) AS total_units_sold, sum(total_paid_price) AS total_revenue
  FROM sales
  GROUP BY product_id
),

final AS (
  SELECT
    s.product_id,
    p.product_name,
    s.total_units_sold,
    CAST(s.total_revenue AS DECIMAL(18,2)) AS total_revenue
  FROM per_product AS s
  LEFT JOIN :database.product_dim AS p ON s.product_id = p.product_id
)

SELECT product_id, product_name, total_units_sold, total_revenue
FROM final
ORDER BY total_units_sold DESC, try_cast(product_id AS BIGINT) ASC NULLS LAST, product_id ASC
LIMIT coalesce(:limit, 2147483647);
