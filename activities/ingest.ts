import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import path from 'node:path';
import type { ActivityDeps } from './deps';
import { contractBrokenIsFinal } from './failures';
import { heartbeat, statementOptions } from './heartbeat';
import { batchIdsIn } from '../lib/raw-zone';
import { completeLandingFiles, fileFacts, missingColumns, moveInto, writeReason, type LandingFile } from '../lib/landing';
import { executeJob } from '../lib/jobs';
import { commitSettings } from '../lib/pure/delta';
import { ensureWarehouse } from '../lib/warehouse-setup';
import {
  batchIdOf,
  datasetOf,
  ingestedFilesPath,
  manifestPath,
  manifestsDir,
  rawBatchDir,
  type BatchManifest,
  type LogicalHour,
  type ManifestFile,
} from '../lib/pure/batch';
import { loadJob } from '../lib/jobs';
import { sqlIdentifier } from '../lib/pure/sql';

export interface IngestSummary {
  readonly batchId: string;
  readonly hour: LogicalHour;
  readonly ingested: number;
  readonly duplicate: number;
  readonly rejected: number;
  readonly rejectedByReason: Record<string, number>;
  /** Files left in the landing dir because they were still being written. */
  readonly waiting: readonly string[];
  /** True when the batch had been committed by an earlier attempt and only its local moves were redone. */
  readonly resumed: boolean;
  /**
   * Set when the hour is older than a batch already committed (a backfill of a past hour): nothing
   * was committed, and the landing files stay for the next run, so batches keep their time order.
   */
  readonly deferred?: string;
}

