import { describe, expect, it } from '@jest/globals';
import { formatRows } from '../../client/format';
import type { Column, Row } from '../../lib/hive-client';

const sales: Column[] = [
  { name: 'agent', type: 'STRING' },
  { name: 'amount', type: 'DECIMAL(12,2)' },
  { name: 'units', type: 'BIGINT' },
  { name: 'paid', type: 'BOOLEAN' },
];
const salesRows: Row[] = [
  { agent: 'Ann', amount: '12.50', units: 3, paid: true },
  { agent: 'Bob, Jr.', amount: '-0.05', units: '9007199254740993', paid: null },
];

describe('formatRows as json', () => {
  it('prints a one-row result on one line with a space after each colon', () => {
    expect(formatRows([{ name: 'two', type: 'INT' }], [{ two: 2 }], 'json')).toBe('[{"two": 2}]');
  });

  it('prints decimals and big integers as JSON numbers with their exact digits', () => {
    const text = formatRows(sales, salesRows, 'json');
    expect(text).toBe(
      '[\n' +
        '  {"agent": "Ann", "amount": 12.50, "units": 3, "paid": true},\n' +
        '  {"agent": "Bob, Jr.", "amount": -0.05, "units": 9007199254740993, "paid": null}\n' +
        ']',
    );
    expect((JSON.parse(text) as unknown[]).length).toBe(2);
  });

  it('keeps keys in column order, not in the order of the row object', () => {
    const columns: Column[] = [
      { name: 'b', type: 'STRING' },
      { name: 'a', type: 'STRING' },
    ];
    expect(formatRows(columns, [{ a: 'x', b: 'y' }], 'json')).toBe('[{"b": "y", "a": "x"}]');
  });

  it('prints an empty result as an empty array', () => {
    expect(formatRows(sales, [], 'json')).toBe('[]');
  });

  it('quotes text in a numeric column that is not a JSON number, and NaN', () => {
    const columns: Column[] = [
      { name: 'd', type: 'DECIMAL(4,1)' },
      { name: 'x', type: 'DOUBLE' },
    ];
    expect(formatRows(columns, [{ d: '1.', x: Number.NaN }], 'json')).toBe('[{"d": "1.", "x": "NaN"}]');
  });

  it('escapes quotes and line breaks inside strings', () => {
    expect(formatRows([{ name: 's', type: 'STRING' }], [{ s: 'say "hi"\nbye' }], 'json')).toBe('[{"s": "say \\"hi\\"\\nbye"}]');
  });
});

describe('formatRows as csv', () => {
  it('writes a header and CRLF-separated records, quoting only fields that need it', () => {
    expect(formatRows(sales, salesRows, 'csv')).toBe('agent,amount,units,paid\r\nAnn,12.50,3,true\r\n"Bob, Jr.",-0.05,9007199254740993,');
  });

  it('doubles quotes and keeps line breaks inside quoted fields', () => {
    const columns: Column[] = [
      { name: 'note', type: 'STRING' },
      { name: 'n', type: 'INT' },
    ];
    expect(formatRows(columns, [{ note: 'a "b"\r\nc', n: 1 }], 'csv')).toBe('note,n\r\n"a ""b""\r\nc",1');
  });

  it('writes only the header for an empty result', () => {
    expect(formatRows(sales, [], 'csv')).toBe('agent,amount,units,paid');
  });
});

describe('formatRows as table', () => {
  it('aligns columns under a header and a dashed line, numbers to the right', () => {
    expect(formatRows(sales, salesRows, 'table')).toBe(
      [
        'agent     amount             units  paid',
        '--------  ------  ----------------  ----',
        'Ann        12.50                 3  true',
        'Bob, Jr.   -0.05  9007199254740993  NULL',
      ].join('\n'),
    );
  });

  it('shows line breaks and tabs inside values as escapes so rows stay on one line', () => {
    expect(formatRows([{ name: 's', type: 'STRING' }], [{ s: 'a\nb\tc' }], 'table')).toBe('s\n-------\na\\nb\\tc');
  });

  it('prints only the header and the dashed line for an empty result', () => {
    expect(formatRows([{ name: 'two', type: 'INT' }], [], 'table')).toBe('two\n---');
  });
});
