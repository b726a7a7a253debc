-- lowest-online-cities (specs/warehouse.md, "Named queries"): online revenue and orders per
-- shipping city, lowest revenue first. The city is the sale's shipping address (the fact's
-- shipping_city/shipping_state), never the customer's. An online sale whose address has no city
-- (e.g. `29 White Oak Drive//VT/05465`) is left out: it names no city to rank (the hourly batch
-- counts it as a null_city warning). A city is (city, state): Springfield IL and Springfield MA are
-- two rows. Order: revenue asc, city asc, state asc (binary string order, as Spark compares).
-- Parameters: database; date_from, date_to (inclusive transaction-date bounds, NULL: open);
-- limit (NULL: no cap; 2147483647 is Spark's largest LIMIT).
WITH online_sales AS (
  SELECT shipping_city, shipping_state, total_paid_price
  FROM :database.sales_transactions_fact
  WHERE is_online
    AND shipping_city IS NOT NULL
    AND (:date_from IS NULL OR transaction_date >= CAST(:date_from AS DATE))
    AND (:date_to IS NULL OR transaction_date <= CAST(:date_to AS DATE))
),

final AS (
  SELECT
    shipping_city,
    shipping_state,
    CAST(sum(total_paid_price) AS DECIMAL(18,2)) AS online_revenue,
    count(*) AS online_orders
  FROM online_sales
  GROUP BY shipping_city, shipping_state
)

SELECT shipping_city, shipping_state, online_revenue, online_orders
FROM final
ORDER BY online_revenue ASC, shipping_city ASC, shipping_state ASC
LIMIT coalesce(:limit, 2147483647);
