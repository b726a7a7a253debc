import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BatchRecord, BatchSource, ParsedBatch } from './parse-batch';

/**
 * A worker thread that runs {@link parseBatch} (parse-thread-main.ts), so the stream worker's main
 * thread fetches and decodes the next batch while this one validates, flattens and gzips the last.
 * Batches are parsed in the order they are handed in. The values go over as one buffer (one copy),
 * the gzip members come back transferred.
 */
export class ParseThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (parsed: ParsedBatch) => void; reject: (error: Error) => void }>();
  private next = 0;
  private failure: Error | undefined;

  constructor() {
    // The thread runs TypeScript through tsx's CommonJS hook (the CLI's loader does not reach threads).
    const main = path.join(__dirname, 'parse-thread-main.ts');
    this.worker = new Worker(`require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(main)});`, { eval: true });
    this.worker.on('message', ({ id, parsed }: { id: number; parsed: ParsedBatch }) => {
      const waiter = this.waiting.get(id);
      this.waiting.delete(id);
      waiter?.resolve(parsed);
    });
    const fail = (error: Error) => {
      this.failure ??= error;
      for (const { reject } of this.waiting.values()) reject(error);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the parse thread exited (${code})`)));
    // An idle thread does not keep the process alive.
    this.worker.unref();
  }

  /** Parses `records` on the thread: what parseBatch(records, source) returns. */
  parse(records: readonly BatchRecord[], source: BatchSource): Promise<ParsedBatch> {
    if (this.failure) return Promise.reject(this.failure);
    const lengths = new Int32Array(records.length);
    let total = 0;
    for (let index = 0; index < records.length; index += 1) {
      const value = records[index]!.value;
      lengths[index] = value === null ? -1 : value.length;
      total += value?.length ?? 0;
    }
    const values = Buffer.allocUnsafeSlow(total);
    let at = 0;
    for (const { value } of records) if (value !== null) at += value.copy(values, at);
    const id = this.next++;
    const offsets = records.map((record) => record.offset);
    return new Promise<ParsedBatch>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, offsets, lengths, values, source }, [values.buffer, lengths.buffer]);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
