import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { workflowInfo } from '@temporalio/workflow';

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
