import { describe, expect, it } from '@jest/globals';
import { generateEvent } from '../../lib/generate/events';
import { parseEvent } from '../../lib/pure/events';

const nowMs = Date.parse('2026-11-24T12:30:00Z');
const position = { topic: 'app_logs', partition: 0, offset: '0' };

describe('generated app-log events', () => {
  const events = Array.from({ length: 2_000 }, (_, index) => generateEvent('seed', index, { nowMs, spreadHours: 3 }));

  it("have exactly the producer's fields for their type, within the spec's ranges", () => {
    const keysByType: Record<string, string> = {
      productView: 'customerId,eventType,metadata,productId,timestamp',
      addToCart: 'customerId,eventType,metadata,productId,quantity,timestamp',
      purchase: 'customerId,eventType,metadata,paymentMethod,productId,quantity,timestamp,totalAmount',
      recommendationClick: 'algorithm,customerId,eventType,metadata,productId,recommendedProductId,timestamp',
    };
    for (const event of events) {
      expect(Object.keys(event).sort().join(',')).toBe(keysByType[event.eventType]);
      expect(Number(event.customerId)).toBeGreaterThanOrEqual(10_000);
      expect(Number(event.customerId)).toBeLessThanOrEqual(99_999);
      expect(event.productId).toMatch(/^[1-9]\d{3}$/);
      expect(event.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
      if (event.eventType === 'productView') expect(Object.keys(event.metadata).sort()).toEqual(['category', 'source']);
      else expect(event.metadata).toEqual({});
      if (event.quantity !== undefined) expect([1, 2, 3, 4, 5]).toContain(event.quantity);
      if (event.totalAmount !== undefined) expect(Math.round(event.totalAmount * 100) / 100).toBe(event.totalAmount);
    }
    expect(new Set(events.map((event) => event.eventType)).size).toBe(4);
  });

  it('spread their times over the past hours, and are all valid for the stream worker', () => {
    const hours = new Set<string>();
    for (const event of events) {
      const parsed = parseEvent(JSON.stringify(event), position, nowMs);
      expect(parsed.ok).toBe(true);
      if (parsed.ok) hours.add(`${parsed.hour.eventDate}T${parsed.hour.eventHour}`);
      expect(Date.parse(`${event.timestamp}Z`)).toBeLessThanOrEqual(nowMs);
      expect(Date.parse(`${event.timestamp}Z`)).toBeGreaterThanOrEqual(nowMs - 3 * 3_600_000);
    }
    expect([...hours].sort()).toEqual(['2026-11-24T10', '2026-11-24T11', '2026-11-24T12', '2026-11-24T9']);
  });

  it('are the same for the same seed and index', () => {
    expect(generateEvent('seed', 7, { nowMs, spreadHours: 3 })).toEqual(events[7]);
    expect(generateEvent('other', 7, { nowMs, spreadHours: 3 })).not.toEqual(events[7]);
  });
});
