/**
 * App-log events (specs/events.md): validating one Kafka record and flattening it into a row of
 * `app_events`. Pure: the stream worker, the producer and the tests share it.
 *
 * - A record that is not a JSON object, has no `eventType`, or has no `timestamp` that can be a real
 *   event time (1970-01-01 to 2999-12-31 UTC, a zone offset within ±18:00) is a dead letter with
 *   one of {@link deadLetterReasons}; so is a record that cannot be handled at all (nesting too deep
 *   to serialise: `UNSUPPORTED_VALUE`, by the caller). Nothing else is refused.
 * - Known fields go to their columns. A field the schema does not know, at the top level or in
 *   `metadata`, is kept in `extra` (a JSON object; `metadata.<key>` for metadata's), never dropped.
 *   A known field of the wrong type (a `quantity` of "three") or out of its column's range (a
 *   `quantity` beyond INT, a `totalAmount` beyond DECIMAL(10,2)) is NULL in its column and kept in
 *   `extra` under its own name, so nothing is lost and compaction reads every row. A key such as
 *   `__proto__` is data like any other.
 * - The event's time is its own `timestamp` (`YYYY-MM-DDTHH:MM:SS`, optional fraction and zone;
 *   without a zone it is in the source's zone, UTC by default): it decides the hour partition.
 */

import { appEventsContract, appEventsSchemaVersion } from './schemas';

export const deadLetterReasons = ['NOT_JSON', 'MISSING_EVENT_TYPE', 'BAD_TIMESTAMP', 'UNSUPPORTED_VALUE'] as const;
export type DeadLetterReason = (typeof deadLetterReasons)[number];

/** Where a record came from: its lineage columns. */
export interface RecordPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** One row of `app_events`, as the stream worker writes it (JSON lines; Spark reads them by this schema). */
export interface AppEventRow {
  readonly event_type: string;
  readonly customer_id: string | null;
  readonly product_id: string | null;
  /** `YYYY-MM-DD HH:MM:SS[.fff]`, UTC. */
  readonly event_ts: string;
  readonly category: string | null;
  readonly source: string | null;
  readonly quantity: number | null;
  /** Exact decimal text with two decimals, `245.17`. */
  readonly total_amount: string | null;
  readonly payment_method: string | null;
  readonly recommended_product_id: string | null;
  readonly algorithm: string | null;
  /** Unknown (or mistyped) fields as a JSON object's text; NULL when there are none. */
  readonly extra: string | null;
  readonly kafka_topic: string;
  readonly kafka_partition: number;
  /** The offset as decimal text (a Kafka offset is a 64-bit integer). */
  readonly kafka_offset: string;
  /** When the stream worker read it, `YYYY-MM-DD HH:MM:SS.fff` UTC. */
  readonly ingested_at: string;
  /** The version of the event contract (schemas/app_events/v<N>.json) it was validated against. */
  readonly schema_version: number;
}

/** The hour partition of an event: `event_date` (DATE) and `event_hour` (0–23), from its own time. */
export interface EventHour {
  readonly eventDate: string;
  readonly eventHour: number;
}

export type ParsedEvent = { readonly ok: true; readonly row: AppEventRow; readonly hour: EventHour; /** The event's time, epoch ms. */ readonly epochMs: number } | { readonly ok: false; readonly reason: DeadLetterReason; readonly detail: string };

/** The top-level fields the schema knows (schemas/app_events/: its properties); `metadata`'s known keys are `category` and `source`. */
const stringColumns = {
  customerId: 'customer_id',
  productId: 'product_id',
  paymentMethod: 'payment_method',
  recommendedProductId: 'recommended_product_id',
  algorithm: 'algorithm',
} as const;
const handledFields = new Set(Object.keys(appEventsContract.properties ?? {}));

/** The fields `parseEvent` maps to their columns: the contract's properties, no more and no fewer (a unit test holds them equal). */
export const mappedEventFields = ['eventType', 'timestamp', 'metadata', 'quantity', 'totalAmount', ...Object.keys(stringColumns)];

const timestampPattern = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * The instant of an event `timestamp`, in epoch milliseconds, or undefined when it is not a real
 * event time. `zoneOffsetMinutes` is the source's zone for a timestamp without one (0: UTC).
 */
