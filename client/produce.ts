import { setTimeout as sleep } from 'node:timers/promises';
import { CompressionTypes, Partitioners } from 'kafkajs';
import { generateEvent } from '../lib/generate/events';
import { createKafka, ensureTopics } from '../lib/kafka';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/log';
import type { CommandContext } from './context';

export interface ProduceOptions {
  count: number;
  rate?: number;
  seed: string;
  spreadHours: number;
}

const batchSize = 500;

/**
 * `qpipe produce [--count N] [--rate R] [--seed S] [--spread-hours H]`: sends app-log events of the
 * company producer's exact shape (no key, no id) with kafkajs' idempotent producer; `--rate` caps
 * events per second, `--spread-hours` spreads event times over past hours (late events).
 */
export async function runProduce({ config, log }: CommandContext, options: ProduceOptions): Promise<void> {
  const started = Date.now();
  const sent = await produceEvents(config.kafka, log, options, (done) => process.stderr.write(`produce: ${done}/${options.count} events (${Math.round(done / ((Date.now() - started) / 1_000 || 1))}/s)\n`));
  process.stdout.write(`${sent} events sent to ${config.kafka.topic} in ${((Date.now() - started) / 1_000).toFixed(1)} s (seed ${options.seed})\n`);
}

/**
 * Sends `count` generated events (indexes 0…count-1 of `seed`, times spread over the hours before
 * now) to the app-log topic, `rate` per second at most; reports progress every 2 s and at the end.
 */
export async function produceEvents(kafkaConfig: Config['kafka'], log: Logger, options: ProduceOptions, onProgress: (sent: number) => void): Promise<number> {
  const kafka = createKafka(kafkaConfig, log.child({ component: 'kafka' }));
  await ensureTopics(kafka, kafkaConfig);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const started = Date.now();
  let sent = 0;
  let lastReport = started;
  try {
    while (sent < options.count) {
      const size = Math.min(batchSize, options.count - sent, options.rate ?? batchSize);
      const messages = Array.from({ length: size }, (_, index) => ({ value: JSON.stringify(generateEvent(options.seed, sent + index, { nowMs: started, spreadHours: options.spreadHours })) }));
      await producer.send({ topic: kafkaConfig.topic, acks: -1, compression: CompressionTypes.None, messages });
      sent += size;
      if (options.rate) {
        const due = started + (sent / options.rate) * 1_000;
        if (due > Date.now()) await sleep(due - Date.now());
      }
      if (Date.now() - lastReport >= 2_000 || sent === options.count) {
        lastReport = Date.now();
        onProgress(sent);
      }
    }
  } finally {
    await producer.disconnect();
  }
  return sent;
}
