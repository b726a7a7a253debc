-- The migration's copy: every row of a table of the old layout (renamed `<table>__pre_delta`) into
-- its new Delta table, by column name, as one commit. Parameters: database, table, legacy, columns.
INSERT INTO :database.:table BY NAME
SELECT :columns FROM :database.:legacy;
