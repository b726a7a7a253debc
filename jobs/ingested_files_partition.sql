-- Registers (or refreshes) one batch's rows of ingested_files; the files were written just before.
ALTER TABLE :database.ingested_files ADD IF NOT EXISTS PARTITION (batch_id = :batch_id);
REFRESH TABLE :database.ingested_files;
