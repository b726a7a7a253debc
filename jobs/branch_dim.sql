-- branch_dim, type-2, as one MERGE (one atomic commit): the batch's branches snapshot against the
-- current versions. A branch whose attributes changed gets its current version closed (valid_to =
-- the batch's hour, is_current false) and a new version inserted (valid_from = the batch's hour); a
-- new branch gets its first version; an unchanged row changes nothing. A branch missing from the
-- snapshot stays current (a snapshot that leaves an id out does not end it). Within the batch the
-- last line of an id wins (later file, then later line). New versions get the next keys in id order,
-- so a rerun computes the same keys; once the batch is in, a rerun finds nothing changed and the
-- MERGE commits nothing. The source carries each change twice: once keyed by the current version's
-- key (to close it), once with a NULL key (to insert the new version).
-- Parameters: database, batch_id, valid_from.
MERGE INTO :database.branch_dim AS d
USING (
  WITH snapshot AS (
    SELECT branch_id, location, establish_date, class
    FROM (
      SELECT s.*, row_number() OVER (PARTITION BY branch_id ORDER BY file_seq DESC, line_number DESC) AS line_rank
      FROM :database._stage_branches AS s
      WHERE batch_id = :batch_id AND reason IS NULL
    )
    WHERE line_rank = 1
  ),

  current_versions AS (
    SELECT * FROM :database.branch_dim WHERE is_current
  ),

  changed AS (
    SELECT s.*, c.branch_key AS current_key
    FROM snapshot AS s
    LEFT JOIN current_versions AS c ON s.branch_id = c.branch_id
    WHERE c.branch_id IS NULL
      OR NOT (s.location <=> c.location AND s.establish_date <=> c.establish_date AND s.class <=> c.class)
  ),

  closing AS (
    SELECT current_key AS merge_key, CAST(NULL AS BIGINT) AS branch_key, branch_id, location, establish_date, class
    FROM changed
    WHERE current_key IS NOT NULL
  ),

  opening AS (
    SELECT
      CAST(NULL AS BIGINT) AS merge_key,
      k.max_key + row_number() OVER (ORDER BY length(ch.branch_id), ch.branch_id) AS branch_key,
      ch.branch_id,
      ch.location,
      ch.establish_date,
      ch.class
    FROM changed AS ch
    CROSS JOIN (SELECT coalesce(max(branch_key), 0) AS max_key FROM :database.branch_dim) AS k
  ),

  final AS (
    SELECT * FROM closing
    UNION ALL
    SELECT * FROM opening
  )

  SELECT * FROM final
) AS s
ON d.branch_key = s.merge_key
WHEN MATCHED AND d.is_current THEN
  UPDATE SET valid_to = CAST(:valid_from AS TIMESTAMP), is_current = FALSE
WHEN NOT MATCHED AND s.merge_key IS NULL THEN
  INSERT (branch_key, branch_id, location, establish_date, class, valid_from, valid_to, is_current, batch_id)
  VALUES (s.branch_key, s.branch_id, s.location, s.establish_date, s.class, CAST(:valid_from AS TIMESTAMP), CAST(NULL AS TIMESTAMP), TRUE, :batch_id);