export function parseEventTimestamp(text: string, zoneOffsetMinutes = 0): number | undefined {
  const clock = wallClock(text);
  if (!clock) return undefined;
  const offset = clock.zone === undefined ? zoneOffsetMinutes : clock.zone === 'Z' ? 0 : zoneMinutes(clock.zone);
  return offset === undefined ? undefined : inEventRange(clock.local - offset * 60_000);
}

/** A timestamp's wall-clock time read as UTC (epoch ms) and its zone text, or undefined when that time does not exist. */
function wallClock(text: string): { local: number; zone: string | undefined } | undefined {
  const match = timestampPattern.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const millis = match[7] ? Math.floor(Number(`0${match[7]}`) * 1000) : 0;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const check = new Date(local);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || check.getUTCHours() !== hour || check.getUTCMinutes() !== minute || check.getUTCSeconds() !== second) {
    return undefined;
  }
  return { local, zone: match[8] };
}

/** The instant when it is an event time qpipe takes, else undefined. */
const inEventRange = (epochMs: number) => (epochMs >= firstEventMs && epochMs < endOfEventsMs ? epochMs : undefined);

/** Event times qpipe takes: from 1970 to the end of 2999 (UTC), so every hour directory is `YYYY-MM-DD`. */
const firstEventMs = Date.UTC(1970, 0, 1);
const endOfEventsMs = Date.UTC(3000, 0, 1);

/** A `±HH:MM` zone's offset in minutes, or undefined beyond ±18:00 (the widest ISO 8601 and Java allow). */
function zoneMinutes(zone: string): number | undefined {
  const digits = zone.replace(':', '');
  const sign = digits.startsWith('-') ? -1 : 1;
  const hours = Number(digits.slice(1, 3));
  const minutes = Number(digits.slice(3, 5));
  const total = hours * 60 + minutes;
  return minutes < 60 && total <= 18 * 60 ? sign * total : undefined;
}

/** `YYYY-MM-DD HH:MM:SS` (with `.fff` when the milliseconds are not zero), UTC: a Spark TIMESTAMP literal's text. */
export function sparkTimestamp(epochMs: number): string {
  return sparkTimestampOfIso(new Date(epochMs).toISOString());
}

const sparkTimestampOfIso = (iso: string) => (iso.endsWith('.000Z') ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : `${iso.slice(0, 10)} ${iso.slice(11, 23)}`);

/** `ingested_at` of the last read time: a batch's records share one (the stream worker's hot path). */
let ingestedAt = { readAt: Number.NaN, text: '' };
function ingestedAtText(readAt: number): string {
  if (ingestedAt.readAt !== readAt) ingestedAt = { readAt, text: new Date(readAt).toISOString().replace('T', ' ').slice(0, 23) };
  return ingestedAt.text;
}

/**
 * The instant of an event timestamp, as {@link parseEventTimestamp}, with the stream worker's fast
 * path: the common `YYYY-MM-DDTHH:MM:SS` (no fraction, no zone) takes its hour's start from a
 * memo and adds minutes and seconds; anything else goes through the full parse.
 */
function eventEpoch(text: string, zoneOffsetMinutes: number): number | undefined {
  if (text.length !== 19 || text.charCodeAt(13) !== 0x3a || text.charCodeAt(16) !== 0x3a) return parseEventTimestamp(text, zoneOffsetMinutes);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  if (minute > 59 || second > 59) return undefined;
  const start = hourStart(text.slice(0, 13));
  if (Number.isNaN(start)) return undefined;
  return inEventRange(start + minute * 60_000 + second * 1_000 - zoneOffsetMinutes * 60_000);
}

/** The two decimal digits at `at`, or 99 when they are not digits. */
function twoDigits(text: string, at: number): number {
  const tens = text.charCodeAt(at) - 0x30;
  const ones = text.charCodeAt(at + 1) - 0x30;
  return tens >= 0 && tens <= 9 && ones >= 0 && ones <= 9 ? tens * 10 + ones : 99;
}

