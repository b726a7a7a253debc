import { setTimeout as sleep } from 'node:timers/promises';
import { createHash, randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { HdfsConfig } from './config';
import { HdfsError, TimeoutError } from './errors';
import { silentLogger, type Logger } from './log';

/** One entry of a directory listing, or the status of one path. */
export interface HdfsFileStatus {
  /** The full absolute HDFS path. */
  readonly path: string;
  /** The last path component. */
  readonly name: string;
  readonly type: 'FILE' | 'DIRECTORY';
  /** Bytes; 0 for a directory. */
  readonly length: number;
  /** Milliseconds since the epoch. */
  readonly modificationTime: number;
}

/** What a file can be written from. Stream bodies are streamed to the DataNode, never buffered whole. */
export type HdfsBody = Buffer | Uint8Array | string | Readable | AsyncIterable<Uint8Array | string>;

/** The NameNode's error payload: `{"RemoteException":{"exception", "javaClassName", "message"}}`. */
export interface RemoteException {
  readonly exception: string;
  readonly javaClassName?: string;
  readonly message: string;
}

export interface CreateOptions {
  /** Replace an existing file. Default false: a create onto an existing file throws `FileAlreadyExistsException`. */
  readonly overwrite?: boolean;
}

export interface PutAtomicOptions extends CreateOptions {
  /**
   * Write the temporary file in this existing directory instead of beside the target (same file
   * system): its rename then fails once the directory is gone, which is how a fenced writer's
   * late write is refused (lib/stream/epoch.ts). Default: beside the target.
   */
  readonly temporaryDir?: string;
}

export interface RenameOptions {
  /** Replace an existing destination of the same type (HDFS rename2 with OVERWRITE, atomic). Default false. */
  readonly overwrite?: boolean;
}

export interface DeleteOptions {
  /** Delete a non-empty directory with its content. Default false: deleting one throws. */
  readonly recursive?: boolean;
}

/** Query parameters of one WebHDFS call; `op` and `user.name` are added by {@link webHdfsUrl}. */
export type WebHdfsParams = Readonly<Record<string, string | number | boolean>>;

/**
 * A typed WebHDFS (and HttpFS) REST client on the global `fetch`, with simple auth (`user.name`).
 *
 * Every operation fails loudly: a non-2xx answer becomes an {@link HdfsError} carrying the HTTP status
 * and the RemoteException class; a rename the NameNode did not do is an error, not a `false`; a
 * network failure is an `HdfsError` whose `cause` is the socket error (transient: the caller's retry
 * policy may retry it); a request past `config.timeoutMs` is a {@link TimeoutError}. One deadline covers
 * one operation, a whole two-step upload or a whole download included.
 */
export class HdfsClient {
  constructor(
    private readonly config: HdfsConfig,
    private readonly log: Logger = silentLogger,
  ) {}

  /** Creates `path` and any missing parents (a no-op when the directory exists). */
  async mkdirs(path: string): Promise<void> {
    const result = await this.json('MKDIRS', path, 'PUT');
    if (booleanOf(result) !== true) throw new HdfsError(`MKDIRS ${path} returned ${JSON.stringify(result)}`, 'MKDIRS', path, 200);
  }

  /** The entries of the directory `path` (the file itself when `path` is a file); throws `FileNotFoundException` when missing. */
  async list(path: string): Promise<HdfsFileStatus[]> {
    const result = await this.json('LISTSTATUS', path, 'GET');
    const statuses = (result as { FileStatuses?: { FileStatus?: unknown } } | undefined)?.FileStatuses?.FileStatus;
    if (!Array.isArray(statuses)) throw new HdfsError(`LISTSTATUS ${path} answered without FileStatuses`, 'LISTSTATUS', path, 200);
    return statuses.map((raw) => toFileStatus(path, raw, 'LISTSTATUS'));
  }

  /** Like {@link list}, but `[]` when `path` does not exist. */
  async listIfExists(path: string): Promise<HdfsFileStatus[]> {
    try {
      return await this.list(path);
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  }

  /** The status of `path`, or undefined when it does not exist. */
  async stat(path: string): Promise<HdfsFileStatus | undefined> {
    let result: unknown;
    try {
      result = await this.json('GETFILESTATUS', path, 'GET');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const raw = (result as { FileStatus?: unknown } | undefined)?.FileStatus;
    if (raw === undefined) throw new HdfsError(`GETFILESTATUS ${path} answered without FileStatus`, 'GETFILESTATUS', path, 200);
    return toFileStatus(path, raw, 'GETFILESTATUS');
  }

  async exists(path: string): Promise<boolean> {
    return (await this.stat(path)) !== undefined;
  }

  /**
   * Writes `body` to `path` with the two-step protocol: the NameNode names a DataNode (`noredirect=true`
   * answers 200 `{"Location"}`; a 307 is followed too), then the data goes there. Parent directories are
   * created. Not atomic: readers may see a partial file while it is written and after a failed upload;
   * use {@link putAtomic} for files others read. A stream body is consumed: a retry needs a fresh one.
   */
  async create(path: string, body: HdfsBody, { overwrite = false }: CreateOptions = {}): Promise<void> {
    const op = 'CREATE';
    await this.deadline(op, path, async (signal) => {
      const nameNode = await this.send(op, path, 'PUT', webHdfsUrl(this.config, path, op, { overwrite, noredirect: true }), signal, { redirect: 'manual' });
      const location = await dataNodeLocation(op, path, nameNode);
      // The DataNode answers `100 Continue` even unasked, which undici's fetch rejects as a bad response
      // (UND_ERR_SOCKET), so the data goes through node:http, streamed.
      const started = performance.now();
      const answer = await upload(op, path, location, body, signal);
      this.log.debug({ op, path, method: 'PUT', status: answer.status, bytes: answer.bytes, ms: Math.round(performance.now() - started) }, 'webhdfs');
      if (answer.status !== 201 && answer.status !== 200) throw httpError(op, path, answer.status, answer.statusText, answer.text);
    });
  }

  /** The content of the file `path` as a byte stream (OPEN, following the redirect to the DataNode). */
  async read(path: string): Promise<Readable> {
    const op = 'OPEN';
    const signal = AbortSignal.timeout(this.config.timeoutMs);
    const started = performance.now();
    let response: Response;
    try {
      response = await this.send(op, path, 'GET', webHdfsUrl(this.config, path, op), signal, { redirect: 'follow' });
      if (!response.ok) throw await responseError(op, path, response);
    } catch (error) {
      throw this.failed(op, path, error, signal, started);
    }
    const source = response.body;
    const chunks = async function* (client: HdfsClient): AsyncGenerator<Buffer> {
      if (!source) return;
      try {
        for await (const chunk of source as AsyncIterable<Uint8Array>) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      } catch (error) {
        throw client.failed(op, path, error, signal, started);
      }
    };
    return Readable.from(chunks(this), { objectMode: false });
  }

  /** The whole content of the small file `path`, decoded as UTF-8. */
  async readText(path: string): Promise<string> {
    return (await this.readBytes(path)).toString('utf8');
  }

  /** The whole content of the file `path`. */
  async readBytes(path: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const chunk of await this.read(path)) parts.push(chunk as Buffer);
    return Buffer.concat(parts);
  }

  /**
   * Renames `from` to `to`, checked: the rename happened or this throws an {@link HdfsError} (op `RENAME`)
   * naming both paths. Uses HDFS rename2 semantics (`renameoptions=NONE|OVERWRITE`): the result is
   * exactly `to` (never `to/<name>` inside an existing directory), a missing destination parent is an
   * error, and an existing destination is `FileAlreadyExistsException` unless `overwrite`. A server that
   * ignores `renameoptions` (HttpFS) answers `{"boolean": false}` instead; then the source and destination
   * are looked up to say why, and `exception` is set as rename2 would have (`FileAlreadyExistsException`,
   * `FileNotFoundException`).
   */
  async rename(from: string, to: string, { overwrite = false }: RenameOptions = {}): Promise<void> {
    const op = 'RENAME';
    checkPath(op, to);
    let result: unknown;
    try {
      result = await this.json(op, from, 'PUT', { destination: to, renameoptions: overwrite ? 'OVERWRITE' : 'NONE' });
    } catch (error) {
      if (error instanceof HdfsError && error.status !== undefined) {
        const detail = error.message.startsWith(`${op} ${from}: `) ? error.message.slice(`${op} ${from}: `.length) : error.message;
        throw new HdfsError(`rename ${from} -> ${to} failed: ${detail}`, op, from, error.status, error.exception, { cause: error });
      }
      throw error;
    }
    // rename2 answers an empty body; the classic rename answers {"boolean": true|false}.
    if (result === undefined || booleanOf(result) === true) return;
    if (booleanOf(result) !== false) throw new HdfsError(`rename ${from} -> ${to} answered ${JSON.stringify(result)}`, op, from, 200);
    const [source, destination, parent] = await Promise.all([this.stat(from), this.stat(to), this.stat(posix.dirname(to))]).catch(
      (error: unknown) => {
        throw new HdfsError(`rename ${from} -> ${to} did not happen (the server answered false), and looking up why failed`, op, from, 200, undefined, { cause: error });
      },
    );
    const [reason, exception] = !source
      ? ['source does not exist', 'FileNotFoundException']
      : destination
        ? ['destination exists', 'FileAlreadyExistsException']
        : !parent
          ? ['destination parent does not exist', 'FileNotFoundException']
          : ['no reason given by the server', undefined];
    throw new HdfsError(`rename ${from} -> ${to} did not happen: ${reason}`, op, from, 200, exception);
  }

  /** Deletes `path`; true when something was deleted, false when it did not exist. */
  async delete(path: string, { recursive = false }: DeleteOptions = {}): Promise<boolean> {
    const op = 'DELETE';
    if (path === '/') throw new HdfsError('refusing to delete the HDFS root', op, path);
    const result = await this.json(op, path, 'DELETE', { recursive });
    const deleted = booleanOf(result);
    if (deleted === undefined) throw new HdfsError(`DELETE ${path} answered ${JSON.stringify(result)}`, op, path, 200);
    return deleted;
  }

  /**
   * Writes `body` to `path` atomically: parents are created, the data goes to a hidden sibling
   * `<dir>/.<name>.tmp-<random>` (a name Hive and Spark skip), which is then renamed into place
   * (rename2; with `overwrite`, `renameoptions=OVERWRITE` replaces the target atomically). Readers see
   * the old file or the whole new one, never a part. Without `overwrite` an existing target is a
   * `FileAlreadyExistsException`, checked before uploading and again by the rename. On any failure the
   * temporary file is deleted (best effort, logged) and the error rethrown. With `temporaryDir` the
   * temporary file is written there instead (see {@link PutAtomicOptions}).
   */
  async putAtomic(path: string, body: HdfsBody, { overwrite = false, temporaryDir }: PutAtomicOptions = {}): Promise<void> {
    checkPath('CREATE', path);
    await this.mkdirs(posix.dirname(path));
    if (!overwrite && (await this.exists(path))) {
      throw new HdfsError(`${path} already exists (putAtomic without overwrite)`, 'CREATE', path, undefined, 'FileAlreadyExistsException');
    }
    const sibling = temporarySibling(path, randomBytes(8).toString('hex'));
    const temporary = temporaryDir === undefined ? sibling : posix.join(temporaryDir, posix.basename(sibling));
    try {
      await this.create(temporary, body, { overwrite: false });
      await this.rename(temporary, path, { overwrite });
    } catch (error) {
      await this.removeTemporary(temporary);
      throw error;
    }
  }

  /**
   * Deletes the temporary file of a failed putAtomic. An aborted upload may still be creating the file
   * on the DataNode after our DELETE, so it is looked for again shortly after and deleted once more.
   * Best effort: a leftover hidden `.tmp-` file is ignored by readers; failures are logged.
   */
  private async removeTemporary(temporary: string): Promise<void> {
    try {
      for (let attempt = 0; attempt < 5; attempt += 1) {
        await this.delete(temporary);
        await sleep(200);
        if (!(await this.exists(temporary))) return;
      }
      this.log.warn({ op: 'DELETE', path: temporary }, 'webhdfs: the temporary file of a failed putAtomic keeps reappearing');
    } catch (cleanupError) {
      this.log.warn({ op: 'DELETE', path: temporary, err: cleanupError }, 'webhdfs: could not remove the temporary file of a failed putAtomic');
    }
  }

  /** One JSON call to the NameNode: the parsed body (undefined when empty) of a 2xx answer, else an error. */
  private async json(op: string, path: string, method: string, params: WebHdfsParams = {}): Promise<unknown> {
    return this.deadline(op, path, async (signal) => {
      const response = await this.send(op, path, method, webHdfsUrl(this.config, path, op, params), signal, { redirect: 'manual' });
      if (!response.ok) throw await responseError(op, path, response);
      const text = await response.text();
      if (text.trim() === '') return undefined;
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw new HdfsError(`${op} ${path} answered ${response.status} with a body that is not JSON: ${snippet(text)}`, op, path, response.status, undefined, { cause: error });
      }
    });
  }

  /** Runs one operation under one deadline; maps every failure to HdfsError or TimeoutError. */
  private async deadline<T>(op: string, path: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    checkPath(op, path);
    const signal = AbortSignal.timeout(this.config.timeoutMs);
    const started = performance.now();
    try {
      return await run(signal);
    } catch (error) {
      throw this.failed(op, path, error, signal, started);
    }
  }

  private async send(op: string, path: string, method: string, url: string, signal: AbortSignal, init: RequestInit): Promise<Response> {
    const started = performance.now();
    const response = await fetch(url, { ...init, method, signal });
    this.log.debug({ op, path, method, status: response.status, ms: Math.round(performance.now() - started) }, 'webhdfs');
    return response;
  }

  private failed(op: string, path: string, error: unknown, signal: AbortSignal, started: number): HdfsError | TimeoutError {
    const ms = Math.round(performance.now() - started);
    const mapped =
      error instanceof HdfsError || error instanceof TimeoutError
        ? error
        : signal.aborted
          ? new TimeoutError(`webhdfs ${op} ${path}`, this.config.timeoutMs, { op, path })
          : new HdfsError(`webhdfs ${op} ${path} failed: ${networkReason(error)}`, op, path, undefined, undefined, { cause: error });
    this.log.debug({ op, path, ms, err: mapped }, 'webhdfs failed');
    return mapped;
  }
}

/** `<base>/webhdfs/v1<path>?op=<op>&user.name=<user>&<params>`, every path segment and value percent-encoded. */
export function webHdfsUrl(config: Pick<HdfsConfig, 'url' | 'user'>, path: string, op: string, params: WebHdfsParams = {}): string {
  checkPath(op, path);
  const encodedPath = path
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
  const query = Object.entries({ op, ...params, 'user.name': config.user })
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
    .join('&');
  return `${config.url.replace(/\/+$/, '')}/webhdfs/v1${encodedPath}?${query}`;
}

/** The RemoteException in a WebHDFS error body, or undefined when the body carries none. */
export function parseRemoteException(text: string): RemoteException | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined; // not JSON: the caller reports the raw body
  }
  const remote = (parsed as { RemoteException?: Record<string, unknown> } | null)?.RemoteException;
  if (!remote || typeof remote !== 'object' || typeof remote.exception !== 'string') return undefined;
  return {
    exception: remote.exception,
    javaClassName: typeof remote.javaClassName === 'string' ? remote.javaClassName : undefined,
    message: typeof remote.message === 'string' ? remote.message : '',
  };
}

