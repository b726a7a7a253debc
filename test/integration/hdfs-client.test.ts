import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../lib/config';
import { HdfsError } from '../../lib/errors';
import { HdfsClient } from '../../lib/hdfs-client';

// Against the real WebHDFS of the local stack (`bin/qpipe stack up`): http://127.0.0.1:9870, user qpipe.
const config = loadConfig().hdfs;
const client = new HdfsClient(config);
const testDir = `/qpipe-test/${randomBytes(6).toString('hex')}`;

/**
 * Waits out an HDFS that is (re)starting: NameNode down or in safe mode, DataNode not registered yet.
 * Ready means the test dir and a file in it can be created.
 */
async function untilHdfsAcceptsWrites(deadlineMs: number): Promise<void> {
  const giveUpAt = Date.now() + deadlineMs;
  for (;;) {
    try {
      await client.mkdirs(testDir);
      await client.create(`${testDir}/.ready`, 'ready', { overwrite: true });
      await client.delete(`${testDir}/.ready`);
      return;
    } catch (error) {
      if (Date.now() > giveUpAt) throw error;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  }
}

/** Deterministic pseudo-random bytes: `count` chunks of `size` bytes (xorshift32 from `seed`). */
async function* generated(seed: number, count: number, size: number): AsyncGenerator<Uint8Array> {
  let state = seed;
  for (let index = 0; index < count; index++) {
    const chunk = Buffer.alloc(size);
    for (let offset = 0; offset < size; offset += 4) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      chunk.writeUInt32LE(state >>> 0, offset);
    }
    yield chunk;
  }
}

async function sha256Of(source: AsyncIterable<Uint8Array | string>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of source) hash.update(chunk);
  return hash.digest('hex');
}

async function rejection(promise: Promise<unknown>): Promise<HdfsError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(HdfsError);
  return error as HdfsError;
}

beforeAll(() => untilHdfsAcceptsWrites(90_000), 120_000);

afterAll(async () => {
  await client.delete(testDir, { recursive: true });
});

