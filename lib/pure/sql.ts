/**
 * SQL templates with validated parameters. HiveServer2 (Spark Thrift) has no bind variables, so a
 * `:name` placeholder is replaced by a literal rendered here from a checked value; raw input is
 * never pasted into SQL. Placeholders inside quotes, backticks and comments are left alone.
 */

/** An identifier parameter (database, table): rendered bare after a strict check. */
export interface SqlIdentifier {
  readonly identifier: string;
}

/** A list of identifiers (columns): rendered bare, comma-separated, each after the same check. */
export interface SqlIdentifierList {
  readonly identifiers: readonly string[];
}

export type SqlValue = string | number | boolean | null | SqlIdentifier | SqlIdentifierList;
export type SqlParams = Readonly<Record<string, SqlValue>>;

export const sqlIdentifier = (identifier: string): SqlIdentifier => ({ identifier });
export const sqlIdentifiers = (identifiers: readonly string[]): SqlIdentifierList => ({ identifiers });

/** A Spark SQL string literal: single-quoted, with backslashes and quotes escaped. */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function literal(name: string, value: SqlValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return sqlString(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`SQL parameter :${name} is not a finite number`);
    return String(value);
  }
  const identifiers = 'identifiers' in value ? value.identifiers : [value.identifier];
  if (identifiers.length === 0) throw new RangeError(`SQL parameter :${name} is an empty list of identifiers`);
  for (const identifier of identifiers) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(identifier)) throw new RangeError(`SQL parameter :${name} is not a plain identifier: "${identifier}"`);
  }
  return identifiers.join(', ');
}

/**
 * Walks SQL text, calling `onCode` for each run outside strings, quoted identifiers and comments,
 * and `onOther` for the rest (verbatim).
 */
function scan(sql: string, onCode: (text: string) => void, onOther: (text: string) => void): void {
  let index = 0;
  let code = '';
  const flush = () => {
    if (code) onCode(code);
    code = '';
  };
  while (index < sql.length) {
    const char = sql[index]!;
    const next = sql[index + 1];
    let end = -1;
    if (char === "'" || char === '"' || char === '`') {
      end = index + 1;
      while (end < sql.length && sql[end] !== char) end += sql[end] === '\\' && char !== '`' ? 2 : 1;
      end += 1;
    } else if (char === '-' && next === '-') {
      end = sql.indexOf('\n', index);
      if (end < 0) end = sql.length;
    } else if (char === '/' && next === '*') {
      end = sql.indexOf('*/', index + 2);
      end = end < 0 ? sql.length : end + 2;
    }
    if (end < 0) {
      code += char;
      index += 1;
    } else {
      flush();
      onOther(sql.slice(index, end));
      index = end;
    }
  }
  flush();
}

/** Replaces every `:name` placeholder; a placeholder without a value, or a value without a placeholder, is an error. */
export function renderSql(template: string, params: SqlParams): string {
  const used = new Set<string>();
  let out = '';
  scan(
    template,
    (code) => {
      out += code.replace(/(^|[^:\w]):([A-Za-z_][A-Za-z0-9_]*)/g, (_match, before: string, name: string) => {
        if (!(name in params)) throw new RangeError(`SQL parameter :${name} has no value`);
        used.add(name);
        return before + literal(name, params[name]!);
      });
    },
    (other) => {
      out += other;
    },
  );
  const unused = Object.keys(params).filter((name) => !used.has(name));
  if (unused.length > 0) throw new RangeError(`SQL parameters not in the template: ${unused.join(', ')}`);
  return out;
}

/** Splits a script into statements on `;` outside strings and comments; comment-only pieces are dropped. */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let hasCode = false;
  scan(
    sql,
    (code) => {
      const parts = code.split(';');
      parts.forEach((part, index) => {
        current += part;
        if (part.trim() !== '') hasCode = true;
        if (index < parts.length - 1) {
          if (hasCode) statements.push(current.trim());
          current = '';
          hasCode = false;
        }
      });
    },
    (other) => {
      current += other;
      if (!other.startsWith('--') && !other.startsWith('/*')) hasCode = true;
    },
  );
  if (hasCode) statements.push(current.trim());
  return statements;
}
