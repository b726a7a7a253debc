import { posix } from 'node:path';
import { isTemporaryOf, type HdfsClient } from '../hdfs-client';
import type { Logger } from '../log';
import type { DeadLetterReason, EventHour } from '../pure/events';
import { FencedError, PartitionEpoch } from './epoch';
import { parseBatch, type BatchRecord, type ParsedBatch } from './parse-batch';
import { hourPartitionDir, streamCommitPath, streamFileName } from '../pure/stream';

/**
 * The exactly-once writer of one Kafka topic partition into the streaming zone.
 *
 * It buffers the partition's records in memory, split by event hour, and on rotation (size or age)
 * flushes them as one file per hour, named after the flush's offset range. HDFS holds the truth of
 * what is durable: the partition's commit file (`_commits/<topic>+<partition>.json`) says the next
 * offset to read. A flush goes:
 *
 * 1. commit file ← `{ nextOffset: n, pending: { files } }` (atomic replace): the flush's intent;
 * 2. each hour's file (gzip JSON lines), written beside and renamed into place (never a partial
 *    file under its name);
 * 3. dead letters produced to the DLQ topic (acknowledged);
 * 4. commit file ← `{ nextOffset: last + 1 }` (atomic replace): the flush is durable;
 * 5. then the caller commits the offset to Kafka (lag metrics; HDFS stays the truth).
 *
 * A crash before 4 leaves the old `nextOffset` and the list of files the flush may have written;
 * recovery deletes those and reads again from `nextOffset`: no event is lost or written twice.
 * Recovery first claims a new epoch of the partition, which fences every earlier owner: each write
 * and delete goes through the owner's epoch workspace (lib/stream/epoch.ts), so a zombie writer
 * (an owner that lost the partition and does not know yet) can change nothing once recovered past. No
 * file ever keeps a temporary name in the table's directories (hidden names, removed on recovery),
 * and the commit file is replaced whole, so there is no write-ahead log to find corrupt.
 */

export interface DeadLetter {
  readonly reason: DeadLetterReason;
  readonly detail: string;
  readonly offset: string;
  readonly value: Buffer | null;
  readonly key: Buffer | null;
  /** The source record's Kafka timestamp: the letter carries it in a header. */
  readonly timestamp?: string;
}

/** Sends the flush's dead letters (to the DLQ topic) and resolves once the broker acknowledged them. */
export type DeadLetterSink = (topic: string, partition: number, letters: readonly DeadLetter[]) => Promise<void>;

export interface PartitionWriterOptions {
  readonly root: string;
  readonly topic: string;
  readonly partition: number;
  /** Flush when the buffered JSON lines reach this many bytes. */
  readonly rotateBytes: number;
  /** Flush when the oldest buffered record is this old (a quiet topic still flushes). */
  readonly rotateMs: number;
  /** Offset of the source zone for event timestamps without one (minutes east of UTC). */
  readonly zoneOffsetMinutes: number;
}

/**
 * One event hour's rows: gzip members of JSON lines, one per parsed batch (see parse-batch.ts). The
 * file is their concatenation, a valid gzip stream that Hadoop's codec and zlib read whole.
 */
class HourBuffer {
  private readonly members: Buffer[] = [];
  bytes = 0;

  /** Appends a parsed batch's member, `bytes` bytes of JSON lines before compression. */
  append(member: Uint8Array, bytes: number): void {
    this.members.push(Buffer.from(member.buffer, member.byteOffset, member.byteLength));
    this.bytes += bytes;
  }

  /** The hour's file content. */
  content(): Buffer {
    return Buffer.concat(this.members);
  }
}

interface CommitState {
  readonly nextOffset: string;
  /** The epoch of the owner that wrote it (lib/stream/epoch.ts); absent in files of workers before the fence. */
  readonly epoch?: number;
  readonly pending?: { readonly first: string; readonly last: string; readonly files: readonly string[] };
}

export interface FlushResult {
  readonly first: string;
  readonly last: string;
  readonly events: number;
  readonly deadLetters: number;
  readonly files: readonly string[];
  /** Bytes written to HDFS: the files' compressed size. */
  readonly bytes: number;
  /** Event time (epoch ms) of every record of the flush is not needed; its read times are, for freshness. */
  readonly readAt: readonly number[];
  /** The newest event time (epoch ms) among the flush's events; undefined when it has none. */
  readonly newestEventMs?: number;
}