export function ingestActivities({ hdfs, hive, config, log, metrics }: ActivityDeps) {
  const root = config.hdfs.root;
  const database = sqlIdentifier(config.hive.database);

  /** The warehouse's tables, created or migrated (a migration heartbeats through its statements). */
  async function prepareTables(batchId: string): Promise<void> {
    await contractBrokenIsFinal(() => ensureWarehouse({ hive, database: config.hive.database, log, statementOptions: statementOptions({ batchId, step: 'tables' }) }));
  }

  /**
   * (file name, sha256) of every file earlier committed batches ingested, with the batch that did.
   * Only a batch with a manifest counts: an hour abandoned between its `ingested_files` rows and its
   * manifest (a crash, then terminated or out of retries) committed nothing, and its files load
   * with the next hour.
   */
  async function previouslyIngested(batchId: string, committedBatches: readonly string[]): Promise<Map<string, string>> {
    const [statement] = loadJob('previously_ingested', { database, batch_id: batchId });
    const { rows } = await hive.query<{ file_name: string; sha256: string; batch_id: string }>(statement!, statementOptions({ batchId, step: 'previously ingested' }));
    const committed = new Set(committedBatches);
    return new Map(rows.filter((row) => committed.has(row.batch_id)).map((row) => [`${row.file_name}\u0000${row.sha256}`, row.batch_id]));
  }

  async function readManifest(batchId: string): Promise<BatchManifest | undefined> {
    const file = manifestPath(root, batchId);
    if (!(await hdfs.exists(file))) return undefined;
    return JSON.parse(await hdfs.readText(file)) as BatchManifest;
  }

  /**
   * Moves the batch's local files out of the landing dir: archive, or rejected with a reason file.
   * With `verify` (a batch committed by an earlier attempt), a landing file moves only if it is the
   * one the manifest recorded (same sha256): a new file under an old name stays for a later batch.
   */
  async function settleLocalFiles(manifest: BatchManifest, landing: Map<string, LandingFile>, verify: boolean): Promise<void> {
    for (const file of manifest.files) {
      const local = landing.get(file.fileName);
      if (!local) continue;
      if (verify && (await fileFacts(local.localPath)).sha256 !== file.sha256) {
        log.warn({ batchId: manifest.batchId, file: file.fileName }, 'a landing file has the name of a committed file but other content; left for a later batch');
        continue;
      }
      if (file.status === 'rejected') {
        const dir = path.join(config.dirs.rejected, manifest.batchId);
        await writeReason(dir, file.fileName, { reason: file.reason, detail: file.detail, batchId: manifest.batchId, sha256: file.sha256, bytes: file.bytes });
        await moveInto(local.localPath, dir);
      } else {
        await moveInto(local.localPath, path.join(config.dirs.archive, manifest.batchId));
      }
    }
  }

  function summarize(manifest: BatchManifest, waiting: readonly string[], resumed: boolean): IngestSummary {
    const count = (status: ManifestFile['status']) => manifest.files.filter((file) => file.status === status).length;
    const rejectedByReason: Record<string, number> = {};
    for (const file of manifest.files) if (file.status === 'rejected' && file.reason) rejectedByReason[file.reason] = (rejectedByReason[file.reason] ?? 0) + 1;
    return { batchId: manifest.batchId, hour: manifest.hour, ingested: count('ingested'), duplicate: count('duplicate'), rejected: count('rejected'), rejectedByReason, waiting, resumed };
  }

  return {
    /**
     * Moves the complete landing files into the raw zone as the batch of `hour`, exactly once:
     * each accepted file is uploaded whole (atomic put) under the batch's own directory, the
     * `ingested_files` rows are written, and the manifest is written last as the commit marker.
     * Then the local files move to the archive (or the rejected dir, with a reason file). A retry
     * after a crash before the manifest redoes the uploads in place (same paths, overwritten: no
     * reader looks at an uncommitted batch); after the manifest it only finishes the local moves.
     * An hour older than a committed batch takes no files (see {@link IngestSummary.deferred}).
     */
    async ingestLanding(hour: LogicalHour): Promise<IngestSummary> {
      const batchId = batchIdOf(hour);
      log.info({ batchId }, 'ingest started');
      const { complete, waiting: settling } = await completeLandingFiles(config.dirs.landing, config.landingSettleMs);
      const waiting = [...settling];
      const landing = new Map(complete.map((file) => [file.fileName, file]));

      const committed = await readManifest(batchId);
      if (committed) {
        await settleLocalFiles(committed, landing, true);
        log.info({ batchId, files: committed.files.length }, 'batch already committed; finished its local moves');
        return summarize(committed, waiting, true);
      }

      const committedBatches = await batchIdsIn(hdfs, manifestsDir(root));
      const newer = committedBatches.filter((other) => other > batchId);
      if (newer.length > 0) {
        const deferred = `batch ${newer[newer.length - 1]} is newer: ${complete.length} landing file(s) left for the next hour's run`;
        log.info({ batchId, newest: newer[newer.length - 1], landingFiles: complete.length }, 'hour older than a committed batch; nothing ingested');
        return { batchId, hour, ingested: 0, duplicate: 0, rejected: 0, rejectedByReason: {}, waiting, resumed: false, deferred };
      }

      await prepareTables(batchId);
      const earlier = await previouslyIngested(batchId, committedBatches);
      const files: ManifestFile[] = [];
      for (const [index, local] of complete.entries()) {
        heartbeat({ step: 'upload', file: local.fileName, index, of: complete.length });
        const facts = await fileFacts(local.localPath);
        const dataset = datasetOf(local.fileName);
        const base = { fileName: local.fileName, dataset, sha256: facts.sha256, bytes: facts.bytes };
        if (local.notUtf8) {
          files.push({ ...base, status: 'rejected', reason: 'BAD_FILE_NAME', detail: 'the name is not UTF-8 (its bytes are in hex in the file name; the rejected copy keeps them)' });
          continue;
        }
        if (!dataset) {
          files.push({ ...base, status: 'rejected', reason: 'UNKNOWN_FILE', detail: 'the name matches no file family' });
          continue;
        }
        if (facts.empty) {
          files.push({ ...base, status: 'rejected', reason: 'EMPTY_FILE', detail: 'the file has no header and no rows' });
          continue;
        }
        const missing = missingColumns(dataset, facts.columns);
        if (missing.length > 0) {
          files.push({ ...base, status: 'rejected', reason: 'FILE_SCHEMA_MISMATCH', detail: `the header lacks ${missing.join(', ')}` });
          continue;
        }
        const earlierBatch = earlier.get(`${local.fileName}\u0000${facts.sha256}`);
        if (earlierBatch) {
          files.push({ ...base, status: 'duplicate', reason: 'DUPLICATE_DELIVERY', detail: `identical to the file ingested by batch ${earlierBatch}` });
          continue;
        }
        const rawPath = `${rawBatchDir(root, dataset, hour)}/${local.fileName}`;
        // The upload's own read is hashed too: a file that changed since its facts were read is not committed.
        const uploaded = createHash('sha256');
        const source = createReadStream(local.localPath);
        const hashing = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            uploaded.update(chunk);
            done(null, chunk);
          },
        });
        source.on('error', (error) => hashing.destroy(error));
        try {
          await hdfs.putAtomic(rawPath, source.pipe(hashing), { overwrite: true });
        } finally {
          // A failed upload leaves the read paused: close the file.
          source.destroy();
        }
        if (uploaded.digest('hex') !== facts.sha256) {
          await hdfs.delete(rawPath);
          waiting.push(local.fileName);
          log.warn({ batchId, file: local.fileName }, 'landing file changed while it was uploaded; left for the next run');
          continue;
        }
        files.push({ ...base, status: 'ingested', rawPath, columns: facts.columns, bom: facts.bom });
        log.info({ batchId, file: local.fileName, dataset, bytes: facts.bytes }, 'ingested file');
      }

      const manifest: BatchManifest = { batchId, hour, ingestedAt: new Date().toISOString(), files };
      const rows = files.map((file) =>
        JSON.stringify({
          file_name: file.fileName,
          dataset: file.dataset ?? null,
          sha256: file.sha256,
          bytes: file.bytes,
          status: file.status,
          reason: file.reason ?? null,
          detail: file.detail ?? null,
          raw_path: file.rawPath ?? null,
          ingested_at: manifest.ingestedAt,
        }),
      );
      heartbeat({ step: 'commit', files: files.length });
      const staged = ingestedFilesPath(root, batchId);
      await hdfs.putAtomic(staged, rows.join('\n') + (rows.length > 0 ? '\n' : ''), { overwrite: true });
      await executeJob(hive, 'ingested_files', { database, batch_id: batchId, path: staged }, {
        ...statementOptions({ batchId, step: 'commit' }),
        settings: commitSettings({ kind: 'batch', batch_id: batchId, step: 'ingest' }),
      });
      await hdfs.putAtomic(manifestPath(root, batchId), JSON.stringify(manifest, null, 2) + '\n', { overwrite: false });
      const summary = summarize(manifest, waiting, false);
      // counted once committed: a retry after this point takes the committed path
      metrics?.ingested(summary);
      await settleLocalFiles(manifest, landing, false);
      log.info({ ...summary }, 'batch committed');
      return summary;
    },
  };
}
