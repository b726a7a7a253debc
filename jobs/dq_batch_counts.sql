-- A batch's data-quality verdicts by status (dq_results), for its processed marker. Parameters:
-- database, batch_id.
SELECT status, count(*) AS checks
FROM :database.dq_results
WHERE batch_id = :batch_id
GROUP BY status;
