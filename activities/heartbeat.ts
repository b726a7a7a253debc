import { asyncLocalStorage } from '@temporalio/activity';

/** Heartbeats when running inside an activity; a no-op when called directly (tests, benchmarks). */
export function heartbeat(details: unknown): void {
  asyncLocalStorage.getStore()?.heartbeat(details);
}
