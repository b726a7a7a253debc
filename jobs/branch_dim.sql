-- branch_dim, type-2: the batch's branches snapshot against the current versions. A branch whose
-- attributes changed gets its current version closed (valid_to = the batch's hour) and a new one
-- opened (valid_from = the batch's hour); a new branch gets its first version; an unchanged row
-- changes nothing. A branch missing from the snapshot stays current (a snapshot that leaves an id
-- out does not end it). Within the batch the last line of an id wins (later file, then later line).
-- New versions get the next keys in id order, so a rerun computes the same keys, and once the
-- batch is in, a rerun finds nothing changed. Parameters: database, batch_id, valid_from.
INSERT OVERWRITE TABLE :database._stage_branch_dim BY NAME
WITH snapshot AS (
  SELECT branch_id, location, establish_date, class
  FROM (
    SELECT s.*, row_number() OVER (PARTITION BY branch_id ORDER BY file_seq DESC, line_number DESC) AS line_rank
    FROM :database._stage_branches AS s
    WHERE batch_id = :batch_id AND reason IS NULL
  )
  WHERE line_rank = 1
),

stored AS (
  SELECT * FROM :database.branch_dim
),

changed AS (
  SELECT s.*
  FROM snapshot AS s
  LEFT JOIN stored AS c ON c.is_current AND s.branch_id = c.branch_id
  WHERE c.branch_id IS NULL
    OR NOT (s.location <=> c.location AND s.establish_date <=> c.establish_date AND s.class <=> c.class)
),

closed AS (
  SELECT
    d.branch_key,
    d.branch_id,
    d.location,
    d.establish_date,
    d.class,
    d.valid_from,
    IF(d.is_current AND ch.branch_id IS NOT NULL, CAST(:valid_from AS TIMESTAMP), d.valid_to) AS valid_to,
    d.is_current AND ch.branch_id IS NULL AS is_current,
    d.batch_id
  FROM stored AS d
  LEFT JOIN changed AS ch ON d.branch_id = ch.branch_id
),

opened AS (
  SELECT
    k.max_key + row_number() OVER (ORDER BY length(ch.branch_id), ch.branch_id) AS branch_key,
    ch.branch_id,
    ch.location,
    ch.establish_date,
    ch.class,
    CAST(:valid_from AS TIMESTAMP) AS valid_from,
    CAST(NULL AS TIMESTAMP) AS valid_to,
    TRUE AS is_current,
    :batch_id AS batch_id
  FROM changed AS ch
  CROSS JOIN (SELECT coalesce(max(branch_key), 0) AS max_key FROM stored) AS k
),

final AS (
  SELECT * FROM closed
  UNION ALL
  SELECT * FROM opened
)

SELECT /*+ REPARTITION(1) */ * FROM final;

INSERT OVERWRITE TABLE :database.branch_dim BY NAME
SELECT /*+ REPARTITION(1) */ * FROM :database._stage_branch_dim;
