-- The warehouse (specs/warehouse.md): the star schema, rejected_rows, and the process step's staging
-- tables. Parameters: database.
--
-- Every table is a Parquet data-source table (`USING parquet`): Spark reads and writes it natively
-- and, through the table option `partitionOverwriteMode = dynamic`, an INSERT OVERWRITE of the fact
-- rewrites only the partitions its rows fall in, whatever the session's setting. Ids stay STRING (the
-- source's ids are opaque text; cast them to order numerically); surrogate keys are BIGINT. Extra
-- columns beyond the contract: `batch_id` on the dimensions (the batch that opened the version, or
-- last changed the product), and on the fact `replaced_batch_id` (the batch whose row this one
-- replaced), `source_file`, `line_number` (lineage) and `content_hash` (replay detection).
CREATE DATABASE IF NOT EXISTS :database;

CREATE TABLE IF NOT EXISTS :database.sales_transactions_fact (
  transaction_id STRING,
  customer_id STRING,
  customer_key BIGINT,
  product_id STRING,
  product_key BIGINT,
  sales_agent_id STRING,
  sales_agent_key BIGINT,
  branch_id STRING,
  branch_key BIGINT,
  offer_number INT,
  discount_percentage INT,
  units INT,
  unit_price DECIMAL(10,2),
  total_paid_price DECIMAL(12,2),
  is_online BOOLEAN,
  payment_method STRING,
  shipping_street STRING,
  shipping_city STRING,
  shipping_state STRING,
  shipping_postal_code STRING,
  batch_id STRING,
  replaced_batch_id STRING,
  source_file STRING,
  line_number BIGINT,
  content_hash STRING,
  transaction_date DATE
)
USING parquet
PARTITIONED BY (transaction_date)
OPTIONS ('partitionOverwriteMode' = 'dynamic');

CREATE TABLE IF NOT EXISTS :database.customer_dim (
  customer_key BIGINT,
  customer_id STRING,
  first_name STRING,
  last_name STRING,
  email STRING,
  valid_from TIMESTAMP,
  valid_to TIMESTAMP,
  is_current BOOLEAN,
  batch_id STRING
)
USING parquet;

CREATE TABLE IF NOT EXISTS :database.product_dim (
  product_key BIGINT,
  product_id STRING,
  product_name STRING,
  product_category STRING,
  batch_id STRING
)
USING parquet;

CREATE TABLE IF NOT EXISTS :database.sales_agent_dim (
  sales_agent_key BIGINT,
  sales_agent_id STRING,
  name STRING,
  hire_date DATE,
  valid_from TIMESTAMP,
  valid_to TIMESTAMP,
  is_current BOOLEAN,
  batch_id STRING
)
USING parquet;

CREATE TABLE IF NOT EXISTS :database.branch_dim (
  branch_key BIGINT,
  branch_id STRING,
  location STRING,
  establish_date DATE,
  class STRING,
  valid_from TIMESTAMP,
  valid_to TIMESTAMP,
  is_current BOOLEAN,
  batch_id STRING
)
USING parquet;

-- One partition per batch, replaced whole by each run of the batch (INSERT OVERWRITE … PARTITION).
CREATE TABLE IF NOT EXISTS :database.rejected_rows (
  dataset STRING,
  source_file STRING,
  line_number BIGINT,
  reason STRING,
  raw_line STRING,
  rejected_at TIMESTAMP,
  batch_id STRING
)
USING parquet
PARTITIONED BY (batch_id);

-- Staging: rebuilt by every run of a batch, read by the next step. Spark refuses to overwrite a table
-- it reads, so each target is computed into its stage, then copied over the target.
CREATE TABLE IF NOT EXISTS :database._stage_transactions (
  batch_id STRING,
  file_seq INT,
  source_file STRING,
  line_number BIGINT,
  raw_line STRING,
  reason STRING,
  transaction_id STRING,
  transaction_date DATE,
  customer_id STRING,
  first_name STRING,
  last_name STRING,
  email STRING,
  sales_agent_id STRING,
  branch_id STRING,
  product_id STRING,
  product_name STRING,
  product_category STRING,
  offer_number INT,
  discount_percentage INT,
  units INT,
  unit_price DECIMAL(10,2),
  total_paid_price DECIMAL(12,2),
  is_online BOOLEAN,
  payment_method STRING,
  shipping_street STRING,
  shipping_city STRING,
  shipping_state STRING,
  shipping_postal_code STRING,
  content_hash STRING
)
USING parquet;

CREATE TABLE IF NOT EXISTS :database._stage_branches (
  batch_id STRING,
  file_seq INT,
  source_file STRING,
  line_number BIGINT,
  raw_line STRING,
  reason STRING,
  branch_id STRING,
  location STRING,
  establish_date DATE,
  class STRING
)
USING parquet;

CREATE TABLE IF NOT EXISTS :database._stage_sales_agents (
  batch_id STRING,
  file_seq INT,
  source_file STRING,
  line_number BIGINT,
  raw_line STRING,
  reason STRING,
  sales_agent_id STRING,
  name STRING,
  hire_date DATE
)
USING parquet;

CREATE TABLE IF NOT EXISTS :database._stage_branch_dim LIKE :database.branch_dim USING parquet;
CREATE TABLE IF NOT EXISTS :database._stage_sales_agent_dim LIKE :database.sales_agent_dim USING parquet;
CREATE TABLE IF NOT EXISTS :database._stage_customer_dim LIKE :database.customer_dim USING parquet;
CREATE TABLE IF NOT EXISTS :database._stage_product_dim LIKE :database.product_dim USING parquet;

-- The fact merge's plan: one row per candidate version of each incoming transaction id (the
-- incoming row, and every stored row of that id) with its role: add, keep, remove or skip.
CREATE TABLE IF NOT EXISTS :database._stage_fact_plan (
  transaction_id STRING,
  transaction_date DATE,
  batch_id STRING,
  content_hash STRING,
  origin STRING,
  role STRING,
  action STRING,
  replaced_batch_id STRING,
  customer_id STRING,
  customer_key BIGINT,
  product_id STRING,
  product_key BIGINT,
  sales_agent_id STRING,
  sales_agent_key BIGINT,
  branch_id STRING,
  branch_key BIGINT,
  offer_number INT,
  discount_percentage INT,
  units INT,
  unit_price DECIMAL(10,2),
  total_paid_price DECIMAL(12,2),
  is_online BOOLEAN,
  payment_method STRING,
  shipping_street STRING,
  shipping_city STRING,
  shipping_state STRING,
  shipping_postal_code STRING,
  source_file STRING,
  line_number BIGINT,
  email_missing BOOLEAN
)
USING parquet;

-- The new content of every fact partition the batch touches (not partitioned itself).
CREATE TABLE IF NOT EXISTS :database._stage_fact (
  transaction_id STRING,
  customer_id STRING,
  customer_key BIGINT,
  product_id STRING,
  product_key BIGINT,
  sales_agent_id STRING,
  sales_agent_key BIGINT,
  branch_id STRING,
  branch_key BIGINT,
  offer_number INT,
  discount_percentage INT,
  units INT,
  unit_price DECIMAL(10,2),
  total_paid_price DECIMAL(12,2),
  is_online BOOLEAN,
  payment_method STRING,
  shipping_street STRING,
  shipping_city STRING,
  shipping_state STRING,
  shipping_postal_code STRING,
  batch_id STRING,
  replaced_batch_id STRING,
  source_file STRING,
  line_number BIGINT,
  content_hash STRING,
  transaction_date DATE
)
USING parquet;
