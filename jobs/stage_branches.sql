-- Parses one raw branches snapshot (the view qpipe_raw_lines, see raw_lines.sql) into
-- _stage_branches: one row per non-blank data line, trimmed and typed, with `reason` MISSING_KEY
-- (no branch_id) or BAD_DATE (establish_date not yyyy-M-d / yyyy-MM-dd, or not a real date).
-- Parameters: database, batch_id, file_seq, source_file, csv_schema (as in stage_sales_transactions.sql).
INSERT INTO TABLE :database._stage_branches BY NAME
WITH records AS (
  SELECT line_number, raw_line, from_csv(raw_line, :csv_schema, map('escape', '"', 'mode', 'PERMISSIVE')) AS r
  FROM qpipe_raw_lines
  WHERE line_number > 1 AND trim(raw_line) <> ''
),

cells AS (
  SELECT
    line_number,
    raw_line,
    nullif(trim(BOTH ' \t' FROM r.branch_id), '') AS branch_id,
    nullif(trim(BOTH ' \t' FROM r.location), '') AS location,
    nullif(trim(BOTH ' \t' FROM r.establish_date), '') AS establish_date_text,
    nullif(trim(BOTH ' \t' FROM r.class), '') AS class
  FROM records
),

typed AS (
  SELECT
    c.*,
    CASE
      WHEN establish_date_text RLIKE '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$'
        THEN CAST(try_to_timestamp(establish_date_text, 'yyyy-M-d') AS DATE)
    END AS establish_date
  FROM cells AS c
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
  FROM typed
)

SELECT * FROM final;
