-- sales-by-payment-method (specs/warehouse.md, "Named queries"): purchase events per payment method
-- in app_events, highest total first. A purchase without a payment method is its own row (NULL).
-- Order: total desc, method asc. Parameters: database; date_from, date_to (inclusive event-date
-- bounds, NULL: open); limit (NULL: no cap).
WITH purchases AS (
  SELECT payment_method, total_amount
  FROM :database.app_events
  WHERE event_type = 'purchase'
    AND (:date_from IS NULL OR event_date >= CAST(:date_from AS DATE))
    AND (:date_to IS NULL OR event_date <= CAST(:date_to AS DATE))
),

final AS (
  SELECT
    payment_method,
    CAST(coalesce(sum(total_amount), 0) AS DECIMAL(18,2)) AS total_sales,
    count(*) AS purchases
  FROM purchases
  GROUP BY payment_method
)

SELECT payment_method, total_sales, purchases
FROM final
ORDER BY total_sales DESC, payment_method ASC NULLS LAST
LIMIT coalesce(:limit, 2147483647);
