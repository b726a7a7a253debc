import { gzipSync } from 'node:zlib';
import { appEventLine, parseEvent, type DeadLetterReason, type EventHour, type ParsedEvent } from '../pure/events';

/** A fetched record, as the Kafka client hands it over. */
export interface BatchRecord {
  readonly offset: string;
  readonly value: Buffer | null;
  readonly key: Buffer | null;
  /** The record's Kafka timestamp (epoch ms as text), which its dead letter keeps in a header. */
  readonly timestamp?: string;
}

/** Where a batch comes from and when it was read (epoch ms: every row's `ingested_at`). */
export interface BatchSource {
  readonly topic: string;
  readonly partition: number;
  readonly readAt: number;
  readonly zoneOffsetMinutes: number;
}

/** One event hour's rows of a batch: their JSON lines as one gzip member. */
export interface ParsedHour {
  readonly hour: EventHour;
  readonly gzip: Uint8Array;
  /** The JSON lines' size before compression, newlines included. */
  readonly bytes: number;
  readonly events: number;
}

export interface ParsedBatch {
  /** In the order the batch first reached each hour. */
  readonly hours: readonly ParsedHour[];
  /** The records refused, by their index in the batch. */
  readonly letters: readonly { readonly index: number; readonly reason: DeadLetterReason; readonly detail: string }[];
  /** The newest event time of the batch's events (epoch ms); undefined when it has none. */
  readonly newestEventMs?: number;
}

/** The live files' gzip level: about 12x smaller at over 300 MB/s (bench/stream.ts prints the bytes written). */
export const gzipLevel = 1;

/** A growing buffer of JSON lines (one event hour's of a batch), written as UTF-8 as they come. */
export class JsonLines {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  used = 0;
  events = 0;

  append(line: string): void {
    // A UTF-16 code unit is at most 3 UTF-8 bytes: with this much room the line is never cut.
    const room = line.length * 3 + 1;
    if (this.buffer.length - this.used < room) {
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.used + room));
      this.buffer.copy(grown, 0, 0, this.used);
      this.buffer = grown;
    }
    this.used += this.buffer.write(line, this.used);
    this.buffer[this.used] = 0x0a;
    this.used += 1;
    this.events += 1;
  }

  content(): Buffer {
    return this.buffer.subarray(0, this.used);
  }
}

/**
 * Validates and flattens every record of a batch (see {@link parseEvent}; a record that throws is
 * an `UNSUPPORTED_VALUE` dead letter), writes each event hour's rows as JSON lines straight into a
 * buffer and gzips it: one call per fetched batch, so the compression runs on large inputs and each
 * hour of the batch becomes one gzip member.
 */
export function parseBatch(records: readonly BatchRecord[], { topic, partition, readAt, zoneOffsetMinutes }: BatchSource): ParsedBatch {
  const byHour = new Map<string, { hour: EventHour; lines: JsonLines }>();
  const letters: { index: number; reason: DeadLetterReason; detail: string }[] = [];
  let lastHour: EventHour | undefined;
  let lastLines: JsonLines | undefined;
  let newestEventMs = -Infinity;
  for (let index = 0; index < records.length; index += 1) {
    const { offset, value } = records[index]!;
    let parsed: ParsedEvent;
    try {
      parsed = parseEvent(value, { topic, partition, offset }, readAt, zoneOffsetMinutes);
    } catch (error) {
      // A record the worker cannot handle (nesting too deep for JSON.stringify) is one dead letter, never a stopped stream.
      parsed = { ok: false, reason: 'UNSUPPORTED_VALUE', detail: `${(error as Error).name}: ${(error as Error).message}` };
    }
    if (!parsed.ok) {
      letters.push({ index, reason: parsed.reason, detail: parsed.detail });
      continue;
    }
    // parseEvent hands out one hour object per hour while the hour stays the same.
    if (parsed.hour !== lastHour || !lastLines) {
      const key = `${parsed.hour.eventDate}/${parsed.hour.eventHour}`;
      let entry = byHour.get(key);
      if (!entry) {
        entry = { hour: parsed.hour, lines: new JsonLines() };
        byHour.set(key, entry);
      }
      lastHour = parsed.hour;
      lastLines = entry.lines;
    }
    lastLines.append(appEventLine(parsed.row));
    if (parsed.epochMs > newestEventMs) newestEventMs = parsed.epochMs;
  }
  const hours = [...byHour.values()].map(({ hour, lines }) => ({ hour, gzip: gzipSync(lines.content(), { level: gzipLevel }), bytes: lines.used, events: lines.events }));
  return { hours, letters, ...(newestEventMs > -Infinity ? { newestEventMs } : {}) };
}
