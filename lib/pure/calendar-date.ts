/**
 * Calendar dates, `YYYY-MM-DD`: a sale's transaction date, the input of a daily run (the B2B dump)
 * and the bounds of a named query. Pure, so the daily workflow can validate its input.
 */

/** A calendar date, `YYYY-MM-DD` (no time, no zone). */
export type CalendarDate = string;

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Validates a calendar date (the pattern and a real day: no 2023-02-29); returns it, or throws a RangeError naming the input. */
export function parseCalendarDate(text: string): CalendarDate {
  const match = datePattern.exec(text);
  if (!match) throw new RangeError(`"${text}" is not a date (YYYY-MM-DD)`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) throw new RangeError(`"${text}" is not a real date`);
  return text;
}

/** True for a valid `YYYY-MM-DD` date. */
export function isCalendarDate(text: string): boolean {
  try {
    parseCalendarDate(text);
    return true;
  } catch {
    return false;
  }
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
