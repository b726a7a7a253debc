import type { Config } from '../lib/config';
import type { HdfsClient } from '../lib/hdfs-client';
import type { Warehouse } from '../lib/hive-client';
import type { Logger } from '../lib/log';
import type { WorkerMetrics } from '../lib/worker-metrics';

/** The clients the worker builds once and hands to every activity. */
export interface ActivityDeps {
  readonly config: Config;
  readonly hdfs: HdfsClient;
  readonly hive: Warehouse;
  readonly log: Logger;
  /** The worker's metrics (absent where nothing serves them: tests, one-off commands). */
  readonly metrics?: WorkerMetrics;
}
