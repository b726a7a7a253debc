import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import { batchIdOf, type LogicalHour } from '../lib/pure/batch';
import { parseCalendarDate, type CalendarDate } from '../lib/pure/calendar-date';
import { failureTypes } from '../lib/pure/failures';
import { batchHourOf, isTimeZone } from '../lib/pure/slots';

const scheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/**
 * The action time of the schedule (or schedule backfill) that started this run, from the
 * `TemporalScheduledStartTime` search attribute the server sets; undefined for a run started
 * directly. A scheduled run takes its logical slot from this time, never from a clock.
 */
export function scheduledActionTime(): number | undefined {
  const info = workflowInfo();
  const typed = info.typedSearchAttributes.get(scheduledStartTime);
  if (typed) return typed.getTime();
  // Older servers send the attribute without its type metadata: the untyped view still has it.
  const untyped = info.searchAttributes?.TemporalScheduledStartTime?.[0];
  if (untyped instanceof Date) return untyped.getTime();
  if (typeof untyped === 'string') return Date.parse(untyped);
  return undefined;
}

/**
 * The logical hour of an hourly run: the one given (a backfill's, an operator's), checked, or for a
 * scheduled run the UTC hour its action time falls in. A bad or missing hour is INVALID_INPUT.
 */
export function slotHour(hour: LogicalHour | undefined): LogicalHour {
  const actionTime = hour === undefined ? scheduledActionTime() : undefined;
  if (hour === undefined && actionTime === undefined) {
    throw ApplicationFailure.nonRetryable('no hour given and not started by a schedule', failureTypes.invalidInput);
  }
  try {
    return batchIdOf(hour ?? batchHourOf(actionTime!));
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message, failureTypes.invalidInput);
  }
}

/**
 * The logical date of a daily run: the one given, checked, or for a scheduled run the date
 * `dateOfAction` derives from its action time in `timeZone` (the previous day for the dump). A bad
 * or missing date, or an unknown zone, is INVALID_INPUT.
 */
export function slotDate(date: CalendarDate | undefined, timeZone: string, dateOfAction: (epochMs: number, timeZone: string) => CalendarDate): CalendarDate {
  const actionTime = date === undefined ? scheduledActionTime() : undefined;
  if (date === undefined && actionTime === undefined) throw ApplicationFailure.nonRetryable('no date given and not started by a schedule', failureTypes.invalidInput);
  if (!isTimeZone(timeZone)) throw ApplicationFailure.nonRetryable(`"${timeZone}" is not an IANA time zone`, failureTypes.invalidInput);
  try {
    return parseCalendarDate(date ?? dateOfAction(actionTime!, timeZone));
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message, failureTypes.invalidInput);
  }
}
