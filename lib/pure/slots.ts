import { addHours, logicalHourOf, parseLogicalHour, type LogicalHour } from './batch';
import { parseCalendarDate, type CalendarDate } from './calendar-date';

// Logical slots of the scheduled pipelines: the hour of the hourly batch (UTC), the date of the
// daily dump. Pure: workflows use these to turn a schedule's action time into their slot.

/** `date` plus `days` (negative: earlier). */
export function addDays(date: CalendarDate, days: number): CalendarDate {
  const [year, month, day] = parseCalendarDate(date).split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/** The calendar date of an instant in an IANA time zone (`UTC`, `Europe/Berlin`, …). */
export function dateIn(epochMs: number, timeZone: string): CalendarDate {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(epochMs);
  const part = (type: string) => parts.find((p) => p.type === type)?.value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The daily dump's slot for a schedule action at `epochMs`: the previous day in the schedule's zone. */
export function dumpDateOf(epochMs: number, timeZone: string): CalendarDate {
  return addDays(dateIn(epochMs, timeZone), -1);
}

/** The hourly batch's slot for a schedule action at `epochMs`: the UTC hour it falls in. */
export const batchHourOf = (epochMs: number): LogicalHour => logicalHourOf(epochMs);

/** Every hour from `from` to `to`, both included, in order. */
export function hoursBetween(from: LogicalHour, to: LogicalHour): LogicalHour[] {
  const [start, end] = [parseLogicalHour(from).epochMs, parseLogicalHour(to).epochMs];
  if (end < start) throw new Error(`--from ${from} is after --to ${to}`);
  return Array.from({ length: (end - start) / 3_600_000 + 1 }, (_, index) => addHours(from, index));
}

/** Every date from `from` to `to`, both included, in order. */
export function datesBetween(from: CalendarDate, to: CalendarDate): CalendarDate[] {
  if (parseCalendarDate(to) < parseCalendarDate(from)) throw new Error(`--from ${from} is after --to ${to}`);
  const dates: string[] = [];
  for (let date = from; date <= to; date = addDays(date, 1)) dates.push(date);
  return dates;
}

/**
 * The task queue of the batch lane: the activities that touch the landing dir, the raw zone and
 * the warehouse's batch tables (ingest, list, process) run there, one at a time per worker.
 */
export const batchLaneOf = (taskQueue: string) => `${taskQueue}-batch-lane`;

/**
 * The slot an activity's arguments name, for its log lines: a batch id or hour (`YYYY-MM-DDTHH`), a
 * date (`YYYY-MM-DD`), or an object with `batchId`, `hour`, `date`, or `eventDate` and `eventHour`.
 */
export function slotOfArgs(args: readonly unknown[]): string | undefined {
  const slotText = (value: unknown) => (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}(T\d{2})?$/.test(value) ? value : undefined);
  for (const arg of args) {
    const direct = slotText(arg);
    if (direct) return direct;
    if (typeof arg !== 'object' || arg === null) continue;
    const fields = arg as Record<string, unknown>;
    const named = slotText(fields.batchId) ?? slotText(fields.hour) ?? slotText(fields.date);
    if (named) return named;
    if (slotText(fields.eventDate) && Number.isInteger(fields.eventHour)) return `${String(fields.eventDate)}T${String(fields.eventHour).padStart(2, '0')}`;
  }
  return undefined;
}
