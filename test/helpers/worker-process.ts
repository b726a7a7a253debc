import { spawn, type ChildProcess } from 'node:child_process';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../lib/config';
import { createTemporalClient } from '../../lib/temporal';
import { testWarehouse } from './warehouse';

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

/**
 * What a test that drives workflows through a real worker needs: a Temporal client, a
 * `bin/qpipe worker` process with the test's environment (its log in the temp dir), and the test's
 * own warehouse ({@link testWarehouse}, dropped with its HDFS root by `close`).
 */
export function workerTestBed(env: NodeJS.ProcessEnv, name: string) {
  const config = loadConfig(env);
  const warehouse = testWarehouse(config);
  const logFile = path.join(tmpdir(), `qpipe-it-${name}-${process.pid}.log`);
  let client: Client | undefined;
  let worker: ChildProcess | undefined;
  return {
    config,
    hive: warehouse.hive,
    hdfs: warehouse.hdfs,
    get client(): Client {
      if (!client) throw new Error('workerTestBed: open() first');
      return client;
    },
    async open(): Promise<void> {
      client = await createTemporalClient(config.temporal);
      await warehouse.open();
      worker = startWorkerProcess(env, logFile);
    },
    /** SIGKILLs the worker process, waits for it to exit, and starts a new one. */
    async killWorker(): Promise<void> {
      worker!.kill('SIGKILL');
      await exited(worker!);
      worker = startWorkerProcess(env, logFile);
    },
    async close(): Promise<void> {
      if (worker) {
        worker.kill('SIGTERM');
        await exited(worker);
      }
      await warehouse.close().catch(() => undefined);
      await client?.connection.close();
    },
  };
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
