import { describe, expect, it } from '@jest/globals';
import { appEventLine, parseEvent, parseEventTimestamp, sparkTimestamp } from '../../lib/pure/events';
import { parseBatch } from '../../lib/stream/parse-batch';

const at = { topic: 'app_logs', partition: 2, offset: '41' };
const readAt = Date.parse('2026-11-24T12:00:00.123Z');
const parse = (value: string) => parseEvent(value, at, readAt);

describe('app-log events', () => {
  it("flattens the spec's purchase example into the app_events columns with its lineage", () => {
    const parsed = parse('{"eventType":"purchase","customerId":"48213","productId":"5120","timestamp":"2024-07-04T19:34:04","metadata":{},"quantity":3,"totalAmount":245.17,"paymentMethod":"PayPal"}');
    expect(parsed).toEqual({
      ok: true,
      hour: { eventDate: '2024-07-04', eventHour: 19 },
      epochMs: Date.UTC(2024, 6, 4, 19, 34, 4),
      row: {
        event_type: 'purchase',
        customer_id: '48213',
        product_id: '5120',
        event_ts: '2024-07-04 19:34:04',
        category: null,
        source: null,
        quantity: 3,
        total_amount: '245.17',
        payment_method: 'PayPal',
        recommended_product_id: null,
        algorithm: null,
        extra: null,
        kafka_topic: 'app_logs',
        kafka_partition: 2,
        kafka_offset: '41',
        ingested_at: '2026-11-24 12:00:00.123',
        schema_version: 1,
      },
    });
  });

  it("reads productView's metadata and recommendationClick's fields", () => {
    const view = parse('{"eventType":"productView","customerId":"10001","productId":"1000","timestamp":"2024-01-01T00:00:00","metadata":{"category":"Home & Kitchen","source":"Search"}}');
    expect(view.ok && [view.row.category, view.row.source, view.row.extra, view.hour]).toEqual(['Home & Kitchen', 'Search', null, { eventDate: '2024-01-01', eventHour: 0 }]);
    const click = parse('{"eventType":"recommendationClick","customerId":"99999","productId":"9999","timestamp":"2024-12-31T23:59:59","metadata":{},"recommendedProductId":"1234","algorithm":"content_based"}');
    expect(click.ok && [click.row.recommended_product_id, click.row.algorithm, click.hour.eventHour]).toEqual(['1234', 'content_based', 23]);
  });

  it('keeps unknown fields, top-level and in metadata, in extra, and mistyped known fields too', () => {
    const parsed = parse('{"eventType":"addToCart","customerId":"10001","productId":"1000","timestamp":"2024-01-01T10:00:00","metadata":{"campaign":"x"},"quantity":"three","eventId":"e-1","device":{"os":"ios"}}');
    expect(parsed.ok && parsed.row.quantity).toBeNull();
    expect(parsed.ok && JSON.parse(parsed.row.extra!)).toEqual({ eventId: 'e-1', device: { os: 'ios' }, 'metadata.campaign': 'x', quantity: 'three' });
  });

  it.each([
    ['not json', 'NOT_JSON'],
    ['', 'NOT_JSON'],
    ['[1,2]', 'NOT_JSON'],
    ['null', 'NOT_JSON'],
    ['{"customerId":"1","timestamp":"2024-01-01T00:00:00"}', 'MISSING_EVENT_TYPE'],
    ['{"eventType":"","timestamp":"2024-01-01T00:00:00"}', 'MISSING_EVENT_TYPE'],
    ['{"eventType":7,"timestamp":"2024-01-01T00:00:00"}', 'MISSING_EVENT_TYPE'],
    ['{"eventType":"purchase"}', 'BAD_TIMESTAMP'],
    ['{"eventType":"purchase","timestamp":"yesterday"}', 'BAD_TIMESTAMP'],
    ['{"eventType":"purchase","timestamp":"2023-02-29T10:00:00"}', 'BAD_TIMESTAMP'],
    ['{"eventType":"purchase","timestamp":1700000000}', 'BAD_TIMESTAMP'],
    // times that cannot be an event's: the directory of +010000-01-01 could never be read back
    ['{"eventType":"purchase","timestamp":"9999-12-31T23:30:00-01:00"}', 'BAD_TIMESTAMP'],
    ['{"eventType":"purchase","timestamp":"2999-12-31T23:30:00-01:00"}', 'BAD_TIMESTAMP'],
    ['{"eventType":"purchase","timestamp":"1969-12-31T23:59:59Z"}', 'BAD_TIMESTAMP'],
    ['{"eventType":"purchase","timestamp":"1970-01-01T00:30:00+01:00"}', 'BAD_TIMESTAMP'],
    ['{"eventType":"purchase","timestamp":"2024-01-01T00:00:00+99:99"}', 'BAD_TIMESTAMP'],
    ['{"eventType":"purchase","timestamp":"2024-01-01T00:00:00+18:01"}', 'BAD_TIMESTAMP'],
    ['{"eventType":"purchase","timestamp":"2024-01-01T00:00:00-1860"}', 'BAD_TIMESTAMP'],
  ])('sends %j to the dead letters as %s', (value, reason) => {
    const parsed = parse(value);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toBe(reason);
  });

  it('places an event by its own time: zone given, or the source zone, into UTC hours', () => {
    expect(parseEventTimestamp('2024-07-04T19:34:04')).toBe(Date.parse('2024-07-04T19:34:04Z'));
    expect(parseEventTimestamp('2024-07-04T19:34:04+02:00')).toBe(Date.parse('2024-07-04T17:34:04Z'));
    expect(parseEventTimestamp('2024-07-04T19:34:04', -300)).toBe(Date.parse('2024-07-05T00:34:04Z'));
    expect(parseEventTimestamp('2024-07-04T19:34:04.250Z')).toBe(Date.parse('2024-07-04T19:34:04.250Z'));
    expect(parseEventTimestamp('2024-07-04T24:00:00')).toBeUndefined();
    // the edges of what is taken: 1970 to 2999 in UTC, zones up to ±18:00
    expect(parseEventTimestamp('1970-01-01T00:00:00Z')).toBe(0);
    expect(parseEventTimestamp('2999-12-31T23:59:59.999Z')).toBe(Date.UTC(3000, 0, 1) - 1);
    expect(parseEventTimestamp('2024-07-04T19:34:04+18:00')).toBe(Date.parse('2024-07-04T01:34:04Z'));
    expect(parseEventTimestamp('2024-07-04T19:34:04-1800')).toBe(Date.parse('2024-07-05T13:34:04Z'));
    expect(parseEventTimestamp('1970-01-01T00:00:00', 60)).toBeUndefined();
    // the range holds after the source zone, on the fast path (no fraction, no zone) as on the slow one
    const place = (timestamp: string, zone: number) => {
      const parsed = parseEvent(JSON.stringify({ eventType: 'view', timestamp }), at, readAt, zone);
      return parsed.ok ? parsed.row.event_ts : parsed.reason;
    };
    expect(place('1969-12-31T20:00:00', -300)).toBe('1970-01-01 01:00:00');
    expect(place('1969-12-31T20:00:00.5', -300)).toBe('1970-01-01 01:00:00.500');
    expect(place('3000-01-01T02:00:00', 300)).toBe('2999-12-31 21:00:00');
    expect(place('1970-01-01T03:00:00', 300)).toBe('BAD_TIMESTAMP');
    expect(place('2999-12-31T22:00:00', -300)).toBe('BAD_TIMESTAMP');
    expect(sparkTimestamp(Date.parse('2024-07-04T19:34:04.250Z'))).toBe('2024-07-04 19:34:04.250');
  });

  it('keeps a value out of its column\'s range NULL there and in extra, and a __proto__ key as data', () => {
    const columns = (fields: Record<string, unknown>) => {
      const parsed = parseEvent(JSON.stringify({ eventType: 'purchase', timestamp: '2024-01-01T00:00:00', ...fields }), at, readAt);
      return parsed.ok ? { quantity: parsed.row.quantity, total_amount: parsed.row.total_amount, extra: parsed.row.extra === null ? null : (JSON.parse(parsed.row.extra) as unknown) } : parsed.reason;
    };
    expect(columns({ quantity: 2_147_483_647 })).toEqual({ quantity: 2_147_483_647, total_amount: null, extra: null });
    expect(columns({ quantity: -2_147_483_648 })).toEqual({ quantity: -2_147_483_648, total_amount: null, extra: null });
    expect(columns({ quantity: 2_147_483_648 })).toEqual({ quantity: null, total_amount: null, extra: { quantity: 2_147_483_648 } });
    expect(columns({ quantity: 3e9, totalAmount: 1e8 })).toEqual({ quantity: null, total_amount: null, extra: { quantity: 3e9, totalAmount: 1e8 } });
    expect(columns({ totalAmount: 99_999_999.99 })).toEqual({ quantity: null, total_amount: '99999999.99', extra: null });
    const proto = parse('{"eventType":"purchase","timestamp":"2024-01-01T00:00:00","__proto__":{"admin":true},"metadata":{"__proto__":[1]},"constructor":"c"}');
    expect(proto.ok && JSON.parse(proto.row.extra!)).toEqual({ ['__proto__']: { admin: true }, 'metadata.__proto__': [1], constructor: 'c' });
    expect(proto.ok && proto.row.extra).toBe('{"__proto__":{"admin":true},"constructor":"c","metadata.__proto__":[1]}');
  });

  it('makes a record it cannot serialise (nesting deeper than JSON.stringify goes) one UNSUPPORTED_VALUE dead letter, and goes on with the batch', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const values = ['{"eventType":"view","timestamp":"2024-01-01T00:00:00"}', `{"eventType":"view","timestamp":"2024-01-01T00:00:00","deep":${deep}}`, `{"eventType":"view","timestamp":"2024-01-01T00:00:00","metadata":{"deep":${deep}}}`, '{"eventType":"view","timestamp":"2024-01-01T00:30:00"}'];
    const parsed = parseBatch(values.map((value, index) => ({ offset: String(index), value: Buffer.from(value), key: null })), { topic: 'app_logs', partition: 0, readAt, zoneOffsetMinutes: 0 });
    expect(parsed.letters.map(({ index, reason }) => [index, reason])).toEqual([[1, 'UNSUPPORTED_VALUE'], [2, 'UNSUPPORTED_VALUE']]);
    expect(parsed.letters[0]!.detail).toMatch(/^RangeError: /);
    expect(parsed.hours.map(({ events }) => events)).toEqual([2]);
    // the newest event time of the batch's events (a dead letter's is not counted)
    expect(parsed.newestEventMs).toBe(Date.UTC(2024, 0, 1, 0, 30));
    expect(parseBatch([{ offset: '0', value: Buffer.from('{not json'), key: null }], { topic: 'app_logs', partition: 0, readAt, zoneOffsetMinutes: 0 }).newestEventMs).toBeUndefined();
  });

  it('keeps money exact with two decimals, rounding half up at the third', () => {
    const amount = (totalAmount: unknown) => {
      const parsed = parseEvent(JSON.stringify({ eventType: 'purchase', timestamp: '2024-01-01T00:00:00', totalAmount }), at, readAt);
      return parsed.ok ? parsed.row.total_amount : 'dead letter';
    };
    expect([amount(10), amount(10.5), amount(499.99), amount('12.345'), amount(0.1 + 0.2), amount('abc')]).toEqual(['10.00', '10.50', '499.99', '12.35', '0.30', null]);
  });

  it('places the common timestamp shape (no fraction, no zone) exactly as Date.parse does, and refuses impossible times', () => {
    const place = (timestamp: string, zone = 0) => {
      const parsed = parseEvent(JSON.stringify({ eventType: 'view', timestamp }), at, readAt, zone);
      return parsed.ok ? { ...parsed.hour, ts: parsed.row.event_ts } : parsed.reason;
    };
    for (const [timestamp, zone] of [['2024-02-29T23:59:59', 0], ['2024-07-04T00:00:00', 0], ['1970-01-01T00:00:00', 0], ['2999-12-31T23:59:59', 0], ['2024-07-04T19:34:04', -300], ['2024-07-04T19:34:04', 330], ['2024-07-04 19:34:04', 0]] as const) {
      const iso = new Date(Date.parse(`${timestamp.replace(' ', 'T')}Z`) - zone * 60_000).toISOString();
      expect(place(timestamp, zone)).toEqual({ eventDate: iso.slice(0, 10), eventHour: Number(iso.slice(11, 13)), ts: `${iso.slice(0, 10)} ${iso.slice(11, 19)}` });
    }
    for (const timestamp of ['2023-02-29T10:00:00', '2024-07-04T24:00:00', '2024-07-04T19:60:00', '2024-07-04T19:34:60', '2024-07-04T1a:34:04', '2024-07-04T19:3a:04', '2024-13-04T19:34:04', '0099-07-04T19:34:04', '1969-12-31T23:59:59', '3000-01-01T00:00:00']) {
      expect(place(timestamp)).toBe('BAD_TIMESTAMP');
    }
  });

  it('writes a row as exactly the JSON.stringify of it, whatever its strings hold', () => {
    const values = ['plain', 'quote " and \\ backslash', 'line\nbreak\ttab', 'é ü 中文 😀', '\u2028\u2029', '\u0000\u001f', ''];
    for (const text of values) {
      const parsed = parseEvent(JSON.stringify({ eventType: `x${text}`, customerId: text, productId: 7, timestamp: '2024-07-04T19:34:04.5', metadata: { category: text, other: text }, quantity: -0, totalAmount: '1.5', paymentMethod: text, [text || 'k']: text }), at, readAt);
      expect(parsed.ok).toBe(true);
      if (parsed.ok) expect(appEventLine(parsed.row)).toBe(JSON.stringify(parsed.row));
    }
  });
});
