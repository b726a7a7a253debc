import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from '@jest/globals';
import { generateEvent } from '../../lib/generate/events';
import { HdfsClient, type RenameOptions } from '../../lib/hdfs-client';
import { silentLogger } from '../../lib/log';
import { parseStreamFileName, streamCommitPath, streamEpochsDir, streamTableDir } from '../../lib/pure/stream';
import { FencedError } from '../../lib/stream/epoch';
import { PartitionWriter } from '../../lib/stream/partition-writer';
import { isolatedConfig } from '../helpers/isolated';

// Issue 11, item 6: zombie writers of a stream partition are fenced. Each test plays one losing
// interleaving of two or three owners of the same partition, step by step, on the real HDFS: an
// owner is paused inside a rename (the gate below) while a newer owner recovers the partition, then
// let go. Afterwards every offset before the commit file's nextOffset must be in exactly one data
// file, and none after it, computed from the files themselves.

const config = isolatedConfig('stream_fence');
const root = config.hdfs.root;
const hdfs = new HdfsClient(config.hdfs, silentLogger);
const hourOne = Date.parse('2026-11-24T01:30:00Z');
const hourTwo = Date.parse('2026-11-24T02:30:00Z');
const noLetters = async () => undefined;

/** An HdfsClient that stops before one chosen rename until released: the place a writer is frozen. */
class GatedHdfs extends HdfsClient {
  private gate: { matches: (from: string, to: string) => boolean; reached: () => void; release: Promise<void> } | undefined;
  /** The renames the gate held: [from, to]. */
  readonly held: [string, string][] = [];

  /** Arms the gate for the next rename that `matches`; resolves `reached` there, renames on `release()`. */
  arm(matches: (from: string, to: string) => boolean): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
    this.gate = { matches, reached, release: new Promise<void>((resolve) => (release = resolve)) };
    return { reached: reachedPromise, release };
  }

  override async rename(from: string, to: string, options?: RenameOptions): Promise<void> {
    const gate = this.gate;
    if (gate?.matches(from, to)) {
      this.gate = undefined;
      this.held.push([from, to]);
      gate.reached();
      await gate.release;
    }
    return super.rename(from, to, options);
  }
}

function options(topic: string) {
  return { root, topic, partition: 0, rotateBytes: 1 << 30, rotateMs: 3_600_000, zoneOffsetMinutes: 0 };
}

/** Buffers offsets [from, to] as valid events of the hour of `nowMs`. */
function addEvents(writer: PartitionWriter, from: number, to: number, nowMs: number): void {
  for (let offset = from; offset <= to; offset += 1) {
    expect(writer.add(String(offset), Buffer.from(JSON.stringify(generateEvent('fence', offset, { nowMs, spreadHours: 0 }))), null, nowMs)).toBe(true);
  }
}

/** The offsets of every row in the zone's data files of `topic`, with how often each appears. */
async function offsetsInFiles(topic: string): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const date of await hdfs.listIfExists(streamTableDir(root))) {
    for (const hour of await hdfs.list(date.path)) {
      for (const file of await hdfs.list(hour.path)) {
        if (parseStreamFileName(file.name)?.topic !== topic) continue;
        for (const line of gunzipSync(await hdfs.readBytes(file.path)).toString().split('\n').filter(Boolean)) {
          const offset = Number((JSON.parse(line) as { kafka_offset: string }).kafka_offset);
          counts.set(offset, (counts.get(offset) ?? 0) + 1);
        }
      }
    }
  }
  return counts;
}

/** Recovers the partition once more, as its next owner would, and checks: offsets 0 … nextOffset-1 each in exactly one file, none beyond. */
async function expectNothingLostOrDoubled(topic: string, expectedNext: number): Promise<void> {
  const { nextOffset } = await PartitionWriter.recover(hdfs, options(topic), silentLogger);
  const counts = await offsetsInFiles(topic);
  expect(nextOffset).toBe(String(expectedNext));
  const missing = Array.from({ length: expectedNext }, (_, offset) => offset).filter((offset) => counts.get(offset) !== 1);
  expect(missing).toEqual([]);
  expect([...counts.keys()].filter((offset) => offset >= expectedNext)).toEqual([]);
}

/** The partition's first owner, through `client`, once offsets 0-9 (hour 01) are durable. */
async function ownerOfFirstTen(client: HdfsClient, topic: string): Promise<PartitionWriter> {
  const writer = (await PartitionWriter.recover(client, options(topic), silentLogger)).writer;
  addEvents(writer, 0, 9, hourOne);
  expect((await writer.flush(noLetters))?.last).toBe('9');
  return writer;
}

