import type { Column, Row } from '../lib/hive-client';

/** How `qpipe sql` and `qpipe query` print rows. */
export const outputFormats = ['table', 'csv', 'json'] as const;
export type OutputFormat = (typeof outputFormats)[number];

/**
 * Renders a result for stdout, without a trailing line break:
 *
 * - `json`: an array of objects with keys in column order, `[{"two": 2}]`; one object per line when
 *   there are several. Exact numbers that arrive as text (DECIMAL, a BIGINT past 2^53) are written as
 *   JSON numbers with their exact digits (`12.50`), NULL as `null`, NaN and ±Infinity as strings.
 * - `csv`: RFC 4180, a header row, CRLF between records, fields quoted when they hold `,` `"` CR or LF;
 *   NULL is an empty field.
 * - `table`: aligned columns under a header and a dashed line, numbers right-aligned, NULL as `NULL`,
 *   line breaks and tabs inside values shown as `\n`, `\r`, `\t`.
 */
export function formatRows(columns: readonly Column[], rows: readonly Row[], format: OutputFormat): string {
  switch (format) {
    case 'json':
      return formatJson(columns, rows);
    case 'csv':
      return formatCsv(columns, rows);
    case 'table':
      return formatTable(columns, rows);
  }
}

type Value = Row[string] | undefined;

const numericTypes = /^(TINYINT|SMALLINT|INT|BIGINT|FLOAT|DOUBLE|DECIMAL)\b/;
const jsonNumber = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function isNumeric(column: Column): boolean {
  return numericTypes.test(column.type);
}

function formatJson(columns: readonly Column[], rows: readonly Row[]): string {
  const objects = rows.map((row) => `{${columns.map((column) => `${JSON.stringify(column.name)}: ${jsonValue(row[column.name], column)}`).join(', ')}}`);
  return objects.length <= 1 ? `[${objects.join('')}]` : `[\n  ${objects.join(',\n  ')}\n]`;
}

function jsonValue(value: Value, column: Column): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(String(value));
  if (typeof value === 'boolean') return String(value);
  return isNumeric(column) && jsonNumber.test(value) ? value : JSON.stringify(value);
}

function formatCsv(columns: readonly Column[], rows: readonly Row[]): string {
  const records = [columns.map((column) => csvField(column.name)), ...rows.map((row) => columns.map((column) => csvField(row[column.name])))];
  return records.map((fields) => fields.join(',')).join('\r\n');
}

function csvField(value: Value): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function formatTable(columns: readonly Column[], rows: readonly Row[]): string {
  if (columns.length === 0) return '';
  const cells = rows.map((row) => columns.map((column) => tableCell(row[column.name])));
  const widths = columns.map((column, index) => Math.max(column.name.length, ...cells.map((line) => line[index]?.length ?? 0)));
  const render = (line: readonly string[]) =>
    line
      .map((cell, index) => {
        const column = columns[index];
        const width = widths[index] ?? 0;
        return column && isNumeric(column) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const header = render(columns.map((column) => column.name));
  const separator = widths.map((width) => '-'.repeat(width)).join('  ');
  return [header, separator, ...cells.map(render)].join('\n');
}

function tableCell(value: Value): string {
  if (value === null || value === undefined) return 'NULL';
  return String(value).replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
}
