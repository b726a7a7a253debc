import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Context } from '@temporalio/activity';
import { DefaultLogger, Runtime, Worker, makeTelemetryFilterString, type ActivityInboundCallsInterceptor, type LogLevel as TemporalLogLevel, type WorkerInterceptors } from '@temporalio/worker';
import { createActivities } from '../activities';
import { classifyFailures } from '../activities/failures';
import type { Config, LogLevel } from '../lib/config';
import { HdfsClient } from '../lib/hdfs-client';
import { HdfsLease, type LeaseOptions } from '../lib/lane-lease';
import { ReconnectingHiveClient } from '../lib/hive-client';
import { withLogContext, type Logger } from '../lib/log';
import { batchLaneOf, slotOfArgs } from '../lib/pure/slots';
import { createTemporalClient, createWorkerConnection } from '../lib/temporal';
import { serveMetrics } from '../lib/metrics';
import { batchQueue, pipelineNames, pipelineRuns, slotEpochSeconds } from '../lib/pipeline-state';
import { WorkerMetrics } from '../lib/worker-metrics';

const temporalLevels: Record<string, TemporalLogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR', silent: 'ERROR' };

/**
 * qpipe's Temporal workers with their clients: the main worker (workflows and the other activities) on
 * the task queue, and the batch-lane worker on `<task queue>-batch-lane`, which runs the batch
 * activities one at a time (see `batchLaneOf`). `close()` after they have stopped.
 */
export interface QpipeWorker {
  readonly workers: readonly Worker[];
  /** Runs both until `promise` settles, then stops them; resolves to its result. */
  runUntil<T>(promise: Promise<T>): Promise<T>;
  /** Runs both until shutdown (a signal, or `shutdown()`). */
  run(): Promise<void>;
  shutdown(): void;
  close(): Promise<void>;
}

/**
 * The activities that must never overlap: the batch ones share the landing dir, the raw zone and the
 * staging tables; the stream maintenance ones number and switch an hour's versions; the warehouse
 * ones rewrite (optimize, vacuum), restore (revert) or convert (migrate) the tables the batch writes.
 */
const batchLaneActivities = [
  'ingestLanding',
  'listPendingBatches',
  'processBatch',
  'decideBatch',
  'listStreamHoursToCompact',
  'compactStreamHour',
  'auditStreamHour',
  'repairStreamPartitions',
  'optimizeWarehouse',
  'vacuumWarehouse',
  'revertBatch',
  'migrateWarehouse',
] as const;

/** The lane lease of a deployment (its HDFS root): 30 s without renewal (the activities' heartbeat timeout) frees it; a waiting activity looks every 2 s. */
export const laneLease = (root: string): LeaseOptions => ({ dir: `${root}/_lanes/batch-lane`, ttlMs: 30_000, pollMs: 2_000 });

/**
 * Runs each lane activity holding the lane lease (see lib/lane-lease.ts): an activity that finds
 * it held waits, heartbeating with the holder's activity, so a second worker's batch activity
 * never overlaps this one's.
 */
export function holdingLane(lease: HdfsLease): ActivityInboundCallsInterceptor {
  return {
    async execute(input, next) {
      const context = Context.current();
      const { activityType, workflowExecution } = context.info;
      return lease.hold(`${activityType} of ${workflowExecution?.workflowId ?? '?'}`, () => next(input), (holder) => context.heartbeat({ waitingForLane: holder.what ?? holder.owner }), context.cancellationSignal);
    },
  };
}

/**
 * Runs each activity inside its run's log context: every line it writes (through any qpipe logger)
 * carries the workflow id, run id, activity, attempt and the slot its arguments name.
 */
export const inRunLogContext: ActivityInboundCallsInterceptor = {
  execute(input, next) {
    const { activityType, workflowExecution, attempt } = Context.current().info;
    const slot = slotOfArgs(input.args);
    return withLogContext({ workflowId: workflowExecution?.workflowId, runId: workflowExecution?.runId, activity: activityType, attempt, ...(slot ? { slot } : {}) }, () => next(input));
  },
};

/**
 * The Temporal SDK's logger, writing into ours (its failures under `error`, which lib/log.ts
 * serialises). The SDK's own INFO lines are debug here; our workflows' are info. A line whose
 * fields name a slot (a workflow's `hour`, `batchId` or `date`) carries it as `slot`, as the
 * activities' lines do.
 */
