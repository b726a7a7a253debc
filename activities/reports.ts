import { createHash } from 'node:crypto';
import path from 'node:path';
import { asyncLocalStorage } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from './deps';
import { heartbeat } from './heartbeat';
import { ContractError } from '../lib/errors';
import { writeFileAtomic } from '../lib/local-files';
import { isCalendarDate, type CalendarDate } from '../lib/pure/calendar-date';
import { dailyDumpRelativePath, renderDailyDump, type DailyDumpRow } from '../lib/pure/daily-dump';
import { runNamedQuery } from '../lib/reports';

/** What one B2B dump wrote. */
export interface DailyDumpResult {
  /** The transaction date dumped. */
  readonly date: CalendarDate;
  /** The file, `<QPIPE_REPORTS_DIR>/b2b/daily_sales_<date>.csv`. */
  readonly path: string;
  /** Data rows (the header not counted); 0 for a date without in-store sales. */
  readonly rows: number;
  readonly bytes: number;
  /** Of the file's bytes: a rerun over the same warehouse gives the same. */
  readonly sha256: string;
}

/** How often a running dump heartbeats, also while its query waits its turn on the worker's warehouse session. */
const heartbeatEveryMs = 5_000;

/** The report activities the worker registers: writeDailyDump. */
export function reportActivities({ hive, config, log }: ActivityDeps) {
  return {
    /**
     * The B2B daily dump of transaction date `date`: the daily-sales query's rows (in-store sales per
     * agent and product) as `<reports>/b2b/daily_sales_<date>.csv`, written beside and renamed into
     * place, replacing a previous run's file with the same bytes when the warehouse is unchanged.
     */
    async writeDailyDump(date: CalendarDate): Promise<DailyDumpResult> {
      if (!isCalendarDate(date)) throw ApplicationFailure.nonRetryable(`"${date}" is not a date (YYYY-MM-DD)`, 'INVALID_INPUT');
      const file = path.join(config.dirs.reports, dailyDumpRelativePath(date));
      const started = Date.now();
      const beat = setInterval(() => heartbeat({ date }), heartbeatEveryMs);
      try {
        const { rows } = await runNamedQuery<DailyDumpRow>(hive, config.hive.database, 'daily-sales', { date }, { signal: asyncLocalStorage.getStore()?.cancellationSignal });
        const content = Buffer.from(renderDailyDump(rows), 'utf8');
        await writeFileAtomic(file, content);
        const result: DailyDumpResult = { date, path: file, rows: rows.length, bytes: content.length, sha256: createHash('sha256').update(content).digest('hex') };
        log.info({ ...result, ms: Date.now() - started }, 'wrote the B2B daily dump');
        return result;
      } catch (error) {
        if (error instanceof ContractError) throw ApplicationFailure.create({ message: error.message, type: 'CONTRACT_BROKEN', nonRetryable: true, cause: error });
        throw error;
      } finally {
        clearInterval(beat);
      }
    },
  };
}
