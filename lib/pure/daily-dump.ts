/**
 * The B2B daily dump (specs/warehouse.md, "The B2B daily dump"): its columns, its file name and its
 * bytes, as pure functions of the date and the daily-sales rows. The activity that queries and
 * writes it is `activities/reports.ts`.
 */
import { parseCalendarDate, type CalendarDate } from './calendar-date';
import { renderCsv, type CsvValue } from './csv';

/** The dump's header, exactly, and the daily-sales query's keys, in order. */
export const dailyDumpColumns = ['sales_agent_name', 'product_name', 'total_sold_units'] as const;

export type DailyDumpRow = Readonly<Record<(typeof dailyDumpColumns)[number], CsvValue>>;

/** `b2b/daily_sales_<date>.csv`, relative to the reports dir (`QPIPE_REPORTS_DIR`). */
export function dailyDumpRelativePath(date: CalendarDate): string {
  return `b2b/daily_sales_${parseCalendarDate(date)}.csv`;
}

/**
 * The file's bytes (as text, UTF-8): the header and one CRLF-terminated record per row, in the
 * rows' order, text neutralised against formula injection (see `csv.ts`). No rows: the header only.
 * The same rows always give the same text, so a rerun writes identical bytes.
 */
export function renderDailyDump(rows: readonly DailyDumpRow[]): string {
  return renderCsv(
    dailyDumpColumns,
    rows.map((row) => dailyDumpColumns.map((column) => row[column])),
  );
}
