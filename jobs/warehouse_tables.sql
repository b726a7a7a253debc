-- The tables of the warehouse database (created if missing) with their provider and schema (in
-- `information`), for the layout check of lib/warehouse-setup.ts. Parameters: database.
CREATE DATABASE IF NOT EXISTS :database;

SHOW TABLE EXTENDED IN :database LIKE '*';
