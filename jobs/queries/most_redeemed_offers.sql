-- most-redeemed-offers (specs/warehouse.md, "Named queries"): how many sales used each offer, with
-- its discount. A sale without an offer (offer_number NULL) is not an offer and is not counted.
-- Order: redemptions desc, offer number asc. Parameters: database; date_from, date_to (inclusive
-- transaction-date bounds, NULL: open); limit (NULL: no cap; 2147483647 is Spark's largest LIMIT).
WITH redemptions AS (
  SELECT offer_number, discount_percentage
  FROM :database.sales_transactions_fact
  WHERE offer_number IS NOT NULL
    AND (:date_from IS NULL OR transaction_date >= CAST(:date_from AS DATE))
    AND (:date_to IS NULL OR transaction_date <= CAST(:date_to AS DATE))
),

final AS (
  -- the discount follows from the offer (5 % per offer number); grouping by both never hides a
  -- sale whose discount differs
  SELECT offer_number, discount_percentage, count(*) AS redemptions
  FROM redemptions
  GROUP BY offer_number, discount_percentage
)

SELECT offer_number, discount_percentage, redemptions
FROM final
ORDER BY redemptions DESC, offer_number ASC, discount_percentage ASC
LIMIT coalesce(:limit, 2147483647);
