import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { HdfsClient } from '../../lib/hdfs-client';
import { HiveClient } from '../../lib/hive-client';
import { loadJob } from '../../lib/jobs';
import { silentLogger } from '../../lib/log';
import { sqlIdentifier } from '../../lib/pure/sql';
import { appEventsSql } from '../../lib/pure/schemas';
import { parseBatch } from '../../lib/stream/parse-batch';
import { isolatedConfig } from '../helpers/isolated';

// A property of the stream worker's parse → line writer → compaction's reader: random records
// (unicode, deep nesting, huge and negative numbers, duplicate and __proto__ keys, broken bytes)
// each end either as a row that compaction's own schema (FAILFAST, with its casts) reads back
// whole, or as a dead letter. Generated with fast-check, read by the real Spark Thrift Server.

const config = isolatedConfig('property');
const hdfs = new HdfsClient(config.hdfs, silentLogger);
const hive = new HiveClient(config.hive, silentLogger);
const seed = Number(process.env.QPIPE_PROPERTY_SEED ?? Date.now() % 1_000_000);
const records = 3_000;

/** A JSON object's text from its entries, in order: duplicate keys and `__proto__` stay as written. */
const objectText = (entries: readonly (readonly [string, string])[]) => `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`;
const json = (value: unknown) => JSON.stringify(value) ?? 'null';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
/** Timestamps: real ones over 1900–3100 in every accepted shape and zone, and broken ones. */
const timestamp = fc.oneof(
  { weight: 6, arbitrary: fc
    .record({
      ms: fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(3100, 0, 1) }),
      zone: fc.oneof(fc.constant(''), fc.constant('Z'), fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 })).map(([sign, h, m]) => `${sign}${pad(h)}:${pad(m)}`)),
      fraction: fc.oneof(fc.constant(''), fc.integer({ min: 0, max: 999_999_999 }).map((n) => `.${pad(n, 9)}`)),
      separator: fc.constantFrom('T', ' '),
    })
    .map(({ ms, zone, fraction, separator }) => {
      const iso = new Date(ms).toISOString();
      return json(`${iso.slice(0, 10)}${separator}${iso.slice(11, 19)}${fraction}${zone}`);
    }) },
  { weight: 1, arbitrary: fc.string().map(json) },
  { weight: 1, arbitrary: fc.constantFrom('1700000000', 'null', '"2024-02-30T10:00:00"', '"+010000-01-01T00:00:00"', '"9999-12-31T23:30:00-01:00"') },
);
/** Rarely: `weight` in 1 + `weight` samples are none. */
const rarely = <T>(arbitrary: fc.Arbitrary<T>, weight: number) => fc.oneof({ weight, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });
const number = fc.oneof(
  fc.integer().map(json),
  fc.double().map((n) => (Number.isFinite(n) ? json(n) : '1e400')),
  fc.constantFrom('2147483647', '2147483648', '-2147483649', '3000000000', '1e20', '-0', '99999999.99', '100000000', '0.005', '-99999999.995', '1e-400'),
  fc.string().map(json),
);
const anyJson = fc.jsonValue({ maxDepth: 4 }).map(json);
const deep = fc.integer({ min: 1, max: 200_000 }).map((levels) => '['.repeat(levels) + ']'.repeat(levels));
const key = fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'toString', 'eventType', 'metadata', 'quantity', 'extra', 'kafka_offset', ''));
const metadata = fc.oneof(fc.array(fc.tuple(fc.oneof(key, fc.constantFrom('category', 'source')), fc.oneof(fc.string().map(json), anyJson))).map(objectText), anyJson);

