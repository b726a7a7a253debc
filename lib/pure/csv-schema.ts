import type { Dataset } from './batch';
import { csvContracts, decimalSqlType, type JsonSchema } from './schemas';
import type { SqlCode } from './sql';

/**
 * The stage SQL's reading of a raw CSV file, generated from the family's contract
 * (schemas/csv/<family>/v<N>.json): which columns it names, and each cell's type.
 */

/** A contract column: its source name, its name in the stage SQL and its qpipe type. */
export interface CsvColumn {
  readonly source: string;
  readonly name: string;
  readonly type: string;
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The trimmed cell text (spaces and tabs), NULL when empty, typed: NULL when the cell is not of its type. */
const cellTypes: Readonly<Record<string, { readonly sql: string; readonly typed: (text: string) => string }>> = {
  string: { sql: 'STRING', typed: (text) => text },
  // yyyy-M-d or yyyy-MM-dd, and a real date
  date: { sql: 'DATE', typed: (text) => `CASE WHEN ${text} RLIKE '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$' THEN CAST(try_to_timestamp(${text}, 'yyyy-M-d') AS DATE) END` },
  // digits with an optional sign, within INT
  integer: { sql: 'INT', typed: (text) => `CASE WHEN ${text} RLIKE '^[+-]?[0-9]+$' THEN try_cast(${text} AS INT) END` },
  'yes/no': { sql: 'BOOLEAN', typed: (text) => `CASE ${text} WHEN 'yes' THEN TRUE WHEN 'no' THEN FALSE END` },
  // `True` is set, an empty cell is not, anything else is not a flag (NULL)
  flag: { sql: 'BOOLEAN', typed: (text) => `CASE WHEN ${text} IS NULL THEN FALSE WHEN ${text} = 'True' THEN TRUE END` },
};

/** A qpipe cell type's Spark type and typing expression; `decimal(p,s)` rounds a further decimal half-up, and too large a number is NULL. */
function cellType(type: string): { readonly sql: string; readonly typed: (text: string) => string } {
  const sql = decimalSqlType(type);
  if (sql) return { sql, typed: (text) => `try_cast(${text} AS ${sql})` };
  const known = cellTypes[type];
  if (!known) throw new RangeError(`unknown x-qpipe-type "${type}" (known: ${[...Object.keys(cellTypes), 'decimal(p,s)'].join(', ')})`);
  return known;
}

/** The columns of a CSV contract, in its order, each checked: an identifier source and stage name, and a known type. */
export function csvColumns(contract: JsonSchema): CsvColumn[] {
  return Object.entries(contract.properties ?? {}).map(([source, property]) => {
    const name = (property['x-qpipe-column'] as string | undefined) ?? source;
    const type = property['x-qpipe-type'] ?? 'string';
    if (!identifier.test(source) || !identifier.test(name)) throw new RangeError(`contract column "${source}" (as "${name}") is not a plain identifier`);
    cellType(type);
    return { source, name, type };
  });
}

/** The Spark type of a CSV column (`DATE`, `DECIMAL(10,2)`, …). */
export const csvColumnSqlType = (column: CsvColumn): string => cellType(column.type).sql;

/**
 * The Spark `from_csv` schema of a raw file: every column a STRING, in the file's own order (the
 * header the ingest recorded in the manifest), named as the process SQL reads it: a contract
 * column by its source name (typos included), any other column, or a repeated one,
 * `_unused_<position>`. Columns are thus matched by name, never by position, and no header text
 * reaches the SQL.
 */
export function csvSchema(dataset: Dataset, columns: readonly string[], contract: JsonSchema = csvContracts[dataset]): string {
  const wanted = new Set(csvColumns(contract).map((column) => column.source));
  const named = new Set<string>();
  return columns
    .map((column, index) => {
      const name = wanted.has(column) && !named.has(column) ? column : `_unused_${index}`;
      named.add(name);
      return `\`${name}\` STRING`;
    })
    .join(', ');
}

/**
 * The stage SQL's typed cells (`:typed_cells`, over `r`, the record `from_csv` parsed with
 * {@link csvSchema}): each contract column as its stage name, trimmed, empty as NULL and typed as
 * the contract says. An optional column the file lacks is a typed NULL.
 */
export function typedCells(dataset: Dataset, columns: readonly string[], contract: JsonSchema = csvContracts[dataset]): SqlCode {
  const present = new Set(columns);
  const code = csvColumns(contract)
    .map((column) => {
      const { sql, typed } = cellType(column.type);
      const cell = present.has(column.source) ? typed(`nullif(trim(BOTH ' \\t' FROM r.${column.source}), '')`) : `CAST(NULL AS ${sql})`;
      return `${cell} AS ${column.name}`;
    })
    .join(',\n    ');
  return { code };
}
