-- Records a decision on a batch (hold, release, discard) in batch_decisions: one row per batch and
-- decision; a rerun finds it and commits nothing. Parameters: database, batch_id, decision,
-- decided_by, decided_at, reason.
MERGE INTO :database.batch_decisions AS d
USING (
  SELECT :batch_id AS batch_id, :decision AS decision, :decided_by AS decided_by, CAST(:decided_at AS TIMESTAMP) AS decided_at, :reason AS reason
) AS s
ON d.batch_id = s.batch_id AND d.decision = s.decision
WHEN NOT MATCHED THEN INSERT *;
