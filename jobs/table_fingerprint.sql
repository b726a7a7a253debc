-- A table's row count and an order-free checksum of the given columns (the sum of each row's
-- xxhash64, as a DECIMAL so it never overflows): equal fingerprints of a table before and after a
-- copy mean the same rows. Parameters: database, table, columns.
WITH final AS (
  SELECT count(*) AS row_count, CAST(coalesce(sum(CAST(xxhash64(:columns) AS DECIMAL(38, 0))), 0) AS STRING) AS checksum
  FROM :database.:table
)

SELECT * FROM final;