/** Epoch ms (the wall clock as UTC, before the zone and the range) of `YYYY-MM-DD[T ]HH` at minute 0, NaN when that hour is not real; memoised. */
const hourStarts = new Map<string, number>();
function hourStart(prefix: string): number {
  let start = hourStarts.get(prefix);
  if (start === undefined) {
    // The wall clock only: the range is checked once the source zone is applied.
    start = wallClock(`${prefix}:00:00`)?.local ?? Number.NaN;
    if (hourStarts.size >= 10_000) hourStarts.clear();
    hourStarts.set(prefix, start);
  }
  return start;
}

/** The hour partition and the `event_ts` text of an instant; the UTC hour's parts are kept from the last call. */
let lastHour = { start: Number.NaN, hour: { eventDate: '', eventHour: 0 } as EventHour, prefix: '' };
function eventTime(epochMs: number): { hour: EventHour; ts: string } {
  const within = ((epochMs % 3_600_000) + 3_600_000) % 3_600_000;
  const start = epochMs - within;
  if (start !== lastHour.start) {
    const iso = new Date(start).toISOString();
    lastHour = { start, hour: { eventDate: iso.slice(0, 10), eventHour: Number(iso.slice(11, 13)) }, prefix: `${iso.slice(0, 10)} ${iso.slice(11, 14)}` };
  }
  const millis = within % 1_000;
  const clock = `${lastHour.prefix}${pad2(Math.floor(within / 60_000))}:${pad2(Math.floor(within / 1_000) % 60)}`;
  return { hour: lastHour.hour, ts: millis === 0 ? clock : `${clock}.${String(millis).padStart(3, '0')}` };
}

const pad2 = (value: number) => (value < 10 ? `0${value}` : String(value));

/** A known string column's value: NULL when absent, a number as its text, any other type NULL and kept in `extra`. */
function textColumn(fields: Record<string, unknown>, key: keyof typeof stringColumns, extra: Record<string, unknown>): string | null {
  const item = fields[key];
  if (item === undefined || item === null) return null;
  if (typeof item === 'string') return item;
  if (typeof item === 'number' && Number.isFinite(item)) return String(item);
  extra[key] = item;
  return null;
}

/**
 * Validates and flattens one record value. `readAt` (epoch ms) stamps `ingested_at`. This is the
 * stream worker's hot path (once per record): no closures, no entry arrays, memoised time parts.
 */