describe('HdfsClient on the real HDFS', () => {
  it('creates directories, lists them and reports their status', async () => {
    await client.mkdirs(`${testDir}/tree/a/b`);
    await client.mkdirs(`${testDir}/tree/a/b`); // again: a no-op
    await client.create(`${testDir}/tree/a/file.txt`, 'twelve bytes');

    const entries = await client.list(`${testDir}/tree/a`);
    expect(entries.map(({ path, name, type, length }) => ({ path, name, type, length }))).toEqual([
      { path: `${testDir}/tree/a/b`, name: 'b', type: 'DIRECTORY', length: 0 },
      { path: `${testDir}/tree/a/file.txt`, name: 'file.txt', type: 'FILE', length: 12 },
    ]);
    expect(await client.stat(`${testDir}/tree/a/file.txt`)).toMatchObject({ path: `${testDir}/tree/a/file.txt`, name: 'file.txt', type: 'FILE', length: 12 });
    expect(await client.stat(`${testDir}/tree/a/missing`)).toBeUndefined();
    expect(await client.exists(`${testDir}/tree/a/b`)).toBe(true);
    expect(await client.listIfExists(`${testDir}/tree/missing`)).toEqual([]);
    const missing = await rejection(client.list(`${testDir}/tree/missing`));
    expect(missing).toMatchObject({ op: 'LISTSTATUS', status: 404, exception: 'FileNotFoundException' });
  });

  it('reads back the exact bytes it created, including names with = + and spaces', async () => {
    const bytes = Buffer.concat([Buffer.from('id;name\n1;Zoë\n'), Buffer.from([0x00, 0xff, 0x0d, 0x0a])]);
    const path = `${testDir}/bytes/ingest_date=2026-11-23/app_logs+0+1 2.bin`;
    await client.create(path, bytes);
    const chunks: Buffer[] = [];
    for await (const chunk of await client.read(path)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks)).toEqual(bytes);
    expect(await client.readText(path)).toBe(bytes.toString('utf8'));
  });

  it('refuses to create onto an existing file with FileAlreadyExistsException and keeps the original bytes', async () => {
    const path = `${testDir}/exists/a.csv`;
    await client.create(path, 'original\n');
    const error = await rejection(client.create(path, 'replacement\n'));
    expect(error).toMatchObject({ op: 'CREATE', path, status: 403, exception: 'FileAlreadyExistsException' });
    expect(await client.readText(path)).toBe('original\n');

    await client.create(path, 'replacement\n', { overwrite: true });
    expect(await client.readText(path)).toBe('replacement\n');
  });

  it('streams a 20 MiB generated body and reads it back with the same sha256', async () => {
    const path = `${testDir}/stream/big.bin`;
    const [chunkCount, chunkSize] = [320, 64 * 1024]; // 20 MiB
    await client.create(path, generated(42, chunkCount, chunkSize));
    expect((await client.stat(path))?.length).toBe(chunkCount * chunkSize);
    expect(await sha256Of(await client.read(path))).toBe(await sha256Of(generated(42, chunkCount, chunkSize)));
  });

  it('refuses to rename onto an existing file and changes neither file', async () => {
    await client.create(`${testDir}/rename/from.txt`, 'from');
    await client.create(`${testDir}/rename/to.txt`, 'to');
    const error = await rejection(client.rename(`${testDir}/rename/from.txt`, `${testDir}/rename/to.txt`));
    expect(error).toMatchObject({ op: 'RENAME', path: `${testDir}/rename/from.txt`, exception: 'FileAlreadyExistsException' });
    expect(error.message).toContain(`${testDir}/rename/from.txt -> ${testDir}/rename/to.txt`);
    expect(await client.readText(`${testDir}/rename/from.txt`)).toBe('from');
    expect(await client.readText(`${testDir}/rename/to.txt`)).toBe('to');
  });

  it('fails a rename of a missing source with FileNotFoundException', async () => {
    const error = await rejection(client.rename(`${testDir}/rename/missing.txt`, `${testDir}/rename/new.txt`));
    expect(error).toMatchObject({ op: 'RENAME', exception: 'FileNotFoundException' });
    expect(error.message).toContain(`${testDir}/rename/missing.txt -> ${testDir}/rename/new.txt`);
    expect(await client.exists(`${testDir}/rename/new.txt`)).toBe(false);
  });

  it('renames to exactly the destination path, never into an existing directory', async () => {
    await client.create(`${testDir}/rename-dir/file.txt`, 'f');
    await client.mkdirs(`${testDir}/rename-dir/sub`);
    await rejection(client.rename(`${testDir}/rename-dir/file.txt`, `${testDir}/rename-dir/sub`));
    expect(await client.list(`${testDir}/rename-dir/sub`)).toEqual([]);

    await client.rename(`${testDir}/rename-dir/file.txt`, `${testDir}/rename-dir/moved.txt`);
    expect(await client.readText(`${testDir}/rename-dir/moved.txt`)).toBe('f');
    expect(await client.exists(`${testDir}/rename-dir/file.txt`)).toBe(false);
  });

  it('writes a whole file with putAtomic, creating parents and leaving no temporary file behind', async () => {
    const dir = `${testDir}/atomic/new/deep`;
    await client.putAtomic(`${dir}/part-0.csv`, generated(7, 4, 1024));
    expect((await client.list(dir)).map((entry) => entry.name)).toEqual(['part-0.csv']);
    expect(await sha256Of(await client.read(`${dir}/part-0.csv`))).toBe(await sha256Of(generated(7, 4, 1024)));
  });

  it('refuses putAtomic onto an existing file without overwrite and keeps the original', async () => {
    const dir = `${testDir}/atomic/keep`;
    await client.putAtomic(`${dir}/a.csv`, 'original\n');
    const error = await rejection(client.putAtomic(`${dir}/a.csv`, 'replacement\n'));
    expect(error).toMatchObject({ path: `${dir}/a.csv`, exception: 'FileAlreadyExistsException' });
    expect(await client.readText(`${dir}/a.csv`)).toBe('original\n');
    expect((await client.list(dir)).map((entry) => entry.name)).toEqual(['a.csv']);
  });

  it('replaces the file with putAtomic and overwrite', async () => {
    const dir = `${testDir}/atomic/replace`;
    await client.putAtomic(`${dir}/a.csv`, 'original\n');
    await client.putAtomic(`${dir}/a.csv`, 'replacement, longer\n', { overwrite: true });
    expect(await client.readText(`${dir}/a.csv`)).toBe('replacement, longer\n');
    expect((await client.list(dir)).map((entry) => entry.name)).toEqual(['a.csv']);
  });

  it('deletes the temporary file and writes nothing when the body of a putAtomic fails midway', async () => {
    const dir = `${testDir}/atomic/broken`;
    const sourceFailure = new Error('source broke after 1 MiB');
    async function* breaking(): AsyncGenerator<Uint8Array> {
      yield* generated(9, 16, 64 * 1024);
      throw sourceFailure;
    }
    const error = await rejection(client.putAtomic(`${dir}/a.csv`, breaking()));
    expect(error.cause).toBe(sourceFailure);
    expect(await client.list(dir)).toEqual([]);
  });

  it('returns true when delete removed something and false when nothing was there', async () => {
    await client.create(`${testDir}/delete/a.txt`, 'a');
    expect(await client.delete(`${testDir}/delete/a.txt`)).toBe(true);
    expect(await client.delete(`${testDir}/delete/a.txt`)).toBe(false);
    expect(await client.exists(`${testDir}/delete/a.txt`)).toBe(false);

    await client.create(`${testDir}/delete/dir/b.txt`, 'b');
    const notEmpty = await rejection(client.delete(`${testDir}/delete/dir`));
    expect(notEmpty).toMatchObject({ op: 'DELETE', exception: 'PathIsNotEmptyDirectoryException' });
    expect(await client.delete(`${testDir}/delete/dir`, { recursive: true })).toBe(true);
  });

  it('fails fast with an HdfsError carrying ECONNREFUSED when nothing listens on the port', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve)); // the port is now closed
    const closed = new HdfsClient({ ...config, url: `http://127.0.0.1:${port}`, timeoutMs: 10_000 });
    const started = Date.now();
    const error = await rejection(closed.stat('/qpipe'));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toMatchObject({ op: 'GETFILESTATUS', path: '/qpipe', status: undefined, exception: undefined });
    expect(error.message).toMatch(/^webhdfs GETFILESTATUS \/qpipe failed: ECONNREFUSED/);
    expect((error.cause as { cause?: { code?: string } }).cause?.code).toBe('ECONNREFUSED');
  });

  it('fails fast with an HdfsError, not a hang, for a port fetch refuses to use (127.0.0.1:1)', async () => {
    const closed = new HdfsClient({ ...config, url: 'http://127.0.0.1:1', timeoutMs: 10_000 });
    const started = Date.now();
    const error = await rejection(closed.putAtomic('/qpipe-test/never/a.csv', 'x'));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toMatchObject({ op: 'MKDIRS', status: undefined });
    expect(error.message).toBe('webhdfs MKDIRS /qpipe-test/never failed: bad port');
  });
});
