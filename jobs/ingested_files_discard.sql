-- Marks a discarded batch's ingested files `discarded` in ingested_files (one commit; a rerun finds
-- none left and commits nothing): their raw copies stay, and a resend of the same file is no longer
-- a duplicate delivery. Parameters: database, batch_id.
UPDATE :database.ingested_files
SET status = 'discarded'
WHERE batch_id = :batch_id AND status = 'ingested';
