-- Drops one emptied date partition of the fact (see sales_transactions_fact_emptied.sql).
-- Parameters: database, transaction_date (yyyy-MM-dd).
ALTER TABLE :database.sales_transactions_fact DROP IF EXISTS PARTITION (transaction_date = :transaction_date);
