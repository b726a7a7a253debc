import { describe, expect, it } from '@jest/globals';
import { headerColumns, reasonFileName } from '../../lib/landing';

describe('landing files', () => {
  it('reads a header as RFC 4180: a quoted name may hold a comma or a quote; a malformed line is one name', () => {
    expect(headerColumns('branch_id, location ,"establish_date",class')).toEqual(['branch_id', 'location', 'establish_date', 'class']);
    expect(headerColumns('branch_id,"note, free",class')).toEqual(['branch_id', 'note, free', 'class']);
    expect(headerColumns('a,"say ""hi""",b')).toEqual(['a', 'say "hi"', 'b']);
    expect(headerColumns('   ')).toEqual([]);
    expect(headerColumns('a,"unclosed')).toEqual(['a,"unclosed']);
  });

  it('names a reason file after its file, or after the name\'s hash when that would pass 255 bytes', () => {
    expect(reasonFileName('notes.txt')).toBe('notes.txt.reason.json');
    expect(reasonFileName('x'.repeat(243))).toBe(`${'x'.repeat(243)}.reason.json`);
    expect(reasonFileName('x'.repeat(244))).toMatch(/^[0-9a-f]{64}\.reason\.json$/);
    expect(reasonFileName('é'.repeat(122))).toMatch(/^[0-9a-f]{64}\.reason\.json$/);
  });
});