/**
 * The hidden sibling `<dir>/.<name>.tmp-<suffix>` that {@link HdfsClient.putAtomic} writes first;
 * for a name too long for that within HDFS's 255-byte name limit, `.<sha256 of the name, 32 hex>.tmp-<suffix>`.
 */
export function temporarySibling(path: string, suffix: string): string {
  return posix.join(posix.dirname(path), `${temporaryPrefix(posix.basename(path))}${suffix}`);
}

/** Whether `name` is a putAtomic temporary of the file `target` (what a process killed mid-write leaves). */
export function isTemporaryOf(name: string, target: string): boolean {
  return name.startsWith(temporaryPrefix(posix.basename(target)));
}

function temporaryPrefix(name: string): string {
  const plain = `.${name}.tmp-`;
  return Buffer.byteLength(plain) + 32 <= 255 ? plain : `.${createHash('sha256').update(name).digest('hex').slice(0, 32)}.tmp-`;
}

/** The HdfsError for a non-2xx answer: status, RemoteException class and the first line of its message. */
export function httpError(op: string, path: string, status: number, statusText: string, body: string): HdfsError {
  const remote = parseRemoteException(body);
  if (remote) {
    const firstLine = remote.message.split('\n', 1)[0]!.trim();
    return new HdfsError(`${op} ${path}: ${status} ${remote.exception}: ${firstLine}`, op, path, status, remote.exception);
  }
  return new HdfsError(`${op} ${path}: ${status} ${statusText}${body.trim() ? `: ${snippet(body)}` : ''}`, op, path, status);
}

