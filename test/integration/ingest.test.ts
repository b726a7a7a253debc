import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ingestActivities } from '../../activities/ingest';
import { HdfsClient, type CreateOptions, type HdfsBody } from '../../lib/hdfs-client';
import { HiveClient } from '../../lib/hive-client';
import { silentLogger } from '../../lib/log';
import { manifestPath, type BatchManifest } from '../../lib/pure/batch';
import { isolatedConfig, realDataDir } from '../helpers/isolated';

const config = isolatedConfig('ingest');
const hdfs = new HdfsClient(config.hdfs, silentLogger);
const hive = new HiveClient(config.hive, silentLogger);
const { ingestLanding } = ingestActivities({ config, hdfs, hive, log: silentLogger });
const landing = config.dirs.landing;
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const dropGroup = (group: number) => {
  mkdirSync(landing, { recursive: true });
  for (const file of readdirSync(path.join(realDataDir, `group${group}`))) copyFileSync(path.join(realDataDir, `group${group}`, file), path.join(landing, file));
};

describe('ingestLanding against the real HDFS and warehouse', () => {
  beforeAll(async () => {
    await hive.connect();
  });

  afterAll(async () => {
    await hive.execute(`DROP DATABASE IF EXISTS ${config.hive.database} CASCADE`);
    await hive.close();
    await hdfs.delete(config.hdfs.root, { recursive: true });
  });

  it('puts each landing file in the raw zone whole, writes the manifest last and archives the local files', async () => {
    dropGroup(1);
    const summary = await ingestLanding('2026-01-01T01');
    expect(summary).toMatchObject({ batchId: '2026-01-01T01', ingested: 3, duplicate: 0, rejected: 0, resumed: false, waiting: [] });

    const manifest = JSON.parse(await hdfs.readText(manifestPath(config.hdfs.root, '2026-01-01T01'))) as BatchManifest;
    expect(manifest.files.map((file) => file.fileName).sort()).toEqual(['branches_SS_raw_1.csv', 'sales_agents_SS_raw_1.csv', 'sales_transactions_SS_raw_1.csv']);
    for (const file of manifest.files) {
      const original = path.join(realDataDir, 'group1', file.fileName);
      expect(file.sha256).toBe(sha256(original));
      expect(file.rawPath).toBe(`${config.hdfs.root}/raw/batch/${file.dataset}/ingest_date=2026-01-01/ingest_hour=01/2026-01-01T01/${file.fileName}`);
      expect(await hdfs.readText(file.rawPath!)).toBe(readFileSync(original, 'utf8'));
    }
    expect(readdirSync(landing)).toEqual([]);
    expect(readdirSync(path.join(config.dirs.archive, '2026-01-01T01')).sort()).toEqual(manifest.files.map((file) => file.fileName).sort());

    const { rows } = await hive.query(`SELECT file_name, dataset, status, bytes, batch_id FROM ${config.hive.database}.ingested_files ORDER BY file_name`);
    expect(rows).toEqual(
      manifest.files
        .map((file) => ({ file_name: file.fileName, dataset: file.dataset, status: 'ingested', bytes: file.bytes, batch_id: '2026-01-01T01' }))
        .sort((a, b) => a.file_name.localeCompare(b.file_name)),
    );
  });

  it('records a redelivered identical file as a duplicate and does not ingest it again', async () => {
    mkdirSync(landing, { recursive: true });
    copyFileSync(path.join(realDataDir, 'group1', 'branches_SS_raw_1.csv'), path.join(landing, 'branches_SS_raw_1.csv'));
    const summary = await ingestLanding('2026-01-01T02');
    expect(summary).toMatchObject({ ingested: 0, duplicate: 1, rejected: 0 });
    expect(await hdfs.exists(`${config.hdfs.root}/raw/batch/branches/ingest_date=2026-01-01/ingest_hour=02/2026-01-01T02/branches_SS_raw_1.csv`)).toBe(false);
    const { rows } = await hive.query(`SELECT status, reason, detail FROM ${config.hive.database}.ingested_files WHERE batch_id = '2026-01-01T02'`);
    expect(rows).toEqual([{ status: 'duplicate', reason: 'DUPLICATE_DELIVERY', detail: 'identical to the file ingested by batch 2026-01-01T01' }]);
    expect(existsSync(path.join(config.dirs.archive, '2026-01-01T02', 'branches_SS_raw_1.csv'))).toBe(true);
  });

  it('moves empty, schema-mismatched and unknown files to the rejected dir with a reason file each', async () => {
    mkdirSync(landing, { recursive: true });
    writeFileSync(path.join(landing, 'branches_SS_raw_7.csv'), '');
    writeFileSync(path.join(landing, 'sales_agents_SS_raw_7.csv'), 'sales_person_id,full_name,hire_date\n1,John Doe,2020-1-1\n');
    writeFileSync(path.join(landing, 'inventory_7.csv'), 'sku,count\n1,2\n');
    copyFileSync(path.join(realDataDir, 'group2', 'sales_transactions_SS_raw_2.csv'), path.join(landing, 'sales_transactions_SS_raw_2.csv'));
    const summary = await ingestLanding('2026-01-01T03');
    expect(summary).toMatchObject({ ingested: 1, duplicate: 0, rejected: 3, rejectedByReason: { EMPTY_FILE: 1, FILE_SCHEMA_MISMATCH: 1, UNKNOWN_FILE: 1 } });
    const rejectedDir = path.join(config.dirs.rejected, '2026-01-01T03');
    const reasonOf = (file: string) => JSON.parse(readFileSync(path.join(rejectedDir, `${file}.reason.json`), 'utf8')) as { reason: string; detail: string };
    expect(reasonOf('branches_SS_raw_7.csv').reason).toBe('EMPTY_FILE');
    expect(reasonOf('sales_agents_SS_raw_7.csv')).toMatchObject({ reason: 'FILE_SCHEMA_MISMATCH', detail: 'the header lacks name' });
    expect(reasonOf('inventory_7.csv').reason).toBe('UNKNOWN_FILE');
    expect(readdirSync(rejectedDir).filter((file) => !file.endsWith('.reason.json')).sort()).toEqual(['branches_SS_raw_7.csv', 'inventory_7.csv', 'sales_agents_SS_raw_7.csv']);
    const { rows } = await hive.query(`SELECT file_name, status, reason FROM ${config.hive.database}.ingested_files WHERE batch_id = '2026-01-01T03' ORDER BY file_name`);
    expect(rows).toEqual([
      { file_name: 'branches_SS_raw_7.csv', status: 'rejected', reason: 'EMPTY_FILE' },
      { file_name: 'inventory_7.csv', status: 'rejected', reason: 'UNKNOWN_FILE' },
      { file_name: 'sales_agents_SS_raw_7.csv', status: 'rejected', reason: 'FILE_SCHEMA_MISMATCH' },
      { file_name: 'sales_transactions_SS_raw_2.csv', status: 'ingested', reason: null },
    ]);
  });

  it('after a crash between the commit and the local moves, a retry only finishes the moves', async () => {
    dropGroup(4);
    const first = await ingestLanding('2026-01-01T04');
    // Simulate the crash: the local files come back as if they had never been moved.
    for (const file of readdirSync(path.join(config.dirs.archive, '2026-01-01T04'))) copyFileSync(path.join(config.dirs.archive, '2026-01-01T04', file), path.join(landing, file));
    const manifestBefore = await hdfs.readText(manifestPath(config.hdfs.root, '2026-01-01T04'));
    const retry = await ingestLanding('2026-01-01T04');
    expect(retry).toEqual({ ...first, resumed: true });
    expect(await hdfs.readText(manifestPath(config.hdfs.root, '2026-01-01T04'))).toBe(manifestBefore);
    expect(readdirSync(landing)).toEqual([]);
    const { rows } = await hive.query(`SELECT count(*) AS files FROM ${config.hive.database}.ingested_files WHERE batch_id = '2026-01-01T04'`);
    expect(rows).toEqual([{ files: 3 }]);
  });

  it('leaves a file that is still being written for the next run', async () => {
    mkdirSync(landing, { recursive: true });
    const growing = path.join(landing, 'sales_transactions_SS_raw_5.csv');
    writeFileSync(growing, 'transaction_date,transaction_id\n');
    const timer = setInterval(() => writeFileSync(growing, '2023-1-1,trx-1\n', { flag: 'a' }), 10);
    try {
      const summary = await ingestLanding('2026-01-01T05');
      expect(summary.waiting).toEqual(['sales_transactions_SS_raw_5.csv']);
      expect(summary.ingested + summary.rejected + summary.duplicate).toBe(0);
    } finally {
      clearInterval(timer);
    }
    expect(existsSync(growing)).toBe(true);
  });

  it('a retry of a committed hour moves only the files it committed: a new file under an old name stays', async () => {
    rmSync(landing, { recursive: true, force: true });
    mkdirSync(landing, { recursive: true });
    const name = 'branches_SS_raw_4.csv';
    writeFileSync(path.join(landing, name), readFileSync(path.join(realDataDir, 'group4', name), 'utf8') + '99,Nowhere,2020-01-01,A\n');
    const retry = await ingestLanding('2026-01-01T04');
    expect(retry.resumed).toBe(true);
    expect(readdirSync(landing)).toEqual([name]);
  });

  it('an hour older than a committed batch takes no files: they stay, in order, for the next hour', async () => {
    dropGroup(5);
    const before = readdirSync(landing).sort();
    const late = await ingestLanding('2026-01-01T00');
    expect(late).toMatchObject({ ingested: 0, duplicate: 0, rejected: 0, resumed: false });
    expect(late.deferred).toMatch(/^batch 2026-01-01T05 is newer: 4 landing file\(s\) left for the next hour's run$/);
    expect(await hdfs.exists(manifestPath(config.hdfs.root, '2026-01-01T00'))).toBe(false);
    expect(readdirSync(landing).sort()).toEqual(before);
    const next = await ingestLanding('2026-01-01T06');
    // Group 5's three files, and the changed branches file the retry above left behind.
    expect(next).toMatchObject({ ingested: 4, duplicate: 0, rejected: 0 });
    expect(readdirSync(landing)).toEqual([]);
  });

  it('an hour abandoned between its ingested_files rows and its manifest never turns its files into duplicates: the next hour loads them', async () => {
    // Group 5's files with a line end added: content no committed batch holds.
    mkdirSync(landing, { recursive: true });
    for (const file of readdirSync(path.join(realDataDir, 'group5'))) writeFileSync(path.join(landing, file), Buffer.concat([readFileSync(path.join(realDataDir, 'group5', file)), Buffer.from('\n')]));
    expect(await ingestLanding('2026-01-01T07')).toMatchObject({ ingested: 3, duplicate: 0 });
    // The state of a crash after the ingested_files commit and before the manifest: the rows are
    // there, the manifest is not, the files are still in the landing dir. Then the hour is given up.
    await hdfs.delete(manifestPath(config.hdfs.root, '2026-01-01T07'));
    const archived = path.join(config.dirs.archive, '2026-01-01T07');
    for (const file of readdirSync(archived)) copyFileSync(path.join(archived, file), path.join(landing, file));
    rmSync(archived, { recursive: true });
    const { rows: abandoned } = await hive.query(`SELECT count(*) AS files FROM ${config.hive.database}.ingested_files WHERE batch_id = '2026-01-01T07' AND status = 'ingested'`);
    expect(Number(abandoned[0]!.files)).toBe(3);

    const next = await ingestLanding('2026-01-01T08');
    expect(next).toMatchObject({ ingested: 3, duplicate: 0, rejected: 0 });
    const manifest = JSON.parse(await hdfs.readText(manifestPath(config.hdfs.root, '2026-01-01T08'))) as BatchManifest;
    expect(manifest.files.map((file) => file.status)).toEqual(['ingested', 'ingested', 'ingested']);
    expect(readdirSync(landing)).toEqual([]);
  });

  it('takes any file name the OS allows: ingested, or refused with a reason, and the batch goes on', async () => {
    mkdirSync(landing, { recursive: true });
    const agents = readFileSync(path.join(realDataDir, 'group1', 'sales_agents_SS_raw_1.csv'));
    // A family name of 239 bytes: HDFS takes 255, so its upload's temporary name must be short.
    const longName = `sales_agents_SS_raw_${'7'.repeat(215)}.csv`;
    expect(Buffer.byteLength(longName)).toBe(239);
    writeFileSync(path.join(landing, longName), agents);
    // An unknown file whose reason file name would pass 255 bytes.
    const longUnknown = `${'x'.repeat(246)}.txt`;
    writeFileSync(path.join(landing, longUnknown), 'whatever\n');
    // A name that is not UTF-8.
    const badName = Buffer.concat([Buffer.from('bad-'), Buffer.from([0xff, 0xfe]), Buffer.from('-name.csv')]);
    writeFileSync(Buffer.concat([Buffer.from(`${landing}/`), badName]), agents);
    // A BOM and line ends only; and a header whose quoted cell holds a comma.
    writeFileSync(path.join(landing, 'branches_SS_raw_91.csv'), Buffer.from([0xef, 0xbb, 0xbf, 0x0d, 0x0a, 0x0d, 0x0a]));
    writeFileSync(path.join(landing, 'branches_SS_raw_92.csv'), 'branch_id,"note, free text",location,establish_date,class\n1,"a, b",Cairo,2020/01/01,A\n');

    const summary = await ingestLanding('2026-01-01T09');
    expect(summary).toMatchObject({ ingested: 2, duplicate: 0, rejected: 3, rejectedByReason: { UNKNOWN_FILE: 1, BAD_FILE_NAME: 1, EMPTY_FILE: 1 }, waiting: [] });
    expect(readdirSync(landing)).toEqual([]);
    const manifest = JSON.parse(await hdfs.readText(manifestPath(config.hdfs.root, '2026-01-01T09'))) as BatchManifest;
    const byName = new Map(manifest.files.map((file) => [file.fileName, file]));
    expect(await hdfs.readText(byName.get(longName)!.rawPath!)).toBe(agents.toString());
    expect(byName.get('branches_SS_raw_92.csv')!.columns).toEqual(['branch_id', 'note, free text', 'location', 'establish_date', 'class']);

    // The rejected dir keeps each refused file (the bad name byte for byte) and a reason file for it.
    const rejectedDir = path.join(config.dirs.rejected, '2026-01-01T09');
    const rejected = readdirSync(rejectedDir, { encoding: 'buffer' });
    expect(rejected.some((name) => name.equals(badName))).toBe(true);
    expect(rejected.map((name) => name.toString()).filter((name) => name === longUnknown || name === 'branches_SS_raw_91.csv')).toHaveLength(2);
    const reasons = rejected.map((name) => name.toString()).filter((name) => name.endsWith('.reason.json')).map((name) => JSON.parse(readFileSync(path.join(rejectedDir, name), 'utf8')) as { fileName: string; reason: string });
    expect(reasons.map(({ fileName, reason }) => [fileName, reason]).sort()).toEqual(
      [
        [longUnknown, 'UNKNOWN_FILE'],
        ['branches_SS_raw_91.csv', 'EMPTY_FILE'],
        [`bad-\ufffd\ufffd-name.csv (not UTF-8: ${badName.toString('hex')})`, 'BAD_FILE_NAME'],
      ].sort(),
    );
    expect(rejected.filter((name) => name.toString().startsWith('.'))).toEqual([]);
  });

  it('a file that changes between its hash and its upload is not committed with the wrong hash: it waits for the next run', async () => {
    mkdirSync(landing, { recursive: true });
    const name = 'sales_agents_SS_raw_93.csv';
    const original = readFileSync(path.join(realDataDir, 'group1', 'sales_agents_SS_raw_1.csv'));
    writeFileSync(path.join(landing, name), original);
    // The source system appends to the file just as its upload starts.
    class AppendingFirst extends HdfsClient {
      override async putAtomic(target: string, body: HdfsBody, options?: CreateOptions): Promise<void> {
        if (target.endsWith(`/${name}`) && !this.appended) {
          this.appended = true;
          writeFileSync(path.join(landing, name), '99,late row,2024/01/01\n', { flag: 'a' });
        }
        return super.putAtomic(target, body, options);
      }
      appended = false;
    }
    const appending = new AppendingFirst(config.hdfs, silentLogger);
    const summary = await ingestActivities({ config, hdfs: appending, hive, log: silentLogger }).ingestLanding('2026-01-01T10');
    expect(appending.appended).toBe(true);
    expect(summary).toMatchObject({ ingested: 0, waiting: [name] });
    expect(readdirSync(landing)).toEqual([name]);
    const next = await ingestLanding('2026-01-01T11');
    expect(next).toMatchObject({ ingested: 1, waiting: [] });
    const manifest = JSON.parse(await hdfs.readText(manifestPath(config.hdfs.root, '2026-01-01T11'))) as BatchManifest;
    expect(manifest.files[0]!.sha256).toBe(sha256(path.join(config.dirs.archive, '2026-01-01T11', name)));
    expect(await hdfs.readText(manifest.files[0]!.rawPath!)).toBe(readFileSync(path.join(config.dirs.archive, '2026-01-01T11', name), 'utf8'));
  });
});
