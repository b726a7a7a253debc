-- Renames a table of the warehouse (the migration moves an old-layout table aside with it).
-- Parameters: database, table, new_name.
ALTER TABLE :database.:table RENAME TO :database.:new_name;