async function responseError(op: string, path: string, response: Response): Promise<HdfsError> {
  return httpError(op, path, response.status, response.statusText, await response.text());
}

function checkPath(op: string, path: string): void {
  if (!path.startsWith('/') || path.split('/').some((segment) => segment === '..' || segment === '.')) {
    throw new HdfsError(`expected an absolute HDFS path without . or .. segments, got "${path}"`, op, path);
  }
}

async function dataNodeLocation(op: string, path: string, response: Response): Promise<string> {
  if (response.status >= 300 && response.status < 400) {
    const location = response.headers.get('location');
    await response.arrayBuffer();
    if (!location) throw new HdfsError(`${op} ${path}: ${response.status} redirect without a Location`, op, path, response.status);
    return location;
  }
  if (!response.ok) throw await responseError(op, path, response);
  const text = await response.text();
  let location: unknown;
  try {
    location = (JSON.parse(text) as { Location?: unknown }).Location;
  } catch (error) {
    throw new HdfsError(`${op} ${path}: the NameNode answered ${response.status} without a Location: ${snippet(text)}`, op, path, response.status, undefined, { cause: error });
  }
  if (typeof location !== 'string') throw new HdfsError(`${op} ${path}: the NameNode answered ${response.status} without a Location: ${snippet(text)}`, op, path, response.status);
  return location;
}

