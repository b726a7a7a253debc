import { parentPort } from 'node:worker_threads';
import { parseBatch, type BatchRecord, type BatchSource } from './parse-batch';

// The parse thread's side of parse-thread.ts: rebuilds the batch's records over the one buffer of
// values, parses them, and sends the gzip members back by transfer.

interface Request {
  readonly id: number;
  readonly offsets: readonly string[];
  readonly lengths: Int32Array;
  readonly values: Uint8Array;
  readonly source: BatchSource;
}

parentPort!.on('message', ({ id, offsets, lengths, values, source }: Request) => {
  const all = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const records: BatchRecord[] = new Array(offsets.length);
  let at = 0;
  for (let index = 0; index < offsets.length; index += 1) {
    const length = lengths[index]!;
    records[index] = { offset: offsets[index]!, value: length < 0 ? null : all.subarray(at, at + length), key: null };
    if (length > 0) at += length;
  }
  const parsed = parseBatch(records, source);
  // Each member goes over in a buffer of its own size, moved, not cloned with zlib's larger backing buffer.
  const hours = parsed.hours.map((hour) => ({ ...hour, gzip: new Uint8Array(hour.gzip) }));
  parentPort!.postMessage({ id, parsed: { ...parsed, hours } }, hours.map((hour) => hour.gzip.buffer));
});
