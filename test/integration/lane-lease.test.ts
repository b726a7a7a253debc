import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@temporalio/client';
import { HdfsClient } from '../../lib/hdfs-client';
import { withHive } from '../../lib/hive-client';
import { HdfsLease, LeaseLostError } from '../../lib/lane-lease';
import { createLogger, silentLogger } from '../../lib/log';
import { manifestPath, type BatchManifest } from '../../lib/pure/batch';
import { createTemporalClient } from '../../lib/temporal';
import { createQpipeWorker, type QpipeWorker } from '../../workers/temporal-worker';
import { hourlyBatch } from '../../workflows/hourly-batch';
import { isolatedConfig } from '../helpers/isolated';
import { landRealGroup } from '../helpers/warehouse';

// The batch lane across workers (issue 11, item 13): the lease on the real HDFS, then two real
// qpipe workers on one task queue running two hourly batches at once.

const config = isolatedConfig('lane');
const hdfs = new HdfsClient(config.hdfs, silentLogger);
const dir = `${config.hdfs.root}/_test_lease`;
const lease = (ttlMs = 3_000) => new HdfsLease(hdfs, { dir, ttlMs, pollMs: 100 }, silentLogger);

describe('the lane lease', () => {
  let client: Client;

  beforeAll(async () => {
    client = await createTemporalClient(config.temporal);
  });

  afterAll(async () => {
    await client.connection.close();
    await withHive(config.hive, silentLogger, (hive) => hive.execute(`DROP DATABASE IF EXISTS ${config.hive.database} CASCADE`));
    await hdfs.delete(config.hdfs.root, { recursive: true }).catch(() => undefined);
  }, 120_000);

  it('lets one holder in at a time: a second waits until the first releases, generations only grow, and a holder that froze past its ttl is fenced out', async () => {
    const [a, b, c] = [lease(), lease(), lease()];
    const held = await a.acquire('A');
    let waited = 0;
    let bHeld: { generation: number; confirmedUntil: number } | undefined;
    const bTaking = b.acquire('B', () => (waited += 1)).then((taken) => (bHeld = taken));
    await sleep(1_000);
    expect(bHeld).toBeUndefined();
    expect(waited).toBeGreaterThan(3);
    await a.release(held.generation, 'A');
    await bTaking;
    // The released file stays (expired) until a newer holder takes over: the next generation is higher.
    expect(bHeld!.generation).toBe(held.generation + 1);
    expect((await hdfs.listIfExists(dir)).map((entry) => entry.name)).toEqual([`lease-${String(bHeld!.generation).padStart(12, '0')}.json`]);
    await expect(a.check(held.generation)).rejects.toBeInstanceOf(LeaseLostError);
    await b.check(bHeld!.generation);

    // b stops renewing (a frozen process): c takes over once the 3 s expire, and b is fenced out.
    const started = Date.now();
    const cHeld = await c.acquire('C');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(cHeld.generation).toBe(bHeld!.generation + 1);
    await expect(b.check(bHeld!.generation)).rejects.toBeInstanceOf(LeaseLostError);
    await expect(b.renew(bHeld!.generation, 'B', bHeld!.confirmedUntil)).rejects.toBeInstanceOf(LeaseLostError);
    await b.release(bHeld!.generation, 'B');
    await c.check(cHeld.generation);
    // A renewal right after the take-over extends it; b's release changed nothing of c's.
    expect(await c.renew(cHeld.generation, 'C', cHeld.confirmedUntil)).toBeGreaterThan(cHeld.confirmedUntil);
    await c.release(cHeld.generation, 'C');
    const [last] = await hdfs.listIfExists(dir);
    expect(JSON.parse(await hdfs.readText(last!.path))).toMatchObject({ owner: c.owner, expiresAt: 0 });
  }, 60_000);

  it('hold() runs works of many holders one at a time, renewing past the ttl', async () => {
    const intervals: [number, number][] = [];
    const work = async () => {
      const start = Date.now();
      await sleep(3_000);
      intervals.push([start, Date.now()]);
    };
    // ttl 2 s: each 3 s work outlives it, so only the renewal keeps the others out.
    await Promise.all([1, 2, 3].map((n) => lease(2_000).hold(`work ${n}`, work)));
    intervals.sort(([x], [y]) => x - y);
    expect(intervals).toHaveLength(3);
    for (let index = 1; index < intervals.length; index += 1) expect(intervals[index]![0]).toBeGreaterThanOrEqual(intervals[index - 1]![1]);
  }, 60_000);

  it('two workers of one deployment run two hourly batches at once without ever running two batch activities together', async () => {
    landRealGroup(config.dirs.landing, 1);
    const logs = mkdtempSync(path.join(tmpdir(), 'qpipe-lane-'));
    const workers: QpipeWorker[] = [];
    for (const name of ['one', 'two']) workers.push(await createQpipeWorker(config, createLogger('info', { worker: name }, path.join(logs, `${name}.log`))));
    const hours = ['2026-01-01T01', '2026-01-01T02'];
    const runs = Promise.all(hours.map((hour) => client.workflow.execute(hourlyBatch, { workflowId: `hourly-batch-${hour}-${config.hive.database}`, taskQueue: config.temporal.taskQueue, args: [{ hour }] })));
    await Promise.all(workers.map((worker) => worker.runUntil(runs)));
    for (const worker of workers) await worker.close();

    // Each batch activity's span, from each worker's own log lines: an ingest from its start to its
    // end, each process step from its duration.
    type Line = { worker: string; msg: string; time: string; batchId?: string; ms?: number; step?: string };
    const spans: { worker: string; what: string; start: number; end: number }[] = [];
    for (const name of ['one', 'two']) {
      const lines = readFileSync(path.join(logs, `${name}.log`), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Line);
      let ingest: number | undefined;
      for (const line of lines) {
        const at = Date.parse(line.time);
        if (line.msg === 'ingest started') ingest = at;
        else if (ingest !== undefined && ['batch committed', 'batch already committed; finished its local moves', 'hour older than a committed batch; nothing ingested'].includes(line.msg)) {
          spans.push({ worker: name, what: `ingest ${line.batchId}`, start: ingest, end: at });
          ingest = undefined;
        } else if (line.msg === 'process step done') spans.push({ worker: name, what: `${line.step} ${line.batchId}`, start: at - line.ms!, end: at });
      }
    }
    expect(spans.filter((span) => span.what.startsWith('ingest')).map((span) => span.worker).sort()).toEqual(['one', 'two']);
    // The batch was processed, so its steps' spans are there to compare too.
    expect(spans.filter((span) => span.what.startsWith('fact ')).length).toBeGreaterThan(0);
    spans.sort((x, y) => x.start - y.start);
    const overlaps = spans.flatMap((span, index) => spans.slice(index + 1).filter((other) => other.worker !== span.worker && other.start < span.end).map((other) => `${span.worker} ${span.what} and ${other.worker} ${other.what}`));
    expect(overlaps).toEqual([]);

    // And the files went into one batch, once.
    const manifests = await Promise.all(hours.map(async (hour) => ((await hdfs.exists(manifestPath(config.hdfs.root, hour))) ? (JSON.parse(await hdfs.readText(manifestPath(config.hdfs.root, hour))) as BatchManifest) : undefined)));
    const ingested = manifests.flatMap((manifest) => manifest?.files.filter((file) => file.status === 'ingested').map((file) => file.fileName) ?? []);
    expect(ingested.sort()).toEqual(['branches_SS_raw_1.csv', 'sales_agents_SS_raw_1.csv', 'sales_transactions_SS_raw_1.csv']);
  }, 600_000);
});
