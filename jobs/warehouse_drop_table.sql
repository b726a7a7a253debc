-- Drops a table of the warehouse: a migrated table's old copy, or a staging table qpipe no longer
-- uses. Parameters: database, table.
DROP TABLE IF EXISTS :database.:table;