interface UploadAnswer {
  readonly status: number;
  readonly statusText: string;
  readonly text: string;
  readonly bytes: number;
}

/**
 * PUTs `body` to the DataNode `location`, streaming stream bodies (chunked) with backpressure. The
 * DataNode's answer is the outcome: an error status it sends before it has read the whole body (403
 * FileAlreadyExistsException) wins over the broken pipe that follows it.
 */
function upload(op: string, path: string, location: string, body: HdfsBody, signal: AbortSignal): Promise<UploadAnswer> {
  return new Promise<UploadAnswer>((resolve, reject) => {
    const url = new URL(location);
    const fixed = typeof body === 'string' ? Buffer.from(body) : body instanceof Uint8Array ? body : undefined;
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream' };
    if (fixed) headers['content-length'] = fixed.byteLength;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let answered = false;
    let bytes = 0;
    const request = send(url, { method: 'PUT', headers, signal }, (response) => {
      answered = true;
      const parts: Buffer[] = [];
      response.on('data', (chunk: Buffer) => parts.push(chunk));
      response.on('error', reject);
      response.on('close', () => {
        if (!response.complete) reject(new Error('the DataNode closed the connection before its answer was complete'));
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', text: Buffer.concat(parts).toString('utf8'), bytes }),
      );
    });
    if (fixed) {
      request.on('error', (error) => {
        if (!answered) reject(error);
      });
      bytes = fixed.byteLength;
      request.end(fixed);
      return;
    }
    let sourceError: unknown;
    const counted = async function* (): AsyncGenerator<Uint8Array> {
      try {
        for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
          const bytesOf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          bytes += bytesOf.byteLength;
          yield bytesOf;
        }
      } catch (error) {
        sourceError = error;
        throw error;
      }
    };
    pipeline(Readable.from(counted(), { objectMode: false }), request).catch((error: unknown) => {
      if (sourceError !== undefined) reject(new HdfsError(`${op} ${path}: reading the body to upload failed`, op, path, undefined, undefined, { cause: sourceError }));
      else if (!answered) reject(error);
      // else: the DataNode already answered (an error status before reading everything); that answer is the outcome.
    });
  });
}

