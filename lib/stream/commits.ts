import { ContractError } from '../errors';
import type { HdfsClient } from '../hdfs-client';
import { streamCommitsDir, topicPartitionKey } from '../pure/stream';

/**
 * The next offset to write of every topic partition the stream worker has committed, keyed
 * `<topic>+<partition>`, read from the commit files in HDFS (the truth of what is durable).
 */
export async function readCommittedOffsets(hdfs: HdfsClient, root: string): Promise<Map<string, bigint>> {
  const offsets = new Map<string, bigint>();
  for (const file of await hdfs.listIfExists(streamCommitsDir(root))) {
    const match = /^(.+)\+(\d+)\.json$/.exec(file.name);
    if (!match || file.type !== 'FILE') continue;
    const state = JSON.parse(await hdfs.readText(file.path)) as { nextOffset?: unknown };
    if (typeof state.nextOffset !== 'string' || !/^\d+$/.test(state.nextOffset)) throw new ContractError(`commit file ${file.path} has no nextOffset`, file.path);
    offsets.set(topicPartitionKey(match[1]!, Number(match[2])), BigInt(state.nextOffset));
  }
  return offsets;
}

/**
 * Waits until HDFS holds every record before `ends` (a topic's end offsets, per partition) of
 * `topic`: what a caller produced is then durable. Throws after `timeoutMs`.
 */
export async function waitUntilDurable(hdfs: HdfsClient, root: string, topic: string, ends: ReadonlyMap<number, bigint>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const committed = await readCommittedOffsets(hdfs, root);
    const behind = [...ends].filter(([partition, end]) => end > 0n && (committed.get(topicPartitionKey(topic, partition)) ?? 0n) < end);
    if (behind.length === 0) return;
    if (Date.now() > deadline) throw new Error(`the stream worker did not make ${topic} durable within ${timeoutMs} ms (partitions behind: ${behind.map(([partition]) => partition).join(', ')})`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}
