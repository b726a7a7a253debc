import { describe, expect, it } from '@jest/globals';
import { renderSql, splitStatements, sqlIdentifier, sqlString } from '../../lib/pure/sql';

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