export class PartitionWriter {
  private hours = new Map<string, HourBuffer>();
  private letters: DeadLetter[] = [];
  private readTimes: number[] = [];
  private newestEventMs: number | undefined;
  private bytes = 0;
  private events = 0;
  private first: bigint | undefined;
  private last: bigint | undefined;
  private openedAt: number | undefined;

  private constructor(
    private readonly hdfs: HdfsClient,
    private readonly epoch: PartitionEpoch,
    private readonly options: PartitionWriterOptions,
    private readonly log: Logger,
    /** The next offset to make durable: everything before it is in HDFS. */
    private nextOffset: bigint,
  ) {}

  /**
   * The writer of a partition as HDFS last committed it: an interrupted flush's files are deleted,
   * and `nextOffset` is where reading resumes (undefined: nothing written yet, start where the
   * consumer group is).
   */
  static async recover(hdfs: HdfsClient, options: PartitionWriterOptions, log: Logger): Promise<{ writer: PartitionWriter; nextOffset: string | undefined }> {
    const { root, topic, partition } = options;
    // The fence first: from here on no earlier owner can change the commit file or a data file.
    const epoch = await PartitionEpoch.claim(hdfs, root, topic, partition, log);
    const commitPath = streamCommitPath(root, topic, partition);
    await deleteTemporaries(hdfs, [commitPath]);
    const state = (await hdfs.exists(commitPath)) ? (JSON.parse(await hdfs.readText(commitPath)) as CommitState) : undefined;
    if (state?.epoch !== undefined && state.epoch > epoch.number) throw new FencedError(topic, partition, epoch.number);
    const pending = state?.pending;
    if (state && pending) {
      await deleteTemporaries(hdfs, pending.files);
      await epoch.writing(async () => {
        for (const file of pending.files) await epoch.delete(file);
        await epoch.putAtomic(commitPath, JSON.stringify({ nextOffset: state.nextOffset, epoch: epoch.number } satisfies CommitState), { overwrite: true });
      });
      log.warn({ topic, partition, nextOffset: state.nextOffset, epoch: epoch.number, ...pending }, 'recovered an interrupted flush: its files deleted, reading again from the committed offset');
    }
    const writer = new PartitionWriter(hdfs, epoch, options, log, state ? BigInt(state.nextOffset) : -1n);
    return { writer, nextOffset: state?.nextOffset };
  }

  /** The next offset this writer expects; -1 before anything is committed. */
  get expectedOffset(): bigint {
    return this.nextOffset;
  }

  /** Where to read again after a failed flush: the committed offset, or the buffer's first before any commit. */
  get resumeOffset(): string {
    return (this.nextOffset >= 0n ? this.nextOffset : (this.first ?? 0n)).toString();
  }

  get bufferedBytes(): number {
    return this.bytes;
  }

  get isEmpty(): boolean {
    return this.first === undefined;
  }

  /**
   * Buffers one record (validated and flattened, or as a dead letter). A record before the
   * committed offset is already durable and is skipped; returns whether it was taken.
   */
  add(offset: string, value: Buffer | null, key: Buffer | null, readAt: number): boolean {
    if (!this.takes(offset)) return false;
    const records = [{ offset, value, key }];
    this.addParsed(records, parseBatch(records, { ...this.options, readAt }), readAt);
    return true;
  }

  /** Whether a record at `offset` is new to this writer (not durable yet, not buffered yet): what {@link add} would take. */
  takes(offset: string): boolean {
    const position = BigInt(offset);
    return !(this.nextOffset >= 0n && position < this.nextOffset) && !(this.last !== undefined && position <= this.last);
  }

