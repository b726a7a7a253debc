-- Parses one raw sales agents snapshot (the view qpipe_raw_lines, see raw_lines.sql) into
-- _stage_sales_agents: one row per non-blank data line, trimmed and typed, with `reason`
-- MISSING_KEY (no sales_person_id) or BAD_DATE (hire_date not yyyy-M-d / yyyy-MM-dd, or not real).
-- Parameters: database, batch_id, file_seq, source_file, csv_schema (as in stage_sales_transactions.sql).
INSERT INTO TABLE :database._stage_sales_agents BY NAME
WITH records AS (
  SELECT line_number, raw_line, from_csv(raw_line, :csv_schema, map('escape', '"', 'mode', 'PERMISSIVE')) AS r
  FROM qpipe_raw_lines
  WHERE line_number > 1 AND trim(raw_line) <> ''
),

cells AS (
  SELECT
    line_number,
    raw_line,
    nullif(trim(BOTH ' \t' FROM r.sales_person_id), '') AS sales_agent_id,
    nullif(trim(BOTH ' \t' FROM r.name), '') AS name,
    nullif(trim(BOTH ' \t' FROM r.hire_date), '') AS hire_date_text
  FROM records
),

typed AS (
  SELECT
    c.*,
    CASE
      WHEN hire_date_text RLIKE '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$'
        THEN CAST(try_to_timestamp(hire_date_text, 'yyyy-M-d') AS DATE)
    END AS hire_date
  FROM cells AS c
),

final AS (
  SELECT
    :batch_id AS batch_id,
    :file_seq AS file_seq,
    :source_file AS source_file,
    line_number,
    raw_line,
    CASE WHEN sales_agent_id IS NULL THEN 'MISSING_KEY' WHEN hire_date IS NULL THEN 'BAD_DATE' END AS reason,
    sales_agent_id,
    name,
    hire_date
  FROM typed
)

SELECT * FROM final;
