import { describe, expect, it } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { csvField, neutraliseFormula, renderCsv } from '../../lib/pure/csv';
import { dailyDumpRelativePath, renderDailyDump } from '../../lib/pure/daily-dump';

const header = 'sales_agent_name,product_name,total_sold_units\r\n';

describe('csvField', () => {
  it('leaves a plain cell as it is', () => {
    expect(csvField('Coffee Maker')).toBe('Coffee Maker');
  });

  it('quotes a cell holding a comma, a quote, CR or LF, doubling the quotes inside', () => {
    expect(csvField('Smith, John')).toBe('"Smith, John"');
    expect(csvField('the "Pro" model')).toBe('"the ""Pro"" model"');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rinside')).toBe('"cr\rinside"');
  });

  it('writes NULL as an empty field and numbers as they print', () => {
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(12)).toBe('12');
    expect(csvField(-3)).toBe('-3');
  });

  it.each(['=HYPERLINK("http://x")', '+1', '-2+3', '@SUM(A1)', '\tTAB', '\rCR'])('prefixes a text cell starting a formula with a quote: %j', (cell) => {
    expect(neutraliseFormula(cell)).toBe(`'${cell}`);
  });

  it('neutralises before quoting, so the guard sits inside the quotes', () => {
    expect(csvField('=1+1,2')).toBe(`"'=1+1,2"`);
    expect(csvField('=A1 "x"')).toBe(`"'=A1 ""x"""`);
  });

  it('leaves a formula character that is not the first one alone', () => {
    expect(csvField('Anne-Marie')).toBe('Anne-Marie');
    expect(csvField('a@b.com')).toBe('a@b.com');
    expect(csvField(' =1')).toBe(' =1');
  });
});

describe('renderCsv', () => {
  it('ends every record, the last one too, with CRLF', () => {
    expect(renderCsv(['a', 'b'], [['1', 2], [null, 'x']])).toBe('a,b\r\n1,2\r\n,x\r\n');
  });

  it('reads back through an RFC 4180 parser as the same cells (guards included)', () => {
    const records = [
      ['Smith, John', 'the "Pro"\nmodel', 3],
      ['=cmd|/C calc!A0', '@x', 1],
    ];
    const text = renderCsv(['a', 'b', 'c'], records);
    expect(parse(text, { relax_column_count: false })).toEqual([
      ['a', 'b', 'c'],
      ['Smith, John', 'the "Pro"\nmodel', '3'],
      ["'=cmd|/C calc!A0", "'@x", '1'],
    ]);
  });
});

describe('renderDailyDump', () => {
  it('writes exactly the header when the date had no in-store sales', () => {
    expect(renderDailyDump([])).toBe(header);
  });

  it('writes the rows in the given order under the header, columns in the header order', () => {
    const text = renderDailyDump([
      { total_sold_units: 9, product_name: 'Sandals', sales_agent_name: 'John Doe' },
      { sales_agent_name: 'John Doe', product_name: 'Sandals', total_sold_units: 4 },
      { sales_agent_name: 'john wick', product_name: 'Boots', total_sold_units: 1 },
    ]);
    expect(text).toBe(`${header}John Doe,Sandals,9\r\nJohn Doe,Sandals,4\r\njohn wick,Boots,1\r\n`);
  });

  it('quotes and neutralises agent and product names, and leaves an unknown agent empty', () => {
    const text = renderDailyDump([
      { sales_agent_name: null, product_name: 'Boots', total_sold_units: 2 },
      { sales_agent_name: '=HYPERLINK("http://evil")', product_name: 'Hat, "wool"', total_sold_units: 1 },
      { sales_agent_name: '-Ann', product_name: '+Socks', total_sold_units: 5 },
    ]);
    expect(text).toBe(`${header},Boots,2\r\n"'=HYPERLINK(""http://evil"")","Hat, ""wool""",1\r\n'-Ann,'+Socks,5\r\n`);
  });

  it('gives identical text for identical rows', () => {
    const rows = [{ sales_agent_name: 'Emma Taylor', product_name: 'Sneakers', total_sold_units: 1 }];
    expect(renderDailyDump(rows)).toBe(renderDailyDump(rows.map((row) => ({ ...row }))));
  });
});

describe('dailyDumpRelativePath', () => {
  it('names the file after the transaction date under b2b/', () => {
    expect(dailyDumpRelativePath('2023-05-20')).toBe('b2b/daily_sales_2023-05-20.csv');
  });

  it('refuses anything but a real date, so no input can leave the reports dir', () => {
    expect(() => dailyDumpRelativePath('../../etc/passwd')).toThrow(RangeError);
    expect(() => dailyDumpRelativePath('2023-02-29')).toThrow('"2023-02-29" is not a real date');
  });
});