const commitOf = async (topic: string) => JSON.parse(await hdfs.readText(streamCommitPath(root, topic, 0))) as { nextOffset: string; epoch?: number; pending?: { files: string[] } };

describe('zombie stream writers are fenced (real HDFS)', () => {
  afterAll(async () => {
    await hdfs.delete(root, { recursive: true }).catch(() => undefined);
  });

  it('an owner frozen before its commit cannot commit after a newer owner recovered the partition: no offset ends in no file', async () => {
    const topic = 'fence_commit';
    const gated = new GatedHdfs(config.hdfs, silentLogger);
    const commitPath = streamCommitPath(root, topic, 0);
    const a = await ownerOfFirstTen(gated, topic);

    // A's next flush writes its intent and its hour-02 file, then freezes just before the commit's rename.
    addEvents(a, 10, 19, hourTwo);
    let renamesToCommit = 0;
    const gate = gated.arm((_, to) => to === commitPath && ++renamesToCommit === 2);
    const aFlush = a.flush(noLetters);
    await gate.reached;
    const intent = await commitOf(topic);
    expect(intent.pending?.files).toHaveLength(1);
    expect(await hdfs.exists(intent.pending!.files[0]!)).toBe(true);
    expect(gated.held[0]![0]).toContain(`${streamEpochsDir(root, topic, 0)}/e1/`);

    // B recovers the partition: A's uncommitted file is deleted, the commit reset to 10.
    const b = await PartitionWriter.recover(hdfs, options(topic), silentLogger);
    expect(b.nextOffset).toBe('10');
    expect(await hdfs.exists(intent.pending!.files[0]!)).toBe(false);

    // A wakes up: its commit is refused, and the commit file still says 10 (B's epoch).
    gate.release();
    const outcome = await aFlush.then(() => 'committed', (error: unknown) => error);
    expect(await commitOf(topic)).toEqual({ nextOffset: '10', epoch: 2 });

    // B is revoked before its first flush; the next owner reads from 10: offsets 0-9 in files, 10-19 read again.
    await expectNothingLostOrDoubled(topic, 10);
    expect(outcome).toBeInstanceOf(FencedError);
  }, 120_000);

  it('an owner frozen inside its recovery cannot delete the files a newer owner has written since', async () => {
    const topic = 'fence_delete';
    const gated = new GatedHdfs(config.hdfs, silentLogger);
    const commitPath = streamCommitPath(root, topic, 0);
    await ownerOfFirstTen(hdfs, topic);

    // A crashes inside its flush of 10-19: intent and file written, no commit.
    class CrashBeforeCommit extends HdfsClient {
      private renames = 0;
      override async rename(from: string, to: string, renameOptions?: RenameOptions): Promise<void> {
        if (to === commitPath && ++this.renames === 2) throw new Error('injected: crashed before the commit');
        return super.rename(from, to, renameOptions);
      }
    }
    const crashing = (await PartitionWriter.recover(new CrashBeforeCommit(config.hdfs, silentLogger), options(topic), silentLogger)).writer;
    addEvents(crashing, 10, 19, hourTwo);
    await expect(crashing.flush(noLetters)).rejects.toThrow('injected');
    const pendingFile = (await commitOf(topic)).pending!.files[0]!;

    // B starts recovering and freezes just before it deletes the pending file (the rename into its workspace).
    const gate = gated.arm((from) => from === pendingFile);
    const bRecovery = PartitionWriter.recover(gated, options(topic), silentLogger);
    await gate.reached;
    expect(await hdfs.exists(pendingFile)).toBe(true);

    // C recovers past B, reads 10-19 again and flushes them: the same file name as the pending one.
    const c = await PartitionWriter.recover(hdfs, options(topic), silentLogger);
    expect(c.nextOffset).toBe('10');
    addEvents(c.writer, 10, 19, hourTwo);
    expect((await c.writer.flush(noLetters))?.files).toEqual([pendingFile]);

    // B wakes up: its delete is refused, C's file stays.
    gate.release();
    const outcome = await bRecovery.then(() => 'recovered', (error: unknown) => error);
    expect(await hdfs.exists(pendingFile)).toBe(true);
    await expectNothingLostOrDoubled(topic, 20);
    expect(outcome).toBeInstanceOf(FencedError);
  }, 120_000);
});
