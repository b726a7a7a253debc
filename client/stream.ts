import { HdfsClient } from '../lib/hdfs-client';
import { createKafka } from '../lib/kafka';
import { startStreamWorker } from '../workers/stream-worker';
import type { CommandContext } from './context';

/** `qpipe stream`: the Kafka → HDFS stream worker in the foreground, until SIGINT/SIGTERM (graceful). */
export async function runStream({ config, log }: CommandContext): Promise<void> {
  const streamLog = log.child({ component: 'stream' });
  const worker = await startStreamWorker(config, createKafka(config.kafka, streamLog), new HdfsClient(config.hdfs, streamLog), streamLog);
  const stop = () => void worker.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  streamLog.info({ topic: config.kafka.topic, group: config.stream.groupId, rotateBytes: config.stream.rotateBytes, rotateMs: config.stream.rotateMs }, 'stream worker started');
  await worker.stopped;
}
