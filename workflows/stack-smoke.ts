import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { hdfsRoundTrip, warehousePing } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
});

export interface StackSmokeInput {
  /** Names the HDFS file the run writes; the workflow id is `stack-smoke-<token>`. */
  readonly token: string;
}

export interface StackSmokeResult {
  readonly hdfsPath: string;
  readonly hdfsBytes: number;
  /** `SELECT 1 + 1` as the warehouse computed it. */
  readonly two: number;
}

/** Proves the stack end to end through Temporal: an activity writes and reads HDFS, another queries Spark. */
export async function stackSmoke({ token }: StackSmokeInput): Promise<StackSmokeResult> {
  const written = await hdfsRoundTrip(token);
  const two = await warehousePing();
  return { hdfsPath: written.path, hdfsBytes: written.bytes, two };
}
