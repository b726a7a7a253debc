/**
 * Dead letters as Kafka messages, in sends the broker accepts. A produce request's record batch
 * for a partition may not exceed the broker's `message.max.bytes` (1 MiB + 12 by default), and
 * `MESSAGE_TOO_LARGE` is final: one send of a whole flush's letters could fail forever. So the
 * letters go out in sends of at most {@link deadLetterSendBytes}, and a letter too big for one send
 * alone (a source record near the limit, plus the headers) has its value (and key) cut, with the
 * original sizes in headers; its source offset is there as for every letter.
 */

/** Kafka's default `message.max.bytes`. */
export const brokerMessageMaxBytes = 1_048_588;

/** What one send of letters may weigh: the broker's limit less room for the record batch's header. */
export const deadLetterSendBytes = brokerMessageMaxBytes - 4 * 1024;

/** Per-record framing beyond the key, value and header bytes (length varints, attributes, deltas): a generous bound. */
const recordOverhead = 64;

/** The longest `qpipe.detail` header (a detail quotes the bad value, which may be large). */
const detailMaxChars = 1_000;

export interface DeadLetterInput {
  readonly reason: string;
  readonly detail: string;
  readonly offset: string;
  readonly value: Buffer | null;
  readonly key: Buffer | null;
  /** The source record's Kafka timestamp (epoch ms as text), kept in a header. */
  readonly timestamp?: string;
}

export interface DeadLetterMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

/** The bytes a message takes in a record batch, at most. */
export function messageBytes({ key, value, headers }: DeadLetterMessage): number {
  let bytes = recordOverhead + (key?.length ?? 0) + (value?.length ?? 0);
  for (const name in headers) bytes += Buffer.byteLength(name) + Buffer.byteLength(headers[name]!) + 10;
  return bytes;
}

/** One letter as a message: headers name the reason, the detail (cut to 1,000 characters) and the source. */
function message(letter: DeadLetterInput, source: string, partition: number, limit: number): DeadLetterMessage {
  const headers: Record<string, string> = {
    'qpipe.reason': letter.reason,
    'qpipe.detail': letter.detail.length > detailMaxChars ? `${letter.detail.slice(0, detailMaxChars)}…` : letter.detail,
    'qpipe.source.topic': source,
    'qpipe.source.partition': String(partition),
    'qpipe.source.offset': letter.offset,
    // The letter's own timestamp stays the time it was written: the DLQ's time retention counts from there.
    ...(letter.timestamp ? { 'qpipe.source.timestamp': letter.timestamp } : {}),
  };
  const whole = { key: letter.key, value: letter.value, headers };
  if (messageBytes(whole) <= limit) return whole;
  // Too big alone: keep what fits, the key first (it is small unless a producer abused it).
  const cut: Record<string, string> = { ...headers, 'qpipe.original.value.bytes': String(letter.value?.length ?? 0), 'qpipe.original.key.bytes': String(letter.key?.length ?? 0) };
  let room = limit - messageBytes({ key: null, value: null, headers: cut });
  const key = letter.key && letter.key.subarray(0, Math.max(0, Math.min(letter.key.length, room)));
  room -= key?.length ?? 0;
  const value = letter.value && letter.value.subarray(0, Math.max(0, room));
  return { key, value, headers: cut };
}

/** The letters of a flush (from `source`'s `partition`) as sends, in order, each under `limit` bytes. */
export function deadLetterSends(letters: readonly DeadLetterInput[], source: string, partition: number, limit = deadLetterSendBytes): DeadLetterMessage[][] {
  const sends: DeadLetterMessage[][] = [];
  let current: DeadLetterMessage[] = [];
  let bytes = 0;
  for (const letter of letters) {
    const next = message(letter, source, partition, limit);
    const size = messageBytes(next);
    if (current.length > 0 && bytes + size > limit) {
      sends.push(current);
      current = [];
      bytes = 0;
    }
    current.push(next);
    bytes += size;
  }
  if (current.length > 0) sends.push(current);
  return sends;
}
