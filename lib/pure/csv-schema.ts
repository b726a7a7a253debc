import { requiredColumns, type Dataset } from './batch';

/**
 * The Spark `from_csv` schema of a raw file: every column a STRING, in the file's own order (the
 * header the ingest recorded in the manifest), named as the process SQL reads it: a required column
 * by its source name (typos included), any other column, or a repeated one, `_unused_<position>`.
 * Columns are thus matched by name, never by position, and no header text reaches the SQL.
 */
export function csvSchema(dataset: Dataset, columns: readonly string[]): string {
  const wanted = new Set(requiredColumns[dataset]);
  const named = new Set<string>();
  return columns
    .map((column, index) => {
      const name = wanted.has(column) && !named.has(column) ? column : `_unused_${index}`;
      named.add(name);
      return `\`${name}\` STRING`;
    })
    .join(', ');
}
