-- most-redeemed-offers-per-product (specs/warehouse.md, "Named queries"): how many sales of each
-- product used each offer. Products are told apart by id; the name is product_dim's. Sales without
-- an offer are not counted. Order: redemptions desc, product id asc (numeric), offer number asc.
-- Parameters: database; date_from, date_to (inclusive transaction-date bounds, NULL: open);
-- limit (NULL: no cap; 2147483647 is Spark's largest LIMIT).
WITH redemptions AS (
  SELECT product_id, offer_number
  FROM :database.sales_transactions_fact
  WHERE offer_number IS NOT NULL
    AND (:date_from IS NULL OR transaction_date >= CAST(:date_from AS DATE))
    AND (:date_to IS NULL OR transaction_date <= CAST(:date_to AS DATE))
),

per_product_offer AS (
  SELECT product_id, offer_number, count(*) AS redemptions
  FROM redemptions
  GROUP BY product_id, offer_number
),

final AS (
  SELECT r.product_id, p.product_name, r.offer_number, r.redemptions
  FROM per_product_offer AS r
  LEFT JOIN :database.product_dim AS p ON r.product_id = p.product_id
)

SELECT product_id, product_name, offer_number, redemptions
FROM final
ORDER BY redemptions DESC, try_cast(product_id AS BIGINT) ASC NULLS LAST, product_id ASC, offer_number ASC
LIMIT coalesce(:limit, 2147483647);
