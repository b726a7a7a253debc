-- revenue-by-customer (specs/warehouse.md, "Named queries"): purchase revenue and purchases per
-- customer in app_events. Order: revenue desc, customer_id asc (ids are text). Parameters:
-- database; date_from, date_to (inclusive event-date bounds, NULL: open); limit (NULL: no cap).
WITH purchases AS (
  SELECT customer_id, total_amount
  FROM :database.app_events
  WHERE event_type = 'purchase'
    AND (:date_from IS NULL OR event_date >= CAST(:date_from AS DATE))
    AND (:date_to IS NULL OR event_date <= CAST(:date_to AS DATE))
),

final AS (
  SELECT
    customer_id,
    CAST(coalesce(sum(total_amount), 0) AS DECIMAL(18,2)) AS total_revenue,
    count(*) AS purchases
  FROM purchases
  GROUP BY customer_id
)

SELECT customer_id, total_revenue, purchases
FROM final
ORDER BY total_revenue DESC, customer_id ASC NULLS LAST
LIMIT coalesce(:limit, 2147483647);
