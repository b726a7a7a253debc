import { ApplicationFailure, log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DailyDumpResult } from '../activities/reports';
import { parseCalendarDate, type CalendarDate } from '../lib/pure/calendar-date';
import { dumpDateOf, isTimeZone } from '../lib/pure/slots';
import { scheduledActionTime } from './scheduled';
import { activityRetry } from './retry';

// The query itself takes seconds, but on the worker's one warehouse session it may wait behind
// the hourly batch's statements (up to processBatch's 2 hours); it heartbeats while it waits.
const { writeDailyDump } = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  retry: activityRetry,
});

export interface DailyDumpInput {
  /**
   * The transaction date, `YYYY-MM-DD`: the operator's or the backfill's choice. A run started by
   * the daily schedule has none: its date is the day before the action time's date in `timeZone`.
   */
  readonly date?: CalendarDate;
  /** The schedule's IANA time zone (the daily schedule passes `QPIPE_SCHEDULE_TIMEZONE`); default UTC. */
  readonly timeZone?: string;
}

/**
 * The B2B daily dump: the in-store sales of one transaction date, per agent and product, as
 * `<reports>/b2b/daily_sales_<date>.csv` (one activity, idempotent). Workflow id `daily-dump-<date>`.
 */
export async function dailyDump(input: DailyDumpInput): Promise<DailyDumpResult> {
  const date = dumpDate(input);
  const result = await writeDailyDump(date);
  log.info('daily dump done', { date, path: result.path, rows: result.rows, bytes: result.bytes });
  return result;
}

function dumpDate({ date, timeZone = 'UTC' }: DailyDumpInput): CalendarDate {
  const actionTime = date === undefined ? scheduledActionTime() : undefined;
  if (date === undefined && actionTime === undefined) throw ApplicationFailure.nonRetryable('no date given and not started by a schedule', 'INVALID_INPUT');
  if (!isTimeZone(timeZone)) throw ApplicationFailure.nonRetryable(`"${timeZone}" is not an IANA time zone`, 'INVALID_INPUT');
  try {
    return parseCalendarDate(date ?? dumpDateOf(actionTime!, timeZone));
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message, 'INVALID_INPUT');
  }
}

export const dailyDumpWorkflowId = (date: CalendarDate) => `daily-dump-${date}`;
