-- Every commit of one Delta table still in its log, newest first. Parameters: database, table.
DESCRIBE HISTORY :database.:table;
