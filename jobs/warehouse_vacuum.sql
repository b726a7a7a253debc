-- Deletes the files of one Delta table that no version younger than the retention references (the
-- ones OPTIMIZE and MERGE replaced). A version older than the retention can no longer be read or
-- restored. Parameters: database, table, retention_hours.
VACUUM :database.:table RETAIN :retention_hours HOURS;
