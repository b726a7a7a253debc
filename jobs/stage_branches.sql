-- Parses one raw branches snapshot (the view qpipe_raw_lines, see raw_lines.sql) into
-- _stage_branches: one row per non-blank data line, trimmed and typed, with `reason` MISSING_KEY
-- (no branch_id) or BAD_DATE (establish_date not yyyy-M-d / yyyy-MM-dd, or not a real date).
-- Parameters: database, batch_id, file_seq, source_file, csv_schema, typed_cells (as in stage_sales_transactions.sql).
INSERT INTO TABLE :database._stage_branches BY NAME
WITH records AS (
  SELECT line_number, raw_line, from_csv(raw_line, :csv_schema, map('escape', '"', 'mode', 'PERMISSIVE')) AS r
  FROM qpipe_raw_lines
  WHERE line_number > 1 AND trim(raw_line) <> ''
),

cells AS (
  -- the contract's columns (schemas/csv/branches/), trimmed, empty as NULL, typed (see stage_sales_transactions.sql)
  SELECT line_number, raw_line, :typed_cells
  FROM records
),

final AS (
  SELECT
    :batch_id AS batch_id,
    :file_seq AS file_seq,
    :source_file AS source_file,
    line_number,
    raw_line,
    CASE WHEN branch_id IS NULL THEN 'MISSING_KEY' WHEN establish_date IS NULL THEN 'BAD_DATE' END AS reason,
    branch_id,
    location,
    establish_date,
    class
  FROM cells
)

SELECT * FROM final;