function toFileStatus(parent: string, raw: unknown, op: string): HdfsFileStatus {
  const status = raw as { pathSuffix?: unknown; type?: unknown; length?: unknown; modificationTime?: unknown } | null;
  const type = status?.type;
  if (typeof status?.pathSuffix !== 'string' || (type !== 'FILE' && type !== 'DIRECTORY')) {
    throw new HdfsError(`${op} ${parent} answered an unexpected FileStatus: ${snippet(JSON.stringify(raw))}`, op, parent, 200);
  }
  const path = status.pathSuffix === '' ? parent : posix.join(parent, status.pathSuffix);
  return { path, name: posix.basename(path), type, length: Number(status.length ?? 0), modificationTime: Number(status.modificationTime ?? 0) };
}

function booleanOf(result: unknown): boolean | undefined {
  const value = (result as { boolean?: unknown } | undefined)?.boolean;
  return typeof value === 'boolean' ? value : undefined;
}

function isNotFound(error: unknown): boolean {
  return error instanceof HdfsError && error.status === 404 && error.exception === 'FileNotFoundException';
}

/** A short reason for a network failure: the socket error's code (`ECONNREFUSED`) or the innermost message. */
function networkReason(error: unknown): string {
  const outer = error as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined;
  for (const candidate of [outer?.cause, outer]) {
    if (typeof candidate?.code === 'string') return typeof candidate.message === 'string' ? `${candidate.code} (${candidate.message})` : candidate.code;
  }
  // undici's "fetch failed" says nothing; its cause says why (e.g. "bad port").
  for (const candidate of [outer?.cause, outer]) {
    if (typeof candidate?.message === 'string' && candidate.message !== '') return candidate.message;
  }
  return String(error);
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}
