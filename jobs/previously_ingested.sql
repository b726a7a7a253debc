-- Files that earlier batches ingested, to recognise a redelivered identical file (same name, same sha256);
-- the ingest keeps the rows of committed batches only (those with a manifest).
SELECT file_name, sha256, batch_id
FROM :database.ingested_files
WHERE status = 'ingested' AND batch_id <> :batch_id;
