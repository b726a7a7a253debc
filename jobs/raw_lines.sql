-- The lines of one raw file of a batch, numbered as in the file (the header is line 1), as the
-- session's temporary view `qpipe_raw_lines` (line_number, raw_line) that the stage_* steps read.
-- Parameters: raw_path (the file's HDFS path, from the batch manifest; never "the current hour").
--
-- The text source gives one row per line and strips LF and CRLF endings. A file larger than one
-- split is read by several tasks, so a line's number is its split's offset in lines (the counts of
-- the splits before it, ordered by their byte offset) plus its position inside the split (rows of
-- one split get consecutive monotonically_increasing_id values). No global sort of the lines.
CREATE OR REPLACE TEMPORARY VIEW qpipe_raw_file
USING text
OPTIONS (path :raw_path);

CREATE OR REPLACE TEMPORARY VIEW qpipe_raw_lines AS
WITH lines AS (
  SELECT value, input_file_block_start() AS block_start, monotonically_increasing_id() AS row_id
  FROM qpipe_raw_file
),

blocks AS (
  SELECT block_start, min(row_id) AS first_row_id, count(*) AS line_count
  FROM lines
  GROUP BY block_start
),

block_offsets AS (
  SELECT
    block_start,
    first_row_id,
    coalesce(sum(line_count) OVER (ORDER BY block_start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS lines_before
  FROM blocks
),

final AS (
  SELECT b.lines_before + (l.row_id - b.first_row_id) + 1 AS line_number, l.value AS raw_line
  FROM lines AS l
  JOIN block_offsets AS b ON l.block_start = b.block_start
)

SELECT * FROM final;
