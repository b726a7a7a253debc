import { createRandom } from '../pure/random';

/**
 * App-log events of exactly the company producer's shape (specs/events.md): the common fields, the
 * fields of each event type, no key and no id. Deterministic for a seed: event `index` of a seed is
 * always the same event, so a test can recompute what a producer sent.
 */

export const eventTypes = ['productView', 'addToCart', 'purchase', 'recommendationClick'] as const;
export type EventType = (typeof eventTypes)[number];

const categories = ['Electronics', 'Clothing', 'Home & Kitchen', 'Books'] as const;
const sources = ['Advertisement', 'Search', 'Direct'] as const;
const paymentMethods = ['Credit Card', 'Debit Card', 'PayPal'] as const;
const algorithms = ['collaborative_filtering', 'content_based'] as const;

export interface AppEvent {
  readonly eventType: EventType;
  readonly customerId: string;
  readonly productId: string;
  readonly timestamp: string;
  readonly metadata: { readonly category?: string; readonly source?: string };
  readonly quantity?: number;
  readonly totalAmount?: number;
  readonly paymentMethod?: string;
  readonly recommendedProductId?: string;
  readonly algorithm?: string;
}

export interface EventTimeOptions {
  /** The newest event time (epoch ms), usually the moment of producing. */
  readonly nowMs: number;
  /** Spread event times uniformly over this many past hours (0: all within the last minute). */
  readonly spreadHours: number;
}

/** `YYYY-MM-DDTHH:MM:SS`, no zone (UTC), as the company producer writes it. */
export function producerTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 19);
}

/** Event number `index` of `seed`, its time within the spread before `nowMs`. */
export function generateEvent(seed: string | number, index: number, { nowMs, spreadHours }: EventTimeOptions): AppEvent {
  const random = createRandom(seed, 'event', index);
  const eventType = random.pick(eventTypes);
  const spreadMs = Math.max(60_000, spreadHours * 3_600_000);
  const common = {
    eventType,
    customerId: String(random.int(10_000, 99_999)),
    productId: String(random.int(1_000, 9_999)),
    timestamp: producerTimestamp(nowMs - random.int(0, spreadMs - 1)),
  };
  switch (eventType) {
    case 'productView':
      return { ...common, metadata: { category: random.pick(categories), source: random.pick(sources) } };
    case 'addToCart':
      return { ...common, metadata: {}, quantity: random.int(1, 5) };
    case 'purchase':
      return { ...common, metadata: {}, quantity: random.int(1, 5), totalAmount: random.int(1_000, 50_000) / 100, paymentMethod: random.pick(paymentMethods) };
    case 'recommendationClick':
      return { ...common, metadata: {}, recommendedProductId: String(random.int(1_000, 9_999)), algorithm: random.pick(algorithms) };
  }
}