  /**
   * Buffers a parsed batch (see parse-batch.ts): `records` are the batch's records this writer
   * {@link takes}, in offset order, exactly as they were parsed.
   */
  addParsed(records: readonly BatchRecord[], parsed: ParsedBatch, readAt: number): void {
    if (records.length === 0) return;
    for (const { hour, gzip, bytes, events } of parsed.hours) {
      this.hourBuffer(hour).append(gzip, bytes);
      this.bytes += bytes;
      this.events += events;
    }
    for (const { index, reason, detail } of parsed.letters) {
      const { offset, value, key, timestamp } = records[index]!;
      this.letters.push({ reason, detail, offset, value, key, ...(timestamp ? { timestamp } : {}) });
      this.bytes += value?.length ?? 0;
    }
    this.first ??= BigInt(records[0]!.offset);
    this.last = BigInt(records[records.length - 1]!.offset);
    this.openedAt ??= readAt;
    if (parsed.newestEventMs !== undefined && (this.newestEventMs === undefined || parsed.newestEventMs > this.newestEventMs)) this.newestEventMs = parsed.newestEventMs;
    for (let index = 0; index < records.length; index += 1) this.readTimes.push(readAt);
  }

  private hourBuffer(hour: EventHour): HourBuffer {
    const dir = hourPartitionDir(this.options.root, hour.eventDate, hour.eventHour);
    let buffer = this.hours.get(dir);
    if (!buffer) {
      buffer = new HourBuffer();
      this.hours.set(dir, buffer);
    }
    return buffer;
  }

  /** True when the buffer is due: big enough, or its oldest record old enough. */
  due(now: number): boolean {
    return this.first !== undefined && (this.bytes >= this.options.rotateBytes || now - this.openedAt! >= this.options.rotateMs);
  }

  /** Makes the buffer durable (see the class comment); returns what it wrote, or undefined when empty. */
  async flush(sendDeadLetters: DeadLetterSink): Promise<FlushResult | undefined> {
    if (this.first === undefined || this.last === undefined) return undefined;
    const { root, topic, partition } = this.options;
    const first = this.first.toString();
    const last = this.last.toString();
    const name = streamFileName({ topic, partition, first, last });
    const files = [...this.hours.keys()].map((dir) => `${dir}/${name}`);
    const commitPath = streamCommitPath(root, topic, partition);
    const committed = (this.nextOffset >= 0n ? this.nextOffset : this.first).toString();

    const epoch = this.epoch.number;
    const next = this.last + 1n;
    let bytes = 0;
    await this.epoch.writing(async () => {
      await this.epoch.putAtomic(commitPath, JSON.stringify({ nextOffset: committed, epoch, pending: { first, last, files } } satisfies CommitState), { overwrite: true });
      for (const [dir, hour] of this.hours) {
        const content = hour.content();
        bytes += content.length;
        await this.epoch.putAtomic(`${dir}/${name}`, content, { overwrite: true });
      }
      if (this.letters.length > 0) await sendDeadLetters(topic, partition, this.letters);
      await this.epoch.putAtomic(commitPath, JSON.stringify({ nextOffset: next.toString(), epoch } satisfies CommitState), { overwrite: true });
    });
    const result: FlushResult = { first, last, events: this.events, deadLetters: this.letters.length, files, bytes, readAt: this.readTimes, ...(this.newestEventMs !== undefined ? { newestEventMs: this.newestEventMs } : {}) };
    this.log.debug({ topic, partition, first, last, events: this.events, deadLetters: this.letters.length, files: files.length, bytes }, 'flushed');
    this.nextOffset = next;
    this.hours = new Map();
    this.letters = [];
    this.readTimes = [];
    this.newestEventMs = undefined;
    this.bytes = 0;
    this.events = 0;
    this.first = undefined;
    this.last = undefined;
    this.openedAt = undefined;
    return result;
  }
}

/**
 * Deletes the hidden temporaries of `files` (`.<name>.tmp-<random>` beside each) that a worker
 * before the epoch fence, killed between a putAtomic's upload and its rename, left behind (a fenced
 * worker's temporaries are in its epoch's workspace, deleted with it).
 */
async function deleteTemporaries(hdfs: HdfsClient, files: readonly string[]): Promise<void> {
  const byDir = new Map<string, string[]>();
  for (const file of files) byDir.set(posix.dirname(file), [...(byDir.get(posix.dirname(file)) ?? []), file]);
  for (const [dir, targets] of byDir) {
    for (const entry of await hdfs.listIfExists(dir)) {
      if (targets.some((target) => isTemporaryOf(entry.name, target))) await hdfs.delete(entry.path);
    }
  }
}
