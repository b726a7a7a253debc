import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { HdfsConfig } from '../../lib/config';
import { HdfsError, TimeoutError } from '../../lib/errors';
import { HdfsClient, httpError, isTemporaryOf, parseRemoteException, temporarySibling, webHdfsUrl } from '../../lib/hdfs-client';

const config = { url: 'http://namenode:9870', user: 'qpipe' };

// A NameNode's answer to CREATE onto an existing file (Hadoop 3.4), stack trace shortened.
const alreadyExistsBody = JSON.stringify({
  RemoteException: {
    exception: 'FileAlreadyExistsException',
    javaClassName: 'org.apache.hadoop.fs.FileAlreadyExistsException',
    message: '/qpipe/raw/a.csv for client 127.0.0.1 already exists\n\tat org.apache.hadoop.hdfs.server.namenode.FSDirWriteFileOp.startFile(FSDirWriteFileOp.java:388)\n',
  },
});

describe('webHdfsUrl', () => {
  it('puts the path under /webhdfs/v1 with op first and the user last', () => {
    expect(webHdfsUrl(config, '/qpipe/raw', 'LISTSTATUS')).toBe('http://namenode:9870/webhdfs/v1/qpipe/raw?op=LISTSTATUS&user.name=qpipe');
  });

  it('percent-encodes each path segment and every parameter value but keeps the slashes', () => {
    const url = webHdfsUrl({ url: 'http://namenode:9870/', user: 'q p' }, '/raw/ingest_date=2026-11-23/app_logs+0+1 2.json', 'RENAME', {
      destination: '/raw/x+y z',
      renameoptions: 'NONE',
    });
    expect(url).toBe(
      'http://namenode:9870/webhdfs/v1/raw/ingest_date%3D2026-11-23/app_logs%2B0%2B1%202.json' +
        '?op=RENAME&destination=%2Fraw%2Fx%2By%20z&renameoptions=NONE&user.name=q%20p',
    );
  });

  it('writes booleans and numbers as their text', () => {
    expect(webHdfsUrl(config, '/a', 'CREATE', { overwrite: false, noredirect: true, buffersize: 4096 })).toBe(
      'http://namenode:9870/webhdfs/v1/a?op=CREATE&overwrite=false&noredirect=true&buffersize=4096&user.name=qpipe',
    );
  });

  it.each(['relative/path', '/qpipe/../etc', '/qpipe/./raw', ''])('rejects the path %j with an HdfsError naming it', (path) => {
    expect(() => webHdfsUrl(config, path, 'OPEN')).toThrow(HdfsError);
    expect(() => webHdfsUrl(config, path, 'OPEN')).toThrow(`got "${path}"`);
  });
});

describe('parseRemoteException', () => {
  it('reads the exception class, the Java class name and the message', () => {
    expect(parseRemoteException(alreadyExistsBody)).toEqual({
      exception: 'FileAlreadyExistsException',
      javaClassName: 'org.apache.hadoop.fs.FileAlreadyExistsException',
      message: expect.stringMatching(/^\/qpipe\/raw\/a\.csv for client 127\.0\.0\.1 already exists\n\tat /),
    });
  });

  it('returns undefined for a body that is not JSON or carries no RemoteException', () => {
    expect(parseRemoteException('<html><body>502 Bad Gateway</body></html>')).toBeUndefined();
    expect(parseRemoteException('{"boolean":false}')).toBeUndefined();
    expect(parseRemoteException('null')).toBeUndefined();
    expect(parseRemoteException('{"RemoteException":{"message":"no class"}}')).toBeUndefined();
  });
});

