import type { HdfsClient } from './hdfs-client';
import { isBatchId } from './pure/batch';

/** Batch ids named by the `<batch>.json` files of a raw-zone marker dir (hidden temporary files skipped), sorted. */
export async function batchIdsIn(hdfs: HdfsClient, dir: string): Promise<string[]> {
  const entries = await hdfs.listIfExists(dir);
  return entries
    .filter((entry) => entry.type === 'FILE' && entry.name.endsWith('.json') && !entry.name.startsWith('.'))
    .map((entry) => entry.name.slice(0, -'.json'.length))
    .filter((batchId) => isBatchId(batchId))
    .sort();
}

