/**
 * CSV for files other programs and spreadsheets open (the B2B dump): RFC 4180, with text cells
 * neutralised against spreadsheet formula injection.
 *
 * - Every record, the header and the last one included, ends with CRLF (RFC 4180's line break), so a
 *   header-only file is `header\r\n` and files concatenate cleanly. No byte order mark (UTF-8).
 * - A field is quoted when it holds `,`, `"`, CR or LF; a quote inside is doubled. NULL is an empty field.
 * - A text cell that begins with `=`, `+`, `-`, `@` (or tab or CR, which some spreadsheets skip before
 *   reading a formula: OWASP's "CSV injection" list) gets a leading `'`, so it is shown as text and
 *   never evaluated. Numbers are written as they are (a negative number is data, not a formula).
 */

export type CsvValue = string | number | boolean | null | undefined;

/** The characters that make a spreadsheet read a cell as a formula. */
export const formulaTriggers: readonly string[] = ['=', '+', '-', '@', '\t', '\r'];

/** The prefix that makes a spreadsheet show a cell as text. */
export const formulaGuard = "'";

export const csvLineBreak = '\r\n';

/** A text cell as a spreadsheet will show it, never evaluate it: `=1+1` becomes `'=1+1`. */
export function neutraliseFormula(text: string): string {
  return formulaTriggers.some((trigger) => text.startsWith(trigger)) ? formulaGuard + text : text;
}

/** One field: text neutralised, then quoted when it needs to be; numbers and booleans as they print. */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? neutraliseFormula(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A whole file: the header, then one record per row, each line ending with CRLF. */
export function renderCsv(header: readonly string[], records: readonly (readonly CsvValue[])[]): string {
  return [header, ...records].map((fields) => fields.map(csvField).join(',') + csvLineBreak).join('');
}
