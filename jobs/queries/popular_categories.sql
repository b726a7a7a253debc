-- popular-categories (specs/warehouse.md, "Named queries"): events per product category in
-- app_events, most first; only events that carry a category (product views). Order: events desc,
-- category asc. Parameters: database; date_from, date_to (inclusive event-date bounds, NULL:
-- open); limit (NULL: no cap).
WITH categorized AS (
  SELECT category
  FROM :database.app_events
  WHERE category IS NOT NULL
    AND (:date_from IS NULL OR event_date >= CAST(:date_from AS DATE))
    AND (:date_to IS NULL OR event_date <= CAST(:date_to AS DATE))
),

final AS (
  SELECT category, count(*) AS events
  FROM categorized
  GROUP BY category
)

SELECT category, events
FROM final
ORDER BY events DESC, category ASC
LIMIT coalesce(:limit, 2147483647);
