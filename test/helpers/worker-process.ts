import { spawn, type ChildProcess } from 'node:child_process';
import type { WorkflowHandle } from '@temporalio/client';
import { openSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** `bin/qpipe worker` as a separate process with the given environment, its output in `logFile`. */
export function startWorkerProcess(env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
  const log = openSync(logFile, 'a');
  return spawn(path.join(root, 'bin', 'qpipe'), ['worker'], { env, stdio: ['ignore', log, log], detached: false });
}

/** Resolves when the process has exited (after a kill, say). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED (the proto package is not a direct dependency). */
const PENDING_ACTIVITY_STATE_STARTED = 2;

/**
 * Resolves once the server shows an activity of type `activityType` started on a worker, with at
 * least `scheduled` of that type scheduled so far in the run. A kill after this lands inside that
 * activity, however fast the run is; a wait on a clock may land after the run has ended.
 */
export async function activityRunning(handle: WorkflowHandle, activityType: string, scheduled = 1, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { raw, status } = await handle.describe();
    if (status.name !== 'RUNNING') throw new Error(`${handle.workflowId} ended (${status.name}) before ${activityType} #${scheduled} was seen running`);
    const running = (raw.pendingActivities ?? []).some((activity) => activity.activityType?.name === activityType && Number(activity.state) === PENDING_ACTIVITY_STATE_STARTED);
    const count = running ? (await handle.fetchHistory()).events!.filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === activityType).length : 0;
    if (running && count >= scheduled) return;
    if (Date.now() > deadline) throw new Error(`${activityType} #${scheduled} was not seen running within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Whether an activity of the run was retried: what a worker killed inside it leaves in the history. */
export async function retriedActivities(handle: WorkflowHandle): Promise<string[]> {
  const events = (await handle.fetchHistory()).events!;
  const types = new Map(events.filter((event) => event.activityTaskScheduledEventAttributes).map((event) => [String(event.eventId), event.activityTaskScheduledEventAttributes!.activityType!.name!]));
  return events
    .filter((event) => (event.activityTaskStartedEventAttributes?.attempt ?? 1) > 1)
    .map((event) => types.get(String(event.activityTaskStartedEventAttributes!.scheduledEventId))!);
}