/** One record's value: an object of known and unknown fields in any order, or bytes that are not an object at all. */
const value = fc.oneof(
  { weight: 8, arbitrary: fc
      .record({
        eventType: fc.oneof({ weight: 6, arbitrary: fc.string({ unit: 'grapheme', minLength: 1 }).map(json) }, { weight: 1, arbitrary: fc.string({ unit: 'binary' }).map(json) }, { weight: 1, arbitrary: anyJson }),
        timestamp,
        fields: fc.array(
          fc.oneof(
            fc.tuple(fc.constantFrom('quantity', 'totalAmount'), number),
            fc.tuple(fc.constantFrom('customerId', 'productId', 'paymentMethod', 'recommendedProductId', 'algorithm'), fc.oneof(fc.string({ unit: 'binary' }).map(json), number, anyJson)),
            fc.tuple(fc.constant('metadata'), metadata),
            fc.tuple(key, fc.oneof(anyJson, fc.string({ unit: 'binary' }).map(json))),
          ),
          { maxLength: 8 },
        ),
        duplicate: rarely(fc.tuple(fc.constantFrom('eventType', 'timestamp', 'quantity'), anyJson), 10),
        nested: rarely(deep, 100),
      })
      .map(({ eventType, timestamp: time, fields, duplicate, nested }) => {
        const entries: [string, string][] = [['eventType', eventType], ['timestamp', time], ...fields];
        if (duplicate) entries.push(duplicate);
        if (nested) entries.push(['deep', nested]);
        return Buffer.from(objectText(entries));
      }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: anyJson.map((text) => Buffer.from(text)) },
);

describe(`random records through the worker's parse and compaction's reader (seed ${seed})`, () => {
  beforeAll(async () => {
    await hive.connect();
  });

  afterAll(async () => {
    await hive.close();
    await hdfs.delete(config.hdfs.root, { recursive: true }).catch(() => undefined);
  });

  it(`every one of ${records} records is a row compaction reads whole, or a dead letter`, async () => {
    const values = fc.sample(value, { numRuns: records, seed });
    const readAt = Date.parse('2026-12-04T12:00:00.123Z');
    const parsed = parseBatch(values.map((bytes, index) => ({ offset: String(index), value: bytes, key: null })), { topic: 'property', partition: 0, readAt, zoneOffsetMinutes: 0 });

    // Each event hour's gzip member as one live file, as the worker writes them.
    const dir = `${config.hdfs.root}/live`;
    for (const [index, hour] of parsed.hours.entries()) await hdfs.putAtomic(`${dir}/property+0+${index}.jsonl.gz`, Buffer.from(hour.gzip));
    const { definitions: _table, ...compactionColumns } = appEventsSql();
    const [view] = loadJob('app_events_compact', { database: sqlIdentifier('unused'), event_date: '2026-01-01', event_hour: 0, live_files: `${dir}/*.jsonl.gz`, target: `${dir}/unused`, max_records_per_file: 1, ...compactionColumns });
    await hive.execute(view!);
    // The casts compaction makes (ANSI: a value it cannot cast fails the statement).
    const rows = (
      await hive.query<{ kafka_offset: string; event_ts: string | null; total_amount: string | null; quantity: number | null; event_date: string; event_hour: number }>(
        `SELECT kafka_offset, CAST(CAST(event_ts AS TIMESTAMP) AS STRING) AS event_ts, CAST(CAST(total_amount AS DECIMAL(10,2)) AS STRING) AS total_amount, quantity,
                CAST(CAST(event_ts AS DATE) AS STRING) AS event_date, hour(CAST(event_ts AS TIMESTAMP)) AS event_hour
         FROM qpipe_stream_live`,
      )
    ).rows;

    const letters = parsed.letters.map(({ index }) => String(index));
    const read = rows.map((row) => row.kafka_offset);
    expect(read.length + letters.length).toBe(records);
    expect(new Set([...read, ...letters]).size).toBe(records);
    expect(parsed.hours.reduce((sum, hour) => sum + hour.events, 0)).toBe(rows.length);
    for (const row of rows) {
      expect(row.event_ts).not.toBeNull();
      // Every hour lands in a directory maintenance can parse: 1970 to 2999.
      expect(row.event_date).toMatch(/^(19[7-9]\d|2\d{3})-\d{2}-\d{2}$/);
    }
    // Of a record's fate, independently: a value JSON.parse refuses, or that is not an object, is a letter.
    for (const [index, bytes] of values.entries()) {
      let object = false;
      try {
        const parsedValue = JSON.parse(bytes.toString()) as unknown;
        object = typeof parsedValue === 'object' && parsedValue !== null && !Array.isArray(parsedValue);
      } catch {
        object = false;
      }
      if (!object) expect(letters).toContain(String(index));
    }
    // The sample is not trivial: it holds rows and letters of every reason.
    expect(rows.length).toBeGreaterThan(records / 10);
    expect(new Set(parsed.letters.map(({ reason }) => reason))).toEqual(new Set(['NOT_JSON', 'MISSING_EVENT_TYPE', 'BAD_TIMESTAMP', 'UNSUPPORTED_VALUE']));
  }, 300_000);
});
