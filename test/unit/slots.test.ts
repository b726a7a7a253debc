import { describe, expect, it } from '@jest/globals';
import { addDays, batchHourOf, batchLaneOf, dateIn, datesBetween, dumpDateOf, hoursBetween, slotOfArgs } from '../../lib/pure/slots';

describe('logical slots', () => {
  it('takes the hourly slot from the UTC hour of the action time', () => {
    expect(batchHourOf(Date.parse('2026-11-24T23:05:00Z'))).toBe('2026-11-24T23');
    expect(batchHourOf(Date.parse('2026-11-25T00:00:00Z'))).toBe('2026-11-25T00');
  });

  it("takes the dump's date as the day before the action time's date in the schedule's zone", () => {
    // 01:00 in Berlin on 2026-11-25 is 00:00 UTC: the previous day there is the 24th.
    expect(dumpDateOf(Date.parse('2026-11-25T00:00:00Z'), 'Europe/Berlin')).toBe('2026-11-24');
    // The same instant in New York is still the 24th (19:00): its previous day is the 23rd.
    expect(dumpDateOf(Date.parse('2026-11-25T00:00:00Z'), 'America/New_York')).toBe('2026-11-23');
    expect(dumpDateOf(Date.parse('2026-03-01T01:00:00Z'), 'UTC')).toBe('2026-02-28');
    expect(dateIn(Date.parse('2024-02-29T12:00:00Z'), 'UTC')).toBe('2024-02-29');
  });

  it('lists every hour and every date of a range, both ends included, across days and months', () => {
    expect(hoursBetween('2026-11-24T22', '2026-11-25T01')).toEqual(['2026-11-24T22', '2026-11-24T23', '2026-11-25T00', '2026-11-25T01']);
    expect(hoursBetween('2026-11-24T22', '2026-11-24T22')).toEqual(['2026-11-24T22']);
    expect(datesBetween('2024-02-27', '2024-03-01')).toEqual(['2024-02-27', '2024-02-28', '2024-02-29', '2024-03-01']);
    expect(() => hoursBetween('2026-11-25T01', '2026-11-24T22')).toThrow('--from 2026-11-25T01 is after --to 2026-11-24T22');
    expect(() => datesBetween('2026-01-02', '2026-01-01')).toThrow('--from 2026-01-02 is after --to 2026-01-01');
  });

  it('adds days across years and refuses dates that are not calendar days', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(() => datesBetween('2023-02-29', '2023-03-01')).toThrow('"2023-02-29" is not a real date');
  });

  it('names the batch lane after the task queue', () => {
    expect(batchLaneOf('qpipe')).toBe('qpipe-batch-lane');
  });

  it("names the slot an activity's arguments carry, for its log lines", () => {
    expect(slotOfArgs(['2026-12-05T05'])).toBe('2026-12-05T05');
    expect(slotOfArgs(['2026-12-04'])).toBe('2026-12-04');
    expect(slotOfArgs([{ eventDate: '2026-12-05', eventHour: 7 }])).toBe('2026-12-05T07');
    expect(slotOfArgs([{ batchId: '2026-12-05T05', decision: 'release' }])).toBe('2026-12-05T05');
    expect(slotOfArgs([{ hour: '2026-12-05T06' }])).toBe('2026-12-05T06');
    expect(slotOfArgs([{ date: '2026-12-04', timeZone: 'UTC' }])).toBe('2026-12-04');
    expect(slotOfArgs([])).toBeUndefined();
    expect(slotOfArgs(['not a slot', 42, null, { eventDate: '2026-12-05' }])).toBeUndefined();
  });
});
