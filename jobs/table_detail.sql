-- One Delta table's location, and the files and bytes of its current version. Parameters: database, table.
DESCRIBE DETAIL :database.:table;
