import { asyncLocalStorage } from '@temporalio/activity';
import type { StatementOptions } from '../lib/hive-client';

/** Heartbeats when running inside an activity; a no-op when called directly (tests, benchmarks). */
export function heartbeat(details: unknown): void {
  asyncLocalStorage.getStore()?.heartbeat(details);
}

/**
 * Warehouse statement options inside an activity: heartbeat with `details` while a statement runs
 * (long ones outlast the heartbeat timeout) and cancel it with the activity. None outside one.
 */
export function statementOptions(details: unknown): StatementOptions {
  const context = asyncLocalStorage.getStore();
  if (!context) return {};
  return { signal: context.cancellationSignal, onProgress: () => context.heartbeat(details) };
}

/** The details of the last heartbeat of this activity's previous attempt (undefined on a first attempt, or outside an activity). */
export function previousHeartbeat(): unknown {
  return asyncLocalStorage.getStore()?.info.heartbeatDetails;
}