export function parseEvent(value: string | Buffer | null, position: RecordPosition, readAt: number, zoneOffsetMinutes = 0): ParsedEvent {
  let event: unknown;
  try {
    event = JSON.parse(value === null ? '' : value.toString());
  } catch (error) {
    return { ok: false, reason: 'NOT_JSON', detail: (error as Error).message };
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    return { ok: false, reason: 'NOT_JSON', detail: `a JSON ${Array.isArray(event) ? 'array' : event === null ? 'null' : typeof event}, not an object` };
  }
  const fields = event as Record<string, unknown>;
  if (typeof fields.eventType !== 'string' || fields.eventType.trim() === '') {
    return { ok: false, reason: 'MISSING_EVENT_TYPE', detail: fields.eventType === undefined ? 'no eventType' : `eventType is ${JSON.stringify(fields.eventType)}` };
  }
  const epochMs = typeof fields.timestamp === 'string' ? eventEpoch(fields.timestamp.trim(), zoneOffsetMinutes) : undefined;
  if (epochMs === undefined) {
    return { ok: false, reason: 'BAD_TIMESTAMP', detail: fields.timestamp === undefined ? 'no timestamp' : `timestamp ${JSON.stringify(fields.timestamp)} is not an event time (YYYY-MM-DDTHH:MM:SS, 1970 to 2999, a zone within ±18:00)` };
  }

  const extra: Record<string, unknown> = {};
  for (const key in fields) {
    if (handledFields.has(key)) continue;
    // `extra.__proto__ = …` would set the prototype and lose the field: define it as data instead.
    if (key === '__proto__') Object.defineProperty(extra, key, { value: fields[key], enumerable: true, writable: true, configurable: true });
    else extra[key] = fields[key];
  }

  let category: string | null = null;
  let source: string | null = null;
  const metadata = fields.metadata;
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata === 'object' && !Array.isArray(metadata)) {
      const entries = metadata as Record<string, unknown>;
      for (const key in entries) {
        const item = entries[key];
        if (key === 'category' && typeof item === 'string') category = item;
        else if (key === 'source' && typeof item === 'string') source = item;
        else extra[`metadata.${key}`] = item;
      }
    } else {
      extra.metadata = metadata;
    }
  }

  const quantity = fields.quantity;
  const quantityColumn = quantity === undefined || quantity === null ? null : isInt(quantity) ? quantity : ((extra.quantity = quantity), null);
  const amount = fields.totalAmount;
  const amountColumn = amount === undefined || amount === null ? null : decimal2(amount) ?? ((extra.totalAmount = amount), null);
  // In this order, so that mistyped known fields keep the order they have always had in `extra`.
  const customerId = textColumn(fields, 'customerId', extra);
  const productId = textColumn(fields, 'productId', extra);
  const paymentMethod = textColumn(fields, 'paymentMethod', extra);
  const recommendedProductId = textColumn(fields, 'recommendedProductId', extra);
  const algorithm = textColumn(fields, 'algorithm', extra);

  let hasExtra = false;
  for (const _key in extra) {
    hasExtra = true;
    break;
  }
  const { hour, ts } = eventTime(epochMs);
  return {
    ok: true,
    hour,
    epochMs,
    row: {
      event_type: fields.eventType,
      customer_id: customerId,
      product_id: productId,
      event_ts: ts,
      category,
      source,
      quantity: quantityColumn,
      total_amount: amountColumn,
      payment_method: paymentMethod,
      recommended_product_id: recommendedProductId,
      algorithm,
      extra: hasExtra ? JSON.stringify(extra) : null,
      kafka_topic: position.topic,
      kafka_partition: position.partition,
      kafka_offset: position.offset,
      ingested_at: ingestedAtText(readAt),
      schema_version: appEventsSchemaVersion,
    },
  };
}

/** Whether a value fits Spark's INT, the `quantity` column's type. */
const isInt = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= -2_147_483_648 && (value as number) <= 2_147_483_647;

const jsonText = (value: string | null) => (value === null ? 'null' : JSON.stringify(value));

/**
 * The row as one JSON line, byte for byte what `JSON.stringify(row)` gives (the key order is the
 * row's), built from its known columns: on the stream worker's hot path this is measurably faster
 * than the generic serialiser once the line is written into a buffer.
 */
export function appEventLine(row: AppEventRow): string {
  return (
    `{"event_type":${jsonText(row.event_type)},"customer_id":${jsonText(row.customer_id)},"product_id":${jsonText(row.product_id)},"event_ts":${jsonText(row.event_ts)}` +
    `,"category":${jsonText(row.category)},"source":${jsonText(row.source)},"quantity":${row.quantity === null ? 'null' : String(row.quantity)},"total_amount":${jsonText(row.total_amount)}` +
    `,"payment_method":${jsonText(row.payment_method)},"recommended_product_id":${jsonText(row.recommended_product_id)},"algorithm":${jsonText(row.algorithm)},"extra":${jsonText(row.extra)}` +
    `,"kafka_topic":${jsonText(row.kafka_topic)},"kafka_partition":${String(row.kafka_partition)},"kafka_offset":${jsonText(row.kafka_offset)},"ingested_at":${jsonText(row.ingested_at)},"schema_version":${String(row.schema_version)}}`
  );
}

/** A money amount as exact DECIMAL(10,2) text (half-up at the third decimal), or undefined when it is not one. */
function decimal2(value: unknown): string | undefined {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  const match = text === undefined ? null : /^(-?)(\d{1,8})(?:\.(\d+))?$/.exec(text);
  if (!match) return undefined;
  const [, sign, whole, fraction = ''] = match as unknown as [string, string, string, string | undefined];
  // At most 8 whole digits: cents stay far below 2^53, exact as a Number.
  let cents = Number(whole) * 100 + Number((fraction + '00').slice(0, 2));
  if ((fraction[2] ?? '0') >= '5') cents += 1;
  if (cents >= 1e10) return undefined;
  const digits = String(cents).padStart(3, '0');
  return `${sign && cents > 0 ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}
