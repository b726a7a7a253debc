-- Empties the parse stages before a batch's files are parsed into them (one INSERT per file).
-- Parameters: database.
TRUNCATE TABLE :database._stage_transactions;
TRUNCATE TABLE :database._stage_branches;
TRUNCATE TABLE :database._stage_sales_agents;
