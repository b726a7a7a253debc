-- Compacts one Delta table's small files (an hour's MERGEs each add a few) and folds its deletion
-- vectors into rewritten files; on the fact, liquid clustering lays the rows out by transaction_date
-- so a date filter reads few files. Incremental: files already compacted and clustered are left.
-- Parameters: database, table.
OPTIMIZE :database.:table;
