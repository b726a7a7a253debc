import { log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DailyDumpResult } from '../activities/reports';
import type { CalendarDate } from '../lib/pure/calendar-date';
import { dumpDateOf } from '../lib/pure/slots';
import { slotDate } from './scheduled';
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
  const date = slotDate(input.date, input.timeZone ?? 'UTC', dumpDateOf);
  const result = await writeDailyDump(date);
  log.info('daily dump done', { date, path: result.path, rows: result.rows, bytes: result.bytes });
  return result;
}

export const dailyDumpWorkflowId = (date: CalendarDate) => `daily-dump-${date}`;
