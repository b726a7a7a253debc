import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Kafka } from 'kafkajs';
import { generateEvent, type AppEvent } from '../../lib/generate/events';
import { HiveClient } from '../../lib/hive-client';
import { createKafka, topicEndOffsets } from '../../lib/kafka';
import { silentLogger } from '../../lib/log';
import { hourPartitionDir, parseStreamFileName, parseVersionName, versionsDir } from '../../lib/pure/stream';
import { waitUntilDurable } from '../../lib/stream/commits';
import { runNamedQuery } from '../../lib/reports';
import { startStreamWorker } from '../../workers/stream-worker';
import { streamMaintenance, type StreamMaintenanceResult } from '../../workflows/stream-maintenance';
import { isolatedEnv } from '../helpers/isolated';
import { activityRunning, retriedActivities, workerTestBed } from '../helpers/worker-process';

// Stream maintenance on the real stack: events through Kafka and the stream worker into the
// streaming zone, then the streamMaintenance workflow (a worker process, Temporal, Spark, HDFS)
// into q_dwh.app_events. Expected figures are computed here from the events the test sent.

const env = isolatedEnv('maint', { QPIPE_STREAM_ROTATE_MS: '1000', QPIPE_STREAM_METRICS_PORT: '0' });
const suffix = env.QPIPE_HIVE_DATABASE!.replace(/^it_/, '');
env.QPIPE_KAFKA_TOPIC = `it_app_logs_${suffix}`;
env.QPIPE_KAFKA_DLQ_TOPIC = `it_app_logs_${suffix}.dlq`;
env.QPIPE_STREAM_GROUP = `it-maint-${suffix}`;
const bed = workerTestBed(env, 'maint-worker');
const { config, hive, hdfs } = bed;
const db = config.hive.database;
const { topic, dlqTopic } = config.kafka;
const nowMs = Date.parse('2026-11-24T12:30:00Z');
/** The maintenance slot: hours 09–11 are closed, hour 12 (the slot's own) stays live. */
const slot = '2026-11-24T12';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the test sent, valid events only, with the hour of their own timestamp (no zone: UTC). */
const sent: { event: AppEvent; hour: string }[] = [];
const hourOf = (event: AppEvent) => event.timestamp.slice(0, 13);
const closed = () => sent.filter(({ hour }) => hour < slot);

async function produce(kafka: Kafka, events: readonly AppEvent[], extra: readonly string[] = []): Promise<void> {
  // A plain producer of the company's shape: no key, no id.
  const producer = kafka.producer();
  await producer.connect();
  for (let index = 0; index < events.length; index += 500) {
    await producer.send({ topic, acks: -1, messages: events.slice(index, index + 500).map((event) => ({ value: JSON.stringify(event) })) });
  }
  if (extra.length > 0) await producer.send({ topic, acks: -1, messages: extra.map((value) => ({ value })) });
  await producer.disconnect();
  sent.push(...events.map((event) => ({ event, hour: hourOf(event) })));
}

/** Runs the stream worker until everything in the topic is durable in HDFS, then stops it. */
async function stream(kafka: Kafka): Promise<void> {
  const ends = await topicEndOffsets(kafka, topic);
  const worker = await startStreamWorker(config, kafka, hdfs, silentLogger);
  await waitUntilDurable(hdfs, config.hdfs.root, topic, ends, 90_000);
  await worker.stop();
  await worker.stopped;
}

/** A purchase of the company's shape at a given time (late events for an hour already compacted). */
function purchaseAt(index: number, timestamp: string): AppEvent {
  return { eventType: 'purchase', customerId: String(20_000 + index), productId: String(1_000 + (index % 50)), timestamp, metadata: {}, quantity: 1 + (index % 5), totalAmount: (1_000 + index * 7) / 100, paymentMethod: ['Credit Card', 'Debit Card', 'PayPal'][index % 3]! };
}

const cents = (amount: number | undefined) => Math.round((amount ?? 0) * 100);
const money = (total: number) => `${Math.trunc(total / 100)}.${String(total % 100).padStart(2, '0')}`;