export function sdkLogger(level: LogLevel, log: Logger): DefaultLogger {
  return new DefaultLogger(temporalLevels[level] ?? 'WARN', ({ level: entryLevel, message, meta }) => {
    const method = entryLevel === 'ERROR' ? 'error' : entryLevel === 'WARN' ? 'warn' : entryLevel === 'INFO' && meta?.sdkComponent === 'workflow' ? 'info' : 'debug';
    const slot = meta && meta.slot === undefined ? slotOfArgs([meta]) : undefined;
    log[method]({ component: 'temporal-sdk', ...meta, ...(slot ? { slot } : {}) }, message);
  });
}

/**
 * Routes the Temporal SDK's own logs into ours; `shutdownSignals` make `worker.run()` end gracefully
 * on them. With `sdkMetricsPort`, the SDK serves its Prometheus metrics (`temporal_…`) on that
 * loopback port, which {@link serveWorkerMetrics} merges into the worker's endpoint.
 */
export function installTemporalRuntime(config: Config, log: Logger, shutdownSignals: NodeJS.Signals[], sdkMetricsPort?: number): void {
  Runtime.install({
    logger: sdkLogger(config.log.level, log),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) },
      ...(sdkMetricsPort ? { metrics: { prometheus: { bindAddress: `127.0.0.1:${sdkMetricsPort}`, useSecondsForDurations: true } } } : {}),
    },
    shutdownSignals,
  });
}

/** A free loopback port, picked by the OS. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** How often the pipelines' slots and the batch queue are read (Temporal and HDFS calls), and the deadline of one reading. */
const slowMetricsEveryMs = 30_000;

/**
 * Serves the worker's metrics on 127.0.0.1:`config.worker.metricsPort`/metrics: the SDK's (read
 * from its exporter on `sdkPort`) and qpipe's. Each pipeline's last successful slot (Temporal) and
 * the batch queue (HDFS) are read in the background every 30 s, so a scrape never waits on them; a
 * scrape the SDK's exporter fails still serves qpipe's metrics.
 */
export async function serveWorkerMetrics(config: Config, metrics: WorkerMetrics, sdkPort: number | undefined, hdfs: HdfsClient, log: Logger): Promise<{ close(): Promise<void> }> {
  const client = await createTemporalClient(config.temporal);
  let server: Server;
  try {
    const render = async () => {
      const sdk = sdkPort
        ? await fetch(`http://127.0.0.1:${sdkPort}/metrics`, { signal: AbortSignal.timeout(5_000) })
            .then((response) => response.text())
            .catch((error: unknown) => (log.warn({ err: error }, "metrics: the Temporal SDK's exporter did not answer; serving qpipe's only"), ''))
        : '';
      return `${sdk}${sdk && !sdk.endsWith('\n') ? '\n' : ''}${metrics.registry.render()}`;
    };
    server = await serveMetrics(config.worker.metricsPort, render, log);
  } catch (error) {
    await client.connection.close();
    throw error;
  }
  const readSlow = async () => {
    try {
      await client.connection.withDeadline(Date.now() + slowMetricsEveryMs, async () => {
        for (const name of pipelineNames) {
          const { lastSuccessSlot } = await pipelineRuns(client, config.temporal.taskQueue, name);
          if (lastSuccessSlot) metrics.lastSuccessSlot.set({ pipeline: name }, slotEpochSeconds(lastSuccessSlot));
        }
      });
      const { pending, held } = await batchQueue(hdfs, config.hdfs.root);
      metrics.queue.set({ state: 'pending' }, pending.length);
      metrics.queue.set({ state: 'held' }, held.length);
    } catch (error) {
      log.warn({ err: error }, "metrics: the pipelines' slots or the batch queue could not be read; the last values stay");
    }
  };
  let reading = readSlow();
  const timer = setInterval(() => {
    reading = reading.then(readSlow);
  }, slowMetricsEveryMs);
  return {
    async close() {
      clearInterval(timer);
      await reading;
      await new Promise((resolve) => server.close(resolve));
      await client.connection.close();
    },
  };
}

