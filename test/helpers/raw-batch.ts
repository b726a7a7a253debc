import { createHash } from 'node:crypto';
import type { HdfsClient } from '../../lib/hdfs-client';
import { batchIdOf, datasetOf, manifestPath, rawBatchDir, type BatchManifest, type LogicalHour, type ManifestFile } from '../../lib/pure/batch';

/** One file of a simulated drop: its landing name (which gives its dataset) and its exact bytes. */
export interface DropFile {
  readonly fileName: string;
  readonly content: Buffer;
}

const bom = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Does what the ingest activity does for a batch, without the landing dir: each file goes whole
 * (atomic put) to its raw-zone path, then the manifest (status `ingested`, header columns, real
 * sha256 and size) is written last as the commit marker. Returns the manifest.
 */
export async function commitBatch(hdfs: HdfsClient, root: string, hour: LogicalHour, files: readonly DropFile[]): Promise<BatchManifest> {
  const entries: ManifestFile[] = [];
  for (const { fileName, content } of files) {
    const dataset = datasetOf(fileName);
    if (!dataset) throw new Error(`${fileName} matches no file family`);
    const rawPath = `${rawBatchDir(root, dataset, hour)}/${fileName}`;
    await hdfs.putAtomic(rawPath, content, { overwrite: true });
    const hasBom = content.subarray(0, 3).equals(bom);
    const header = content.subarray(hasBom ? 3 : 0).toString('utf8').split('\n')[0]!.replace(/\r$/, '');
    entries.push({
      fileName,
      dataset,
      status: 'ingested',
      sha256: createHash('sha256').update(content).digest('hex'),
      bytes: content.length,
      rawPath,
      columns: header.split(',').map((column) => column.trim()),
      bom: hasBom,
    });
  }
  const batchId = batchIdOf(hour);
  const manifest: BatchManifest = { batchId, hour, ingestedAt: `${hour}:05:00.000Z`, files: entries };
  await hdfs.putAtomic(manifestPath(root, batchId), JSON.stringify(manifest, null, 2) + '\n', { overwrite: true });
  return manifest;
}
