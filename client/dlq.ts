import { randomUUID } from 'node:crypto';
import { createKafka, topicOffsetRanges } from '../lib/kafka';
import type { CommandContext } from './context';

export interface DlqOptions {
  limit?: number;
  reason?: string;
}

/** How much of a letter's value a line shows. */
const previewChars = 120;

/**
 * `qpipe dlq [--reason R] [--limit N]`: prints the dead-letter topic's letters (each of its
 * partitions in order) as they are at the start (the topic read from its beginning to its end offsets): one tab-separated
 * line each, the source partition and offset, the reason, the detail and the start of the value
 * (both JSON-escaped). It reads with a throwaway consumer group, deleted after, and commits nothing.
 */
export async function runDlq({ config, log }: CommandContext, options: DlqOptions): Promise<void> {
  const kafka = createKafka(config.kafka, log.child({ component: 'kafka' }));
  const topic = config.kafka.dlqTopic;
  // Partitions holding letters now: their end offsets (one whose letters retention deleted holds none).
  const ends = new Map([...(await topicOffsetRanges(kafka, topic))].filter(([, { low, high }]) => high > low).map(([partition, { high }]) => [partition, high]));
  const groupId = `qpipe-dlq-reader-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId });
  let printed = 0;
  let matched = 0;
  const behind = new Set(ends.keys());
  try {
    if (behind.size > 0) {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      let done: () => void = () => undefined;
      let crashed: (error: Error) => void = () => undefined;
      const finished = new Promise<void>((resolve, reject) => ((done = resolve), (crashed = reject)));
      consumer.on(consumer.events.CRASH, ({ payload }) => crashed(payload.error));
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const end = ends.get(batch.partition) ?? 0n;
          for (const message of batch.messages) {
            if (BigInt(message.offset) >= end) break;
            const header = (name: string) => message.headers?.[name]?.toString() ?? '';
            if (options.reason && header('qpipe.reason') !== options.reason) continue;
            matched += 1;
            if (options.limit !== undefined && printed >= options.limit) continue;
            const value = message.value === null ? 'null' : JSON.stringify(message.value.toString('utf8').slice(0, previewChars));
            process.stdout.write(`${header('qpipe.source.partition')}\t${header('qpipe.source.offset')}\t${header('qpipe.reason')}\t${JSON.stringify(header('qpipe.detail'))}\t${value}\n`);
            printed += 1;
          }
          if (BigInt(batch.lastOffset()) >= end - 1n) behind.delete(batch.partition);
          if (behind.size === 0) done();
        },
      });
      await finished;
    }
  } finally {
    await consumer.disconnect();
    if (ends.size > 0) {
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.disconnect();
    }
  }
  process.stderr.write(`${matched} letters${options.reason ? ` of reason ${options.reason}` : ''} in ${topic}${printed < matched ? `, ${printed} shown` : ''}\n`);
}
