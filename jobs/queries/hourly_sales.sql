-- hourly-sales (specs/warehouse.md, "Named queries"): purchase revenue and purchases per event hour
-- in app_events (the event's own time, UTC; a late event counts in its own hour). Order: date,
-- hour. Parameters: database; date_from, date_to (inclusive event-date bounds, NULL: open); limit
-- (NULL: no cap).
WITH purchases AS (
  SELECT event_date, event_hour, total_amount
  FROM :database.app_events
  WHERE event_type = 'purchase'
    AND (:date_from IS NULL OR event_date >= CAST(:date_from AS DATE))
    AND (:date_to IS NULL OR event_date <= CAST(:date_to AS DATE))
),

final AS (
  SELECT
    event_date,
    event_hour,
    CAST(coalesce(sum(total_amount), 0) AS DECIMAL(18,2)) AS total_sales,
    count(*) AS purchases
  FROM purchases
  GROUP BY event_date, event_hour
)

SELECT event_date, event_hour, total_sales, purchases
FROM final
ORDER BY event_date ASC, event_hour ASC
LIMIT coalesce(:limit, 2147483647);
