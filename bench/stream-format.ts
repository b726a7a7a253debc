// The stream worker's file-format choice, measured: the same app events, validated and flattened
// into app_events rows (parseEvent), encoded on the worker's one thread as (a) JSON lines, (b) the
// gzip (level 1) JSON lines it writes, and (c) Parquet (hyparquet-writer, a pure-JS writer: what a
// Node worker could use),
// flush by flush at the size a default 60 s rotation gives at 2,000 events/s on 3 partitions
// (about 40,000 rows per partition). Prints rows/s of each encoding, the bytes, and the ratio.
// The encoding is the worker's own CPU cost per flush, on top of reading and validating; the
// upload of either is a few tens of milliseconds. Usage: npx tsx bench/stream-format.ts [rows]
import { generateEvent } from '../lib/generate/events';
import { gzipSync } from 'node:zlib';
import { appEventLine, parseEvent, type AppEventRow } from '../lib/pure/events';
import { gzipLevel, JsonLines } from '../lib/stream/parse-batch';

const rowsPerFlush = 40_000;
const total = Number(process.argv[2] ?? 200_000);

function rows(): AppEventRow[] {
  const nowMs = Date.now();
  return Array.from({ length: total }, (_, index) => {
    const parsed = parseEvent(Buffer.from(JSON.stringify(generateEvent('format-bench', index, { nowMs, spreadHours: 3 }))), { topic: 'app_logs', partition: 0, offset: String(index) }, nowMs);
    if (!parsed.ok) throw new Error(`event ${index} did not validate`);
    return parsed.row;
  });
}

/** As the worker writes them (lib/stream/parse-batch.ts): each row's line straight into a growing buffer. */
function jsonLines(batch: readonly AppEventRow[]): Buffer {
  const lines = new JsonLines();
  for (const row of batch) lines.append(appEventLine(row));
  return lines.content();
}

type ParquetWriteBuffer = (options: { columnData: { name: string; data: unknown[]; type?: string }[] }) => ArrayBuffer;

function parquet(write: ParquetWriteBuffer, batch: readonly AppEventRow[]): number {
  const column = <K extends keyof AppEventRow>(name: K, type: string, map: (value: AppEventRow[K]) => unknown = (value) => value) => ({ name, type, data: batch.map((row) => map(row[name])) });
  const timestamp = (text: string | null) => (text === null ? null : new Date(`${text.replace(' ', 'T')}Z`));
  return write({
    columnData: [
      column('event_type', 'STRING'),
      column('customer_id', 'STRING'),
      column('product_id', 'STRING'),
      column('event_ts', 'TIMESTAMP', timestamp),
      column('category', 'STRING'),
      column('source', 'STRING'),
      column('quantity', 'INT32'),
      column('total_amount', 'STRING'),
      column('payment_method', 'STRING'),
      column('recommended_product_id', 'STRING'),
      column('algorithm', 'STRING'),
      column('extra', 'STRING'),
      column('kafka_topic', 'STRING'),
      column('kafka_partition', 'INT32'),
      column('kafka_offset', 'INT64', (offset) => BigInt(offset)),
      column('ingested_at', 'TIMESTAMP', timestamp),
    ],
  }).byteLength;
}

function measure(name: string, encode: (batch: readonly AppEventRow[]) => number, all: readonly AppEventRow[]): number {
  encode(all.slice(0, rowsPerFlush)); // warm-up
  const started = process.hrtime.bigint();
  let bytes = 0;
  for (let index = 0; index < all.length; index += rowsPerFlush) bytes += encode(all.slice(index, index + rowsPerFlush));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rate = all.length / seconds;
  console.log(`${`format.${name}.rows_per_s`.padEnd(32)} ${Math.round(rate).toLocaleString('en-US').padStart(10)} rows/s  ${(bytes / 2 ** 20).toFixed(1)} MiB for ${all.length.toLocaleString('en-US')} rows (${Math.round(bytes / all.length)} B/row), ${rowsPerFlush.toLocaleString('en-US')} rows per flush`);
  return rate;
}

async function main(): Promise<void> {
  const { parquetWriteBuffer } = (await import('hyparquet-writer')) as unknown as { parquetWriteBuffer: ParquetWriteBuffer };
  const all = rows();
  measure('jsonl', (batch) => jsonLines(batch).length, all);
  const gzipped = measure('jsonl_gzip1', (batch) => gzipSync(jsonLines(batch), { level: gzipLevel }).length, all);
  const parquetRate = measure('parquet', (batch) => parquet(parquetWriteBuffer, batch), all);
  console.log(`${'ratio.jsonl_gzip1_to_parquet'.padEnd(32)} ${(gzipped / parquetRate).toFixed(2).padStart(10)} x       encoding throughput on the worker's thread (the live files are gzip JSON lines)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