describe('httpError', () => {
  it('carries status, op, path and exception class, with only the first line of the remote message', () => {
    const error = httpError('CREATE', '/qpipe/raw/a.csv', 403, 'Forbidden', alreadyExistsBody);
    expect(error).toBeInstanceOf(HdfsError);
    expect(error).toMatchObject({ op: 'CREATE', path: '/qpipe/raw/a.csv', status: 403, exception: 'FileAlreadyExistsException' });
    expect(error.message).toBe('CREATE /qpipe/raw/a.csv: 403 FileAlreadyExistsException: /qpipe/raw/a.csv for client 127.0.0.1 already exists');
  });

  it('quotes a body that is not a RemoteException', () => {
    const error = httpError('OPEN', '/a', 502, 'Bad Gateway', '<html>\n  <body>upstream down</body>\n</html>');
    expect(error).toMatchObject({ status: 502, exception: undefined });
    expect(error.message).toBe('OPEN /a: 502 Bad Gateway: <html> <body>upstream down</body> </html>');
  });
});

describe('temporarySibling', () => {
  it('names a hidden file in the same directory, which Hive and Spark skip', () => {
    expect(temporarySibling('/qpipe/raw/batch/part.csv', 'c0ffee')).toBe('/qpipe/raw/batch/.part.csv.tmp-c0ffee');
    expect(temporarySibling('/top.json', '1')).toBe('/.top.json.tmp-1');
  });

  it('keeps the temporary of a long name within HDFS\'s 255 bytes, and still knows it as that file\'s', () => {
    const long = `sales_agents_SS_raw_${'7'.repeat(215)}.csv`;
    const temporary = temporarySibling(`/raw/${long}`, 'c0ffee0123456789');
    expect(temporary).toMatch(/^\/raw\/\.[0-9a-f]{32}\.tmp-c0ffee0123456789$/);
    expect(isTemporaryOf(temporary.slice(5), `/raw/${long}`)).toBe(true);
    expect(isTemporaryOf(temporary.slice(5), '/raw/other.csv')).toBe(false);
    expect(isTemporaryOf('.part.csv.tmp-1', '/raw/part.csv')).toBe(true);
  });
});

/** A scripted WebHDFS stand-in: each request is recorded and answered by `handle`. */
interface FakeRequest {
  readonly method: string;
  readonly pathname: string;
  readonly query: URLSearchParams;
  readonly body: Buffer;
}

const servers: Server[] = [];

async function fakeWebHdfs(handle: (request: FakeRequest, response: ServerResponse, raw: IncomingMessage) => void): Promise<{ config: HdfsConfig; requests: FakeRequest[] }> {
  const requests: FakeRequest[] = [];
  const server = createServer((raw, response) => {
    const parts: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => parts.push(chunk));
    raw.on('end', () => {
      const url = new URL(raw.url ?? '/', 'http://fake');
      const request = { method: raw.method ?? '', pathname: decodeURIComponent(url.pathname), query: url.searchParams, body: Buffer.concat(parts) };
      requests.push(request);
      handle(request, response, raw);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { config: { url: `http://127.0.0.1:${port}`, user: 'qpipe', root: '/qpipe', timeoutMs: 2_000 }, requests };
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const notFound = { RemoteException: { exception: 'FileNotFoundException', javaClassName: 'java.io.FileNotFoundException', message: 'File does not exist' } };
const fileStatus = (length: number) => ({ FileStatus: { pathSuffix: '', type: 'FILE', length, modificationTime: 1_795_550_000_000 } });

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      return closed;
    }),
  );
});