describe('stream maintenance on the real stack', () => {
  const kafka = createKafka(config.kafka, silentLogger);
  let runs = 0;

  async function maintain(hour: string): Promise<StreamMaintenanceResult> {
    runs += 1;
    return bed.client.workflow.execute(streamMaintenance, { workflowId: `stream-maintenance-${hour}-${db}-${runs}`, taskQueue: config.temporal.taskQueue, args: [{ hour }] });
  }

  async function tableCounts(): Promise<{ rows: number; keys: number; byHour: Record<string, number> }> {
    const [totals] = (await hive.query<{ rows: number; keys: number }>(`SELECT count(*) AS rows, count(DISTINCT kafka_topic, kafka_partition, kafka_offset) AS keys FROM ${db}.app_events`)).rows;
    const hours = await hive.query<{ hour: string; n: number }>(`SELECT concat(CAST(event_date AS STRING), 'T', lpad(CAST(event_hour AS STRING), 2, '0')) AS hour, count(*) AS n FROM ${db}.app_events GROUP BY 1`);
    return { rows: Number(totals!.rows), keys: Number(totals!.keys), byHour: Object.fromEntries(hours.rows.map((row) => [row.hour, Number(row.n)])) };
  }

  const expectedByHour = () => closed().reduce<Record<string, number>>((counts, { hour }) => ({ ...counts, [hour]: (counts[hour] ?? 0) + 1 }), {});

  async function liveFiles(hour: string): Promise<string[]> {
    const dir = hourPartitionDir(config.hdfs.root, hour.slice(0, 10), Number(hour.slice(11, 13)));
    return (await hdfs.listIfExists(dir)).map((file) => file.name).filter((name) => parseStreamFileName(name));
  }

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2 }, { topic: dlqTopic, numPartitions: 1 }] });
    await admin.disconnect();
    await bed.open();
  });

  afterAll(async () => {
    await bed.close();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, dlqTopic] }).catch(() => undefined);
    await admin.disconnect();
  }, 120_000);

  it('compacts every closed hour into app_events exactly once, leaves the open hour live, and a rerun changes nothing', async () => {
    const events = Array.from({ length: 3_000 }, (_, index) => generateEvent('maint-it', index, { nowMs, spreadHours: 3 }));
    await produce(kafka, events, ['{not json', '{"customerId":"1","timestamp":"2026-11-24T10:00:00"}', '{"eventType":"purchase","timestamp":"noon"}']);
    await stream(kafka);
    const closedHours = Object.keys(expectedByHour()).sort();
    expect(closedHours).toEqual(['2026-11-24T09', '2026-11-24T10', '2026-11-24T11']);

    const result = await maintain(slot);
    expect(result.compacted.map(({ eventDate, eventHour, outcome, version }) => [`${eventDate}T${String(eventHour).padStart(2, '0')}`, outcome, version])).toEqual(
      closedHours.map((hour) => [hour, 'added', 1]),
    );
    const counts = await tableCounts();
    expect(counts).toEqual({ rows: closed().length, keys: closed().length, byHour: expectedByHour() });
    for (const hour of closedHours) expect(await liveFiles(hour)).toEqual([]);
    // An emptied live directory is removed, so listing the zone stays cheap.
    expect(await hdfs.exists(hourPartitionDir(config.hdfs.root, '2026-11-24', 9))).toBe(false);
    expect((await liveFiles(slot)).length).toBeGreaterThan(0);
    // One Parquet file per hour at this size.
    const version = await hdfs.list(`${versionsDir(config.hdfs.root, '2026-11-24', 10)}/v1`);
    expect(version.filter((file) => file.name.endsWith('.parquet'))).toHaveLength(1);

    const again = await maintain(slot);
    expect(again.compacted).toEqual([]);
    expect(await tableCounts()).toEqual(counts);
  }, 600_000);

  it('answers the four streaming queries as an independent computation over the events sent', async () => {
    const purchases = closed().filter(({ event }) => event.eventType === 'purchase');
    const byMethod = new Map<string, { total: number; purchases: number }>();
    const byCustomer = new Map<string, { total: number; purchases: number }>();
    const byHour = new Map<string, { total: number; purchases: number }>();
    for (const { event, hour } of purchases) {
      for (const [map, key] of [[byMethod, event.paymentMethod!], [byCustomer, event.customerId], [byHour, hour]] as const) {
        const entry = map.get(key) ?? { total: 0, purchases: 0 };
        map.set(key, { total: entry.total + cents(event.totalAmount), purchases: entry.purchases + 1 });
      }
    }
    const categories = new Map<string, number>();
    for (const { event } of closed()) if (event.metadata.category) categories.set(event.metadata.category, (categories.get(event.metadata.category) ?? 0) + 1);

    const query = async (name: string, options = {}) => (await runNamedQuery(hive, db, name, options)).rows;
    expect(await query('sales-by-payment-method')).toEqual(
      [...byMethod].sort(([a, x], [b, y]) => y.total - x.total || a.localeCompare(b)).map(([method, { total, purchases: n }]) => ({ payment_method: method, total_sales: money(total), purchases: n })),
    );
    expect(await query('popular-categories')).toEqual([...categories].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).map(([category, events]) => ({ category, events })));
    expect(await query('revenue-by-customer', { limit: 10 })).toEqual(
      [...byCustomer]
        .sort(([a, x], [b, y]) => y.total - x.total || (a < b ? -1 : 1))
        .slice(0, 10)
        .map(([customer, { total, purchases: n }]) => ({ customer_id: customer, total_revenue: money(total), purchases: n })),
    );
    expect(await query('hourly-sales', { date: '2026-11-24' })).toEqual(
      [...byHour].sort(([a], [b]) => a.localeCompare(b)).map(([hour, { total, purchases: n }]) => ({ event_date: hour.slice(0, 10), event_hour: Number(hour.slice(11)), total_sales: money(total), purchases: n })),
    );
    expect(await query('hourly-sales', { date: '2026-11-23' })).toEqual([]);
  }, 300_000);

  it('switches an hour with late events to a new version: a concurrent reader sees the old rows or the new, and crash leftovers do not double a row', async () => {
    const hour = '2026-11-24T10';
    const before = (await tableCounts()).byHour[hour]!;
    // The leftovers of two crashes: an unfinished version directory (crash before the switch) …
    const versions = versionsDir(config.hdfs.root, '2026-11-24', 10);
    await hdfs.create(`${versions}/v2/part-00000-unfinished.parquet`, 'not parquet');
    // … and, after the late events are streamed, a live file put back (crash after the switch, before the deletes).
    const late = Array.from({ length: 150 }, (_, index) => purchaseAt(index, `2026-11-24T10:${String(index % 60).padStart(2, '0')}:30`));
    await produce(kafka, late);
    await stream(kafka);
    const [lateFile] = await liveFiles(hour);
    const lateContent = await hdfs.readBytes(`${hourPartitionDir(config.hdfs.root, '2026-11-24', 10)}/${lateFile}`);

    const reader = new HiveClient(config.hive, silentLogger);
    await reader.connect();
    const seen = new Set<number>();
    let reading = true;
    const reads = (async () => {
      while (reading) {
        const [row] = (await reader.query<{ n: number }>(`SELECT count(*) AS n FROM ${db}.app_events WHERE event_date = DATE'2026-11-24' AND event_hour = 10`)).rows;
        seen.add(Number(row!.n));
      }
    })();
    const result = await maintain(slot);
    reading = false;
    await reads;
    await reader.close();

    expect(result.compacted.map(({ eventHour, outcome, version, rowsBefore, rows }) => ({ eventHour, outcome, version, rowsBefore, rows }))).toEqual([
      { eventHour: 10, outcome: 'replaced', version: 3, rowsBefore: before, rows: before + late.length },
    ]);
    expect([...seen].every((n) => n === before || n === before + late.length)).toBe(true);
    expect(seen.size).toBeGreaterThan(0);
    // The unfinished v2 is gone; v1 stays one cycle for readers that planned on it.
    expect((await hdfs.list(versions)).map((entry) => parseVersionName(entry.name)).sort()).toEqual([1, 3]);

    // The crash between the switch and the deletes: the late file is back, already in v3.
    await hdfs.create(`${hourPartitionDir(config.hdfs.root, '2026-11-24', 10)}/${lateFile}`, lateContent);
    const rerun = await maintain(slot);
    expect(rerun.compacted.map(({ eventHour, rows }) => ({ eventHour, rows }))).toEqual([{ eventHour: 10, rows: before + late.length }]);
    expect(await tableCounts()).toEqual({ rows: closed().length, keys: closed().length, byHour: expectedByHour() });
    expect(await liveFiles(hour)).toEqual([]);
  }, 600_000);

  it('a maintenance run whose worker is killed midway, then restarted, leaves every row exactly once', async () => {
    // Late events in every closed hour, so the run has several hours to compact.
    const late = Array.from({ length: 600 }, (_, index) => purchaseAt(1_000 + index, `2026-11-24T${['09', '10', '11'][index % 3]}:${String(index % 60).padStart(2, '0')}:10`));
    await produce(kafka, late);
    await stream(kafka);

    runs += 1;
    const handle = await bed.client.workflow.start(streamMaintenance, { workflowId: `stream-maintenance-${slot}-${db}-${runs}`, taskQueue: config.temporal.taskQueue, args: [{ hour: slot }] });
    // The kill lands inside a compaction, the first, second or third at random, after a short random delay.
    await activityRunning(handle, 'compactStreamHour', 1 + Math.floor(Math.random() * 3));
    await sleep(Math.floor(Math.random() * 250));
    await bed.killWorker();
    const result = await handle.result();
    expect(result.compacted.length).toBeGreaterThan(0);
    // The kill interrupted a compaction: the server timed its attempt out and the new worker ran it again.
    expect(await retriedActivities(handle)).toEqual(['compactStreamHour']);

    expect(await tableCounts()).toEqual({ rows: closed().length, keys: closed().length, byHour: expectedByHour() });
    for (const hour of ['2026-11-24T09', '2026-11-24T10', '2026-11-24T11']) expect(await liveFiles(hour)).toEqual([]);
    const settled = await maintain(slot);
    expect(settled.compacted).toEqual([]);
  }, 900_000);

  it('the full repair re-registers an hour the metastore lost and drops one whose versions are gone', async () => {
    const counts = await tableCounts();
    await hive.execute(`ALTER TABLE ${db}.app_events DROP PARTITION (event_date = '2026-11-24', event_hour = 9)`);
    await hive.execute(`ALTER TABLE ${db}.app_events ADD PARTITION (event_date = '2026-11-23', event_hour = 5) LOCATION '${versionsDir(config.hdfs.root, '2026-11-23', 5)}/v1'`);
    expect((await tableCounts()).byHour['2026-11-24T09']).toBeUndefined();

    runs += 1;
    const result = await bed.client.workflow.execute(streamMaintenance, { workflowId: `stream-maintenance-${slot}-${db}-${runs}`, taskQueue: config.temporal.taskQueue, args: [{ hour: slot, fullRepair: true }] });
    expect(result.repaired).toEqual({ registered: 1, dropped: 1 });
    expect(await tableCounts()).toEqual(counts);
  }, 300_000);

  it('takes records at every boundary: what cannot be an event is a dead letter with its reason, the stream goes on, and compaction reads every row the worker wrote', async () => {
    const at = '2026-11-24T08:15:00';
    const edge = (n: number, fields: Record<string, unknown>, timestamp = at) => JSON.stringify({ eventType: 'purchase', customerId: `edge-${n}`, timestamp, ...fields });
    const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
    // Valid records, each with the columns and `extra` it must end with (the rule: a value out of its
    // column's range is NULL there and kept in `extra`).
    const kept: [string, { quantity: number | null; total_amount: string | null; extra: unknown }][] = [
      [edge(1, { quantity: 2_147_483_647, totalAmount: 99_999_999.99 }), { quantity: 2_147_483_647, total_amount: '99999999.99', extra: null }],
      [edge(2, { quantity: -2_147_483_648, totalAmount: -99_999_999.99 }), { quantity: -2_147_483_648, total_amount: '-99999999.99', extra: null }],
      [edge(3, { quantity: 2_147_483_648, totalAmount: 100_000_000 }), { quantity: null, total_amount: null, extra: { quantity: 2_147_483_648, totalAmount: 100_000_000 } }],
      [edge(4, { quantity: 3_000_000_000 }), { quantity: null, total_amount: null, extra: { quantity: 3_000_000_000 } }],
      [edge(5, { quantity: -2_147_483_649, totalAmount: '12.345' }), { quantity: null, total_amount: '12.35', extra: { quantity: -2_147_483_649 } }],
      ['{"eventType":"purchase","customerId":"edge-6","timestamp":"2026-11-24T08:15:00","__proto__":{"admin":true},"metadata":{"__proto__":1}}', { quantity: null, total_amount: null, extra: { ['__proto__']: { admin: true }, 'metadata.__proto__': 1 } }],
      [edge(7, {}, '1970-01-01T00:00:00Z'), { quantity: null, total_amount: null, extra: null }],
      [edge(8, {}, '2026-11-24T02:15:00-06:00'), { quantity: null, total_amount: null, extra: null }],
    ];
    const refused: [string, string][] = [
      [edge(10, {}, '9999-12-31T23:30:00-01:00'), 'BAD_TIMESTAMP'],
      [edge(11, {}, '2026-11-24T08:15:00+99:99'), 'BAD_TIMESTAMP'],
      [edge(12, {}, '2026-11-24T08:15:00+18:01'), 'BAD_TIMESTAMP'],
      [edge(13, {}, '1969-12-31T23:59:59Z'), 'BAD_TIMESTAMP'],
      [edge(14, {}, '3000-01-01T00:00:00Z'), 'BAD_TIMESTAMP'],
      // Nesting JSON.parse takes and JSON.stringify cannot (a RangeError), at the top and in metadata.
      [`{"eventType":"purchase","customerId":"edge-15","timestamp":"${at}","deep":${deep(100_000)}}`, 'UNSUPPORTED_VALUE'],
      [`{"eventType":"purchase","customerId":"edge-16","timestamp":"${at}","metadata":{"deep":${deep(100_000)}}}`, 'UNSUPPORTED_VALUE'],
    ];
    // The boundary records first, then ordinary events behind them: those must flow through too.
    const after = Array.from({ length: 40 }, (_, index) => purchaseAt(5_000 + index, `2026-11-24T08:${String(index).padStart(2, '0')}:45`));
    await produce(kafka, [], [...kept.map(([value]) => value), ...refused.map(([value]) => value)]);
    await produce(kafka, after);
    await stream(kafka);
    await maintain(slot);

    const rows = await hive.query<{ customer_id: string; quantity: number | null; total_amount: string | null; extra: string | null }>(
      `SELECT customer_id, quantity, CAST(total_amount AS STRING) AS total_amount, extra FROM ${db}.app_events WHERE customer_id LIKE 'edge-%'`,
    );
    const byCustomer = new Map(rows.rows.map((row) => [row.customer_id, { quantity: row.quantity === null ? null : Number(row.quantity), total_amount: row.total_amount, extra: row.extra === null ? null : (JSON.parse(row.extra) as unknown) }]));
    expect(Object.fromEntries([...byCustomer].sort(([a], [b]) => a.localeCompare(b)))).toEqual(Object.fromEntries(kept.map(([value, row]) => [(JSON.parse(value) as { customerId: string }).customerId, row]).sort(([a], [b]) => String(a).localeCompare(String(b)))));
    expect(await tableCounts()).toEqual({ rows: closed().length + kept.length, keys: closed().length + kept.length, byHour: { ...expectedByHour(), '1970-01-01T00': 1, '2026-11-24T08': (expectedByHour()['2026-11-24T08'] ?? 0) + kept.length - 1 } });

    const dlq = kafka.consumer({ groupId: `it-dlq-edge-${suffix}` });
    await dlq.connect();
    await dlq.subscribe({ topic: dlqTopic, fromBeginning: true });
    const letters: [string, string][] = [];
    await dlq.run({
      eachMessage: async ({ message }) => {
        const value = message.value?.toString() ?? '';
        if (value.includes('"customerId":"edge-')) letters.push([value, message.headers!['qpipe.reason']!.toString()]);
      },
    });
    for (let waited = 0; letters.length < refused.length && waited < 30_000; waited += 200) await sleep(200);
    await dlq.disconnect();
    expect(letters.sort()).toEqual([...refused].sort());
  }, 600_000);

  it('records the app_events checks of each compacted hour under stream:<hour>; the dead-letter rate counts the hour by Kafka time', async () => {
        const at = (minute: number) => `2026-11-24T07:${String(minute).padStart(2, '0')}:30`;
    const valid = [
      ...Array.from({ length: 90 }, (_, index) => JSON.stringify(purchaseAt(7_000 + index, at(index % 60)))),
      JSON.stringify({ eventType: 'purchase', productId: '1', timestamp: at(1), quantity: 1, totalAmount: 2 }),
      JSON.stringify({ eventType: 'purchase', productId: '2', timestamp: at(2), quantity: 1, totalAmount: 2 }),
      JSON.stringify({ eventType: 'refund', customerId: '7', timestamp: at(3) }),
      JSON.stringify({ ...purchaseAt(7_100, at(4)), coupon: 'XMAS' }),
    ];
    const broken = Array.from({ length: 6 }, (_, index) => `{not json ${index}`);
    // Sent now, as a backfill of the 07 hour would be: by Kafka time (processing time, what the dead-
    // letter rate counts) neither the records nor their letters are the 07 hour's. The counting itself
    // is test/integration/kafka.test.ts's "counts the records stamped within an hour".
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [...valid, ...broken].map((value) => ({ value })) });
    await producer.disconnect();
    await stream(kafka);
    const result = await maintain(slot);
    expect(result.audited).toEqual([{ auditId: 'stream:2026-11-24T07', checks: { pass: 2, warn: 2, fail: 0, error: 0 } }]);

    const rows = await hive.query<{ check_name: string; status: string; observed: number; failing_rows: number; rows_checked: number }>(
      `SELECT check_name, status, observed, failing_rows, rows_checked FROM ${db}.dq_results WHERE batch_id = 'stream:2026-11-24T07' ORDER BY check_name`,
    );
    const [letterRate] = (await hive.query(`SELECT message FROM ${db}.dq_results WHERE batch_id = 'stream:2026-11-24T07' AND check_name = 'dead_letter_rate'`)).rows;
    expect(letterRate).toEqual({ message: '0 dead letters of 0 records in the hour' });
    expect(rows.rows.map((row) => ({ ...row, failing_rows: Number(row.failing_rows), rows_checked: Number(row.rows_checked) }))).toEqual([
      { check_name: 'dead_letter_rate', status: 'pass', observed: 0, failing_rows: 0, rows_checked: 94 },
      { check_name: 'event_type_known', status: 'warn', observed: 1, failing_rows: 1, rows_checked: 94 },
      { check_name: 'purchase_has_customer', status: 'warn', observed: Math.round((2 / 94) * 1e6) / 1e6, failing_rows: 2, rows_checked: 94 },
      { check_name: 'unknown_fields', status: 'pass', observed: Math.round((1 / 94) * 1e6) / 1e6, failing_rows: 1, rows_checked: 94 },
    ]);
    // Every row records the event contract's version it was validated against.
    const versions = await hive.query(`SELECT schema_version, count(*) AS n FROM ${db}.app_events WHERE event_date = '2026-11-24' AND event_hour = 7 GROUP BY schema_version`);
    expect(versions.rows.map((row) => ({ schema_version: row.schema_version, n: Number(row.n) }))).toEqual([{ schema_version: 1, n: 94 }]);
    const failed = await hive.query(`SELECT check_name, value FROM ${db}.dq_failed_rows WHERE batch_id = 'stream:2026-11-24T07' AND check_name = 'event_type_known'`);
    expect(failed.rows).toEqual([{ check_name: 'event_type_known', value: 'refund' }]);

    // The other hours' audits, from the earlier tests: the generated events of 10 pass every check; in
    // 08 the boundary records 3-6 carry fields in extra, 4 of its 47 rows (7 boundary rows, 40 purchases).
    const statuses = async (auditId: string) =>
      Object.fromEntries((await hive.query<{ check_name: string; status: string; failing_rows: number; rows_checked: number }>(`SELECT check_name, status, failing_rows, rows_checked FROM ${db}.dq_results WHERE batch_id = '${auditId}'`)).rows.map((row) => [row.check_name, [row.status, Number(row.failing_rows), Number(row.rows_checked)]]));
    const rowsOf10 = (await tableCounts()).byHour['2026-11-24T10']!;
    expect(await statuses('stream:2026-11-24T10')).toEqual({
      dead_letter_rate: ['pass', 0, rowsOf10],
      purchase_has_customer: ['pass', 0, rowsOf10],
      event_type_known: ['pass', 0, rowsOf10],
      unknown_fields: ['pass', 0, rowsOf10],
    });
    expect(await statuses('stream:2026-11-24T08')).toEqual({
      dead_letter_rate: ['pass', 0, 47],
      purchase_has_customer: ['pass', 0, 47],
      event_type_known: ['pass', 0, 47],
      unknown_fields: ['warn', 4, 47],
    });
  }, 600_000);
});