/** Builds the worker's clients once (HDFS, Hive), the activities over them, and the worker. */
export async function createQpipeWorker(config: Config, log: Logger, metrics?: WorkerMetrics): Promise<QpipeWorker> {
  const hdfs = new HdfsClient(config.hdfs, log.child({ component: 'hdfs' }));
  const hive = new ReconnectingHiveClient(config.hive, log.child({ component: 'hive' }));
  const connection = await createWorkerConnection(config.temporal);
  try {
    const activities = createActivities({ config, hdfs, hive, log, ...(metrics ? { metrics } : {}) });
    // Every activity's failure is classified (a statement Spark refuses for good is not retried).
    const interceptors: WorkerInterceptors = { activity: [() => ({ inbound: inRunLogContext }), () => ({ inbound: classifyFailures })] };
    // The lane's activities also hold the deployment's lane lease: one at a time across every worker.
    const holding = holdingLane(new HdfsLease(hdfs, laneLease(config.hdfs.root), log.child({ component: 'lane' })));
    const laneInterceptors: WorkerInterceptors = { activity: [() => ({ inbound: inRunLogContext }), () => ({ inbound: classifyFailures }), () => ({ inbound: holding })] };
    const common = { connection, namespace: config.temporal.namespace, shutdownGraceTime: '30 seconds' } as const;
    const onLane = (name: string) => (batchLaneActivities as readonly string[]).includes(name);
    const pick = (lane: boolean) => Object.fromEntries(Object.entries(activities).filter(([name]) => onLane(name) === lane));
    const main = await Worker.create({ ...common, interceptors, taskQueue: config.temporal.taskQueue, workflowsPath: require.resolve('../workflows'), activities: pick(false) });
    const lane = await Worker.create({ ...common, interceptors: laneInterceptors, taskQueue: batchLaneOf(config.temporal.taskQueue), activities: pick(true), maxConcurrentActivityTaskExecutions: 1 });
    const workers = [main, lane];
    const shutdown = () => {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    };
    return {
      workers,
      async runUntil(promise) {
        const stopped = await Promise.allSettled(workers.map((worker) => worker.runUntil(promise)));
        const failed = stopped.find((result) => result.status === 'rejected');
        // The promise's own failure wins over a worker's report of it.
        await promise;
        if (failed) throw failed.reason;
        return promise;
      },
      async run() {
        // One worker failing stops the other: the process must not keep half a worker.
        const stopped = await Promise.allSettled(workers.map((worker) => worker.run().catch((error: unknown) => (shutdown(), Promise.reject(error)))));
        const failed = stopped.find((result) => result.status === 'rejected');
        if (failed) throw failed.reason;
      },
      shutdown,
      async close() {
        await connection.close();
        await hive.close();
      },
    };
  } catch (error) {
    await connection.close();
    await hive.close();
    throw error;
  }
}

/**
 * Installs the Temporal runtime and builds the worker, serving its metrics (the SDK's and qpipe's)
 * when `QPIPE_WORKER_METRICS_PORT` is not 0. `close()` after the worker has stopped.
 */
export async function startQpipeWorker(config: Config, log: Logger, shutdownSignals: NodeJS.Signals[]): Promise<{ worker: QpipeWorker; metrics?: WorkerMetrics; close(): Promise<void> }> {
  const serving = config.worker.metricsPort > 0;
  const sdkPort = serving ? await freePort() : undefined;
  installTemporalRuntime(config, log, shutdownSignals, sdkPort);
  let metrics = serving ? new WorkerMetrics() : undefined;
  const worker = await createQpipeWorker(config, log, metrics);
  let endpoint: { close(): Promise<void> } | undefined;
  if (metrics) {
    try {
      endpoint = await serveWorkerMetrics(config, metrics, sdkPort, new HdfsClient(config.hdfs, log.child({ component: 'hdfs' })), log);
    } catch (error) {
      // A second worker on this host (a rolling restart, the demo beside a worker) works without its own endpoint.
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
        await worker.close();
        throw error;
      }
      log.warn({ port: config.worker.metricsPort }, 'the worker metrics port is taken (another worker on this host?): this worker serves no metrics; set QPIPE_WORKER_METRICS_PORT to serve them elsewhere');
      metrics = undefined;
    }
  }
  return {
    worker,
    ...(metrics ? { metrics } : {}),
    async close() {
      await endpoint?.close();
      await worker.close();
    },
  };
}

/**
 * Runs the worker until SIGINT/SIGTERM: it stops polling, lets running activities finish (up to
 * the 30 s grace time), then closes its clients.
 */
export async function runTemporalWorker(config: Config, log: Logger): Promise<void> {
  const { worker, close } = await startQpipeWorker(config, log, ['SIGINT', 'SIGTERM']);
  log.info({ taskQueue: config.temporal.taskQueue, batchLane: batchLaneOf(config.temporal.taskQueue), namespace: config.temporal.namespace, address: config.temporal.address }, 'worker started');
  try {
    await worker.run();
    log.info('worker stopped');
  } finally {
    await close();
  }
}
