-- The warehouse (specs/warehouse.md): the star schema and the operational tables ingested_files and
-- rejected_rows as Delta Lake tables, and the process step's staging tables. Parameters: database.
--
-- Delta: every write is one atomic commit in the table's log (a crash leaves the table at its last
-- commit), upserts are MERGEs that rewrite only what changed, and DESCRIBE HISTORY names the batch of
-- each commit (its userMetadata). Deletion vectors are on: a MERGE that updates or deletes a few rows
-- marks them in a small side file instead of rewriting the Parquet file that holds them; the daily
-- warehouse maintenance (OPTIMIZE) folds them away with the hours' small files.
--
-- The fact is not partitioned: an hourly drop spreads over hundreds of dates, so date partitions
-- meant hundreds of two-row files an hour. It is clustered by transaction_date (liquid clustering):
-- OPTIMIZE lays rows out by date, and a filter on the date skips files by their min/max statistics.
-- Ids stay STRING (the source's ids are opaque text; cast them to order numerically); surrogate keys
-- are BIGINT. Extra columns beyond the contract: `batch_id` on the dimensions (the batch that opened
-- the version, or last changed the product), and on the fact `replaced_batch_id` (the batch whose row
-- this one replaced), `source_file`, `line_number` (lineage) and `content_hash` (replay detection).
CREATE DATABASE IF NOT EXISTS :database;

CREATE TABLE IF NOT EXISTS :database.sales_transactions_fact (
  transaction_id STRING,
  transaction_date DATE,
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
  content_hash STRING
)
USING delta
CLUSTER BY (transaction_date)
TBLPROPERTIES ('delta.enableDeletionVectors' = 'true');

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
USING delta
TBLPROPERTIES ('delta.enableDeletionVectors' = 'true');

CREATE TABLE IF NOT EXISTS :database.product_dim (
  product_key BIGINT,
  product_id STRING,
  product_name STRING,
  product_category STRING,
  batch_id STRING
)
USING delta
TBLPROPERTIES ('delta.enableDeletionVectors' = 'true');

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
USING delta
TBLPROPERTIES ('delta.enableDeletionVectors' = 'true');

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
USING delta
TBLPROPERTIES ('delta.enableDeletionVectors' = 'true');

-- A batch's rows are merged by each run of the batch (rejected_rows.sql): a rerun commits nothing.
CREATE TABLE IF NOT EXISTS :database.rejected_rows (
  batch_id STRING,
  dataset STRING,
  source_file STRING,
  line_number BIGINT,
  reason STRING,
  raw_line STRING,
  rejected_at TIMESTAMP
)
USING delta
TBLPROPERTIES ('delta.enableDeletionVectors' = 'true');

-- One row per landing file a batch saw (ingested, duplicate or rejected); the ingest merges a
-- batch's rows from the JSON lines it staged on HDFS (ingested_files.sql): a rerun commits nothing.
CREATE TABLE IF NOT EXISTS :database.ingested_files (
  batch_id STRING,
  file_name STRING,
  dataset STRING,
  sha256 STRING,
  bytes BIGINT,
  status STRING,
  reason STRING,
  detail STRING,
  raw_path STRING,
  ingested_at TIMESTAMP
)
USING delta
TBLPROPERTIES ('delta.enableDeletionVectors' = 'true');

-- Staging: scratch Parquet tables rebuilt by every run of a batch from its raw files, read by the
-- steps after. A crash while one is written leaves nothing published: the retry rebuilds it.
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

-- The fact merge's plan: one row per incoming transaction id, with its action and whether it is written.
CREATE TABLE IF NOT EXISTS :database._stage_fact_plan (
  transaction_id STRING,
  transaction_date DATE,
  batch_id STRING,
  content_hash STRING,
  action STRING,
  replaced_batch_id STRING,
  written BOOLEAN,
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

-- Data quality (activities/audit.ts): every check's verdict on every batch, a sample of the failing
-- rows' keys, and the decisions on held batches. A batch's rows are merged by each audit of it.
CREATE TABLE IF NOT EXISTS :database.dq_results (
  batch_id STRING,
  table_name STRING,
  check_name STRING,
  check_type STRING,
  severity STRING,
  status STRING,
  observed DOUBLE,
  threshold STRING,
  rows_checked BIGINT,
  failing_rows BIGINT,
  message STRING,
  checked_at TIMESTAMP
)
USING delta
TBLPROPERTIES ('delta.enableDeletionVectors' = 'true');

CREATE TABLE IF NOT EXISTS :database.dq_failed_rows (
  batch_id STRING,
  table_name STRING,
  check_name STRING,
  source_file STRING,
  line_number BIGINT,
  row_id STRING,
  value STRING
)
USING delta
TBLPROPERTIES ('delta.enableDeletionVectors' = 'true');

-- hold (by the audit), release or discard (by an operator): who, when and why.
CREATE TABLE IF NOT EXISTS :database.batch_decisions (
  batch_id STRING,
  decision STRING,
  decided_by STRING,
  decided_at TIMESTAMP,
  reason STRING
)
USING delta
TBLPROPERTIES ('delta.enableDeletionVectors' = 'true');
