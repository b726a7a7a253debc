import type { RetryPolicy } from '@temporalio/workflow';
import { failureTypes } from '../lib/pure/failures';

/**
 * The activities' retry policy of every qpipe workflow: transient faults (a service restarting)
 * are retried with backoff; a broken contract, a bad input, a statement Spark refuses for good or a
 * bad config is not.
 */
export const activityRetry: RetryPolicy = {
  initialInterval: '5 seconds',
  backoffCoefficient: 2,
  maximumInterval: '5 minutes',
  maximumAttempts: 10,
  nonRetryableErrorTypes: ['ConfigError', ...Object.values(failureTypes)],
};
