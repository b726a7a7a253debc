-- Parses one raw sales_transactions file (the view qpipe_raw_lines, see raw_lines.sql) into
-- _stage_transactions: one row per non-blank data line, cleaned and typed per specs/raw-files.md,
-- with `reason` set when the line is rejected (then its other columns are not used).
-- Parameters: database, batch_id, file_seq (the file's order in the batch), source_file, csv_schema
-- (`c STRING, …` in the file's own column order: the ingest read the header, columns are matched by
-- name, never by position; a column qpipe does not use is named `_unused_<n>`), typed_cells (the
-- contract's columns typed, generated from schemas/csv/sales_transactions/ by lib/pure/csv-schema.ts).
--
-- Rejection reasons are checked in the spec table's order and the first that applies wins:
-- MISSING_KEY, BAD_DATE, BAD_NUMBER, NON_POSITIVE, MULTIPLE_OFFERS, BAD_FLAG, MISSING_STORE_FIELDS,
-- MISSING_SHIPPING. Spark runs in ANSI mode, so every conversion of source text is a try_ form.
INSERT INTO TABLE :database._stage_transactions BY NAME
WITH records AS (
  -- RFC 4180 quoting: a doubled quote inside a quoted cell is one quote; a short (ragged) line gets
  -- NULL for its missing trailing cells, a long one loses its extra cells.
  SELECT line_number, raw_line, from_csv(raw_line, :csv_schema, map('escape', '"', 'mode', 'PERMISSIVE')) AS r
  FROM qpipe_raw_lines
  WHERE line_number > 1 AND trim(raw_line) <> ''
),

cells AS (
  -- each contract column (schemas/csv/sales_transactions/) by name, trimmed (spaces and tabs), an
  -- empty cell NULL, typed as the contract's x-qpipe-type says (lib/pure/csv-schema.ts): a cell that
  -- is not of its type is NULL. A date is yyyy-M-d or yyyy-MM-dd and real; a flag is `True` (set),
  -- empty (not set) or NULL (not a flag); unit_price is DECIMAL(10,2), a third decimal rounding half-up.
  SELECT line_number, raw_line, :typed_cells
  FROM records
),

typed AS (
  SELECT
    c.*,
    CASE WHEN offer_1 THEN 1 WHEN offer_2 THEN 2 WHEN offer_3 THEN 3 WHEN offer_4 THEN 4 WHEN offer_5 THEN 5 END AS offer_number,
    IF(offer_1, 1, 0) + IF(offer_2, 1, 0) + IF(offer_3, 1, 0) + IF(offer_4, 1, 0) + IF(offer_5, 1, 0) AS offers_set,
    offer_1 IS NULL OR offer_2 IS NULL OR offer_3 IS NULL OR offer_4 IS NULL OR offer_5 IS NULL AS bad_offer_cell,
    -- the junk always follows the domain's `.com`: keep up to the first `.com` after the `@`
    lower(trim(coalesce(nullif(regexp_extract(email_text, '(?i)^(.*?@.*?\\.com)', 1), ''), email_text))) AS email_candidate,
    -- split from the right: the last three parts are city, state, postal code; the street may hold '/'
    split(shipping_address, '/') AS shipping_parts
  FROM cells AS c
),

derived AS (
  SELECT
    t.*,
    coalesce(offer_number * 5, 0) AS discount_percentage,
    -- exact DECIMAL arithmetic, then half-up to cents (round() on a DECIMAL is half-up)
    try_cast(
      round(CAST(units AS DECIMAL(10,0)) * unit_price * CAST(100 - coalesce(offer_number * 5, 0) AS DECIMAL(3,0)) / 100, 2)
      AS DECIMAL(12,2)
    ) AS total_paid_price,
    CASE WHEN email_candidate RLIKE '^[a-z0-9._%+-]+@[a-z0-9-]+(\\.[a-z0-9-]+)*\\.[a-z]{2,}$' THEN email_candidate END AS email,
    nullif(trim(array_join(slice(shipping_parts, 1, greatest(size(shipping_parts) - 3, 0)), '/')), '') AS street_part,
    nullif(trim(try_element_at(shipping_parts, -3)), '') AS city_part,
    nullif(trim(try_element_at(shipping_parts, -2)), '') AS state_part,
    nullif(trim(try_element_at(shipping_parts, -1)), '') AS postal_code_part
  FROM typed AS t
),

checked AS (
  SELECT
    d.*,
    CASE
      WHEN transaction_id IS NULL OR customer_id IS NULL OR product_id IS NULL THEN 'MISSING_KEY'
      WHEN transaction_date IS NULL THEN 'BAD_DATE'
      WHEN units IS NULL OR unit_price IS NULL OR total_paid_price IS NULL THEN 'BAD_NUMBER'
      WHEN units <= 0 OR unit_price <= 0 THEN 'NON_POSITIVE'
      WHEN offers_set > 1 THEN 'MULTIPLE_OFFERS'
      WHEN is_online IS NULL OR bad_offer_cell THEN 'BAD_FLAG'
      WHEN NOT is_online AND (sales_agent_id IS NULL OR branch_id IS NULL) THEN 'MISSING_STORE_FIELDS'
      WHEN is_online AND (shipping_address IS NULL OR size(shipping_parts) < 4) THEN 'MISSING_SHIPPING'
    END AS reason
  FROM derived AS d
),

cleaned AS (
  -- online sales have no store fields, offline sales no shipping address
  SELECT
    line_number,
    -- only a rejected line's text is kept (for rejected_rows): a million accepted lines are not written twice
    IF(reason IS NULL, NULL, raw_line) AS raw_line,
    reason,
    transaction_id,
    transaction_date,
    customer_id,
    first_name,
    last_name,
    email,
    IF(is_online, NULL, sales_agent_id) AS sales_agent_id,
    IF(is_online, NULL, branch_id) AS branch_id,
    product_id,
    product_name,
    product_category,
    offer_number,
    discount_percentage,
    units,
    unit_price,
    total_paid_price,
    is_online,
    payment_method,
    IF(is_online, street_part, NULL) AS shipping_street,
    IF(is_online, city_part, NULL) AS shipping_city,
    IF(is_online, state_part, NULL) AS shipping_state,
    IF(is_online, postal_code_part, NULL) AS shipping_postal_code
  FROM checked
),

final AS (
  SELECT
    :batch_id AS batch_id,
    :file_seq AS file_seq,
    :source_file AS source_file,
    c.*,
    -- every cleaned field: the same transaction id with the same hash is a replay
    IF(
      reason IS NULL,
      sha2(to_json(named_struct(
        'transaction_id', transaction_id, 'transaction_date', transaction_date, 'customer_id', customer_id,
        'first_name', first_name, 'last_name', last_name, 'email', email, 'sales_agent_id', sales_agent_id,
        'branch_id', branch_id, 'product_id', product_id, 'product_name', product_name,
        'product_category', product_category, 'offer_number', offer_number,
        'discount_percentage', discount_percentage, 'units', units, 'unit_price', unit_price,
        'total_paid_price', total_paid_price, 'is_online', is_online, 'payment_method', payment_method,
        'shipping_street', shipping_street, 'shipping_city', shipping_city, 'shipping_state', shipping_state,
        'shipping_postal_code', shipping_postal_code
      )), 256),
      NULL
    ) AS content_hash
  FROM cleaned AS c
)

SELECT * FROM final;
