-- Restores one Delta table to an earlier version, as one new commit (the history keeps what was
-- undone). Parameters: database, table, version.
RESTORE TABLE :database.:table TO VERSION AS OF :version;
