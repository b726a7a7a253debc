import { DefaultLogger, Runtime, Worker, makeTelemetryFilterString, type LogLevel as TemporalLogLevel } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { Config } from '../lib/config';
import { HdfsClient } from '../lib/hdfs-client';
import { ReconnectingHiveClient } from '../lib/hive-client';
import type { Logger } from '../lib/log';
import { createWorkerConnection } from '../lib/temporal';

const temporalLevels: Record<string, TemporalLogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR', silent: 'ERROR' };

/** A Temporal worker with its clients; `close()` after the worker has stopped. */
export interface QpipeWorker {
  readonly worker: Worker;
  close(): Promise<void>;
}

/** Routes the Temporal SDK's own logs into ours; `shutdownSignals` make `worker.run()` end gracefully on them. */
export function installTemporalRuntime(config: Config, log: Logger, shutdownSignals: NodeJS.Signals[]): void {
  const level = temporalLevels[config.log.level] ?? 'WARN';
  Runtime.install({
    logger: new DefaultLogger(level, ({ level: entryLevel, message, meta }) => {
      const method = entryLevel === 'ERROR' ? 'error' : entryLevel === 'WARN' ? 'warn' : 'debug';
      log[method]({ component: 'temporal-sdk', ...meta }, message);
    }),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } },
    shutdownSignals,
  });
}

/** Builds the worker's clients once (HDFS, Hive), the activities over them, and the worker. */
export async function createQpipeWorker(config: Config, log: Logger): Promise<QpipeWorker> {
  const hdfs = new HdfsClient(config.hdfs, log.child({ component: 'hdfs' }));
  const hive = new ReconnectingHiveClient(config.hive, log.child({ component: 'hive' }));
  const connection = await createWorkerConnection(config.temporal);
  try {
    const worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      workflowsPath: require.resolve('../workflows'),
      activities: createActivities({ config, hdfs, hive, log }),
      shutdownGraceTime: '30 seconds',
    });
    return {
      worker,
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
 * Runs the worker until SIGINT/SIGTERM: it stops polling, lets running activities finish (up to
 * the 30 s grace time), then closes its clients.
 */
export async function runTemporalWorker(config: Config, log: Logger): Promise<void> {
  installTemporalRuntime(config, log, ['SIGINT', 'SIGTERM']);
  const { worker, close } = await createQpipeWorker(config, log);
  log.info({ taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace, address: config.temporal.address }, 'worker started');
  try {
    await worker.run();
    log.info('worker stopped');
  } finally {
    await close();
  }
}
