import { describe, expect, it } from '@jest/globals';
import { renderSql, splitStatements, sqlIdentifier, sqlIdentifiers, sqlString } from '../../lib/pure/sql';
import { csvSchema } from '../../lib/pure/csv-schema';

describe('renderSql', () => {
  it('renders strings, numbers, booleans, NULL and identifiers as literals', () => {
    expect(renderSql('SELECT :s, :n, :b, :z FROM :db.t WHERE x = :s', { s: "it's \\ ok", n: 42.5, b: true, z: null, db: sqlIdentifier('q_dwh') })).toBe(
      "SELECT 'it\\'s \\\\ ok', 42.5, TRUE, NULL FROM q_dwh.t WHERE x = 'it\\'s \\\\ ok'",
    );
  });

  it('leaves placeholders inside strings, quoted identifiers, comments and :: casts alone', () => {
    const template = "SELECT ':x', `:x`, x::int -- :x\n/* :x */ FROM t WHERE y = :x";
    expect(renderSql(template, { x: 'v' })).toBe("SELECT ':x', `:x`, x::int -- :x\n/* :x */ FROM t WHERE y = 'v'");
  });

  it('refuses a missing value, an unused value, an identifier that is not plain and a non-finite number', () => {
    expect(() => renderSql('SELECT :a', {})).toThrow('SQL parameter :a has no value');
    expect(() => renderSql('SELECT 1', { a: 1 })).toThrow('SQL parameters not in the template: a');
    expect(() => renderSql('SELECT * FROM :db.t', { db: sqlIdentifier('q; DROP TABLE x') })).toThrow('SQL parameter :db is not a plain identifier: "q; DROP TABLE x"');
    expect(() => renderSql('SELECT :n', { n: Number.NaN })).toThrow('SQL parameter :n is not a finite number');
  });

  it('renders a list of identifiers comma-separated, checking each, and refuses an empty list', () => {
    expect(renderSql('SELECT :columns FROM t', { columns: sqlIdentifiers(['a', 'b_2']) })).toBe('SELECT a, b_2 FROM t');
    expect(() => renderSql('SELECT :columns FROM t', { columns: sqlIdentifiers(['a', 'b) FROM x --']) })).toThrow('SQL parameter :columns is not a plain identifier: "b) FROM x --"');
    expect(() => renderSql('SELECT :columns FROM t', { columns: sqlIdentifiers([]) })).toThrow('SQL parameter :columns is an empty list of identifiers');
  });

  it('quotes a value that tries to close its string', () => {
    expect(sqlString("x'; DROP TABLE t; --")).toBe("'x\\'; DROP TABLE t; --'");
  });
});

describe('splitStatements', () => {
  it('splits on semicolons outside strings and comments and drops comment-only pieces', () => {
    const script = "-- header; comment\nCREATE TABLE a (x STRING);\nINSERT INTO a VALUES ('a;b'); /* c; d */\n-- trailing;\n";
    expect(splitStatements(script)).toEqual(['-- header; comment\nCREATE TABLE a (x STRING)', "INSERT INTO a VALUES ('a;b')"]);
  });
});

describe('renderSql with the process jobs', () => {
  it('renders a placeholder before a dot, a parenthesis or a comma, and leaves optimizer hints as they are', () => {
    expect(renderSql('SELECT /*+ REPARTITION(8, d) */ f(:a, :b) FROM :db.t', { a: 1, b: 'x', db: sqlIdentifier('q') })).toBe("SELECT /*+ REPARTITION(8, d) */ f(1, 'x') FROM q.t");
  });

  it('keeps a value with a semicolon, a quote, a backslash and a newline inside its one literal, so the script still splits right', () => {
    const script = renderSql('INSERT INTO t VALUES (:v);\nSELECT :w', { v: "a;b'c\\d\ne", w: 2 });
    expect(splitStatements(script)).toEqual(["INSERT INTO t VALUES ('a;b\\'c\\\\d\ne')", 'SELECT 2']);
  });

  it('renders negative and decimal numbers and refuses identifiers with a dot or a backtick', () => {
    expect(renderSql('SELECT :a, :b', { a: -3, b: 0.25 })).toBe('SELECT -3, 0.25');
    expect(() => renderSql('SELECT * FROM :db.t', { db: sqlIdentifier('a.b') })).toThrow('not a plain identifier');
    expect(() => renderSql('SELECT * FROM :db.t', { db: sqlIdentifier('a`b') })).toThrow('not a plain identifier');
  });

  it('splits a script with a backslash-escaped quote and a comment holding a semicolon', () => {
    expect(splitStatements("SELECT 'it\\'s; fine' AS a; -- one; two\nSELECT 2")).toEqual(["SELECT 'it\\'s; fine' AS a", '-- one; two\nSELECT 2']);
  });
});

describe('csvSchema', () => {
  it('names the required columns in the file order and every other or repeated column by its position', () => {
    expect(csvSchema('branches', ['class', 'branch_id', 'region', 'location', 'establish_date', 'class'])).toBe(
      '`class` STRING, `branch_id` STRING, `_unused_2` STRING, `location` STRING, `establish_date` STRING, `_unused_5` STRING',
    );
  });

  it('never lets header text into the schema: an odd header name becomes a positional name', () => {
    expect(csvSchema('sales_agents', ['sales_person_id', 'name', 'hire_date', 'x` STRING, `y'])).toBe(
      '`sales_person_id` STRING, `name` STRING, `hire_date` STRING, `_unused_3` STRING',
    );
  });
});