describe('HdfsClient against a fake WebHDFS', () => {
  it('turns a rename answered 200 {"boolean": false} onto an existing destination into an HdfsError naming both paths', async () => {
    const { config, requests } = await fakeWebHdfs((request, response) => {
      if (request.query.get('op') === 'RENAME') return json(response, 200, { boolean: false });
      if (request.pathname === '/webhdfs/v1/d/from' || request.pathname === '/webhdfs/v1/d/to') return json(response, 200, fileStatus(3));
      if (request.pathname === '/webhdfs/v1/d') return json(response, 200, { FileStatus: { pathSuffix: '', type: 'DIRECTORY', length: 0, modificationTime: 0 } });
      json(response, 404, notFound);
    });
    const error = await new HdfsClient(config).rename('/d/from', '/d/to').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HdfsError);
    expect(error).toMatchObject({ op: 'RENAME', path: '/d/from', status: 200, exception: 'FileAlreadyExistsException' });
    expect((error as Error).message).toBe('rename /d/from -> /d/to did not happen: destination exists');
    const rename = requests.find((request) => request.query.get('op') === 'RENAME')!;
    expect(rename.method).toBe('PUT');
    expect(rename.query.get('destination')).toBe('/d/to');
    expect(rename.query.get('renameoptions')).toBe('NONE');
  });

  it('says the source does not exist when a rename answered {"boolean": false} had no source', async () => {
    const { config } = await fakeWebHdfs((request, response) => {
      if (request.query.get('op') === 'RENAME') return json(response, 200, { boolean: false });
      json(response, 404, notFound);
    });
    const error = await new HdfsClient(config).rename('/d/missing', '/d/to', { overwrite: true }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HdfsError);
    expect(error).toMatchObject({ op: 'RENAME', exception: 'FileNotFoundException' });
    expect((error as Error).message).toBe('rename /d/missing -> /d/to did not happen: source does not exist');
  });

  it('accepts the empty 200 answer of a rename with renameoptions and sends OVERWRITE when asked', async () => {
    const { config, requests } = await fakeWebHdfs((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '0' }).end();
    });
    await new HdfsClient(config).rename('/d/a', '/d/b', { overwrite: true });
    expect(requests.map((request) => request.query.get('renameoptions'))).toEqual(['OVERWRITE']);
  });

  it('throws when MKDIRS answers {"boolean": false}', async () => {
    const { config } = await fakeWebHdfs((_request, response) => json(response, 200, { boolean: false }));
    const error = await new HdfsClient(config).mkdirs('/d').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HdfsError);
    expect(error).toMatchObject({ op: 'MKDIRS', path: '/d', status: 200 });
  });

  it('follows a 307 from the NameNode to a DataNode that answers 100 Continue unasked, and uploads the exact bytes', async () => {
    const { config, requests } = await fakeWebHdfs((request, response) => {
      if (request.pathname === '/webhdfs/v1/d/file.csv') {
        response.writeHead(307, { location: `http://127.0.0.1:${(response.socket!.address() as AddressInfo).port}/datanode/d/file.csv?op=CREATE` }).end();
        return;
      }
      response.writeContinue(); // what a Hadoop DataNode does whether or not the client sent Expect
      response.writeHead(201, { location: 'hdfs://127.0.0.1:9000/d/file.csv', 'content-length': '0' }).end();
    });
    await new HdfsClient(config).create('/d/file.csv', 'id,name\n1,Ä\n');
    expect(requests).toHaveLength(2);
    const [nameNode, dataNode] = requests as [FakeRequest, FakeRequest];
    expect(nameNode.method).toBe('PUT');
    expect(Object.fromEntries(nameNode.query)).toEqual({ op: 'CREATE', overwrite: 'false', noredirect: 'true', 'user.name': 'qpipe' });
    expect(nameNode.body.byteLength).toBe(0);
    expect(dataNode.pathname).toBe('/datanode/d/file.csv');
    expect(dataNode.body).toEqual(Buffer.from([...Buffer.from('id,name\n1,'), 0xc3, 0x84, 0x0a]));
  });

  it('streams an async iterable body to the DataNode before the source has ended', async () => {
    let firstBytesArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (firstBytesArrived = resolve));
    const server = await fakeWebHdfs((request, response) => {
      if (request.pathname.startsWith('/webhdfs/')) return json(response, 200, { Location: `${server.config.url}/datanode/d/big` });
      response.writeHead(201).end();
    });
    // The fake DataNode reports the first bytes as soon as they arrive, before the body has ended.
    servers[0]!.prependListener('request', (raw: IncomingMessage) => {
      if (raw.url?.startsWith('/datanode/')) raw.once('data', () => firstBytesArrived());
    });
    async function* source(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('first chunk;');
      await arrived; // a client that buffers the whole body before sending never gets past this
      yield Buffer.from('second chunk');
    }
    await new HdfsClient(server.config).create('/d/big', source(), { overwrite: true });
    expect(server.requests[0]!.query.get('overwrite')).toBe('true');
    expect(server.requests[1]!.body.toString()).toBe('first chunk;second chunk');
  });

  it('reports the DataNode RemoteException of a create onto an existing file as FileAlreadyExistsException', async () => {
    const server = await fakeWebHdfs((request, response) => {
      if (request.pathname.startsWith('/webhdfs/')) return json(response, 200, { Location: `${server.config.url}/datanode/d/a.csv` });
      response.writeHead(403, { 'content-type': 'application/json; charset=utf-8', connection: 'close' }).end(alreadyExistsBody);
    });
    const error = await new HdfsClient(server.config).create('/d/a.csv', Buffer.from('new')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HdfsError);
    expect(error).toMatchObject({ op: 'CREATE', path: '/d/a.csv', status: 403, exception: 'FileAlreadyExistsException' });
  });

  it('answers undefined from stat and [] from listIfExists for a 404 FileNotFoundException', async () => {
    const { config } = await fakeWebHdfs((_request, response) => json(response, 404, notFound));
    const client = new HdfsClient(config);
    await expect(client.stat('/nope')).resolves.toBeUndefined();
    await expect(client.exists('/nope')).resolves.toBe(false);
    await expect(client.listIfExists('/nope')).resolves.toEqual([]);
    await expect(client.list('/nope')).rejects.toMatchObject({ name: 'HdfsError', status: 404, exception: 'FileNotFoundException' });
  });

  it('turns a non-JSON 500 into an HdfsError with the status and a quote of the body', async () => {
    const { config } = await fakeWebHdfs((_request, response) => response.writeHead(500, { 'content-type': 'text/html' }).end('<h1>broken</h1>'));
    const error = await new HdfsClient(config).list('/d').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HdfsError);
    expect(error).toMatchObject({ op: 'LISTSTATUS', status: 500, exception: undefined });
    expect((error as Error).message).toBe('LISTSTATUS /d: 500 Internal Server Error: <h1>broken</h1>');
  });

  it('throws a TimeoutError when the NameNode does not answer within timeoutMs', async () => {
    const { config } = await fakeWebHdfs(() => undefined); // never answers
    const started = Date.now();
    const error = await new HdfsClient({ ...config, timeoutMs: 300 }).stat('/slow').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ timeoutMs: 300, context: { op: 'GETFILESTATUS', path: '/slow' } });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('throws a TimeoutError when the DataNode takes the upload but never answers', async () => {
    const server = await fakeWebHdfs((request, response) => {
      if (request.pathname.startsWith('/webhdfs/')) return json(response, 200, { Location: `${server.config.url}/datanode/d/a.csv` });
      // the DataNode never answers
    });
    const error = await new HdfsClient({ ...server.config, timeoutMs: 300 }).create('/d/a.csv', 'data').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ timeoutMs: 300, context: { op: 'CREATE', path: '/d/a.csv' } });
    expect(server.requests.map((request) => request.body.toString())).toEqual(['', 'data']);
  });

  it('lists entries with their full paths', async () => {
    const { config } = await fakeWebHdfs((_request, response) =>
      json(response, 200, {
        FileStatuses: {
          FileStatus: [
            { pathSuffix: 'a.csv', type: 'FILE', length: 12, modificationTime: 1 },
            { pathSuffix: 'sub', type: 'DIRECTORY', length: 0, modificationTime: 2 },
          ],
        },
      }),
    );
    await expect(new HdfsClient(config).list('/d')).resolves.toEqual([
      { path: '/d/a.csv', name: 'a.csv', type: 'FILE', length: 12, modificationTime: 1 },
      { path: '/d/sub', name: 'sub', type: 'DIRECTORY', length: 0, modificationTime: 2 },
    ]);
  });
});
