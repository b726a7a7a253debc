import type { Socket } from 'node:net';
import { HiveClient as ThriftHiveClient, HiveDriver, auth as hiveAuth, connections, thrift } from 'hive-driver';
import type IAuthentication from 'hive-driver/dist/connection/contracts/IAuthentication';
import type ITransport from 'hive-driver/dist/connection/contracts/ITransport';
import type { ColumnDesc, OperationHandle, RowSet, SessionHandle, Status, TableSchema } from 'hive-driver/dist/hive/Types';
import type { HiveConfig } from './config';
import { HiveError, QpipeError, TimeoutError } from './errors';
import { silentLogger, type Logger } from './log';

/**
 * A typed HiveServer2 client (the Spark Thrift Server speaks the same protocol) over `hive-driver`'s
 * Thrift plumbing. It uses the driver for the socket, the SASL handshake and the generated Thrift
 * calls only, and does the rest itself, because the driver's own layer hangs or loses data:
 *
 * - every call has a deadline and is rejected when the connection errors or closes (the driver
 *   leaves such calls pending forever, which is what an auth-mode mismatch looks like);
 * - a statement runs asynchronously, its status is polled every `pollIntervalMs` up to its deadline,
 *   and past the deadline (or on abort) it is cancelled on the server;
 * - rows are converted from the columnar result set by column type: DECIMAL stays an exact string,
 *   BIGINT is a number only while it is a safe integer.
 *
 * One session per client, statements run one at a time in call order (one HS2 session runs one
 * statement at a time safely). After the connection is lost the client rejects every call: make a
 * new one (Temporal's retry policy does, through the worker's restart).
 */

/** A result row: column name (without any `table.` prefix) to value. */
export type Row = Record<string, string | number | boolean | null>;

/** A result column: its name as it appears in the rows, and its HiveServer2 type (`INT`, `DECIMAL(12,2)`, `STRING`, …). */
export interface Column {
  readonly name: string;
  readonly type: string;
}

export interface QueryResult<T = Row> {
  readonly columns: Column[];
  readonly rows: T[];
}

/** The states of a HiveServer2 operation, indexed by the protocol's `TOperationState`. */
export const operationStates = ['INITIALIZED', 'RUNNING', 'FINISHED', 'CANCELED', 'CLOSED', 'ERROR', 'UNKNOWN', 'PENDING', 'TIMEDOUT'] as const;
export type OperationState = (typeof operationStates)[number];
const errorState = operationStates.indexOf('ERROR');

export interface StatementProgress {
  readonly state: OperationState;
  readonly elapsedMs: number;
}

export interface StatementOptions {
  /** Deadline of the statement, from when it starts (not while it waits its turn); default `config.statementTimeoutMs`. */
  readonly timeoutMs?: number;
  /** Aborting cancels the statement on the server; it then rejects with a `TimeoutError` whose context says `aborted: true`. */
  readonly signal?: AbortSignal;
  /** Called on each status poll: a long activity heartbeats from here. */
  readonly onProgress?: (progress: StatementProgress) => void;
  /**
   * Session settings for this statement alone: each is `SET` just before it in the same session,
   * with no other statement of this client in between, and `RESET` after it, whatever its outcome
   * (a RESET that fails closes the session).
   * (HiveServer2's per-statement `confOverlay` is ignored by the Spark Thrift Server.) Delta's commit
   * metadata rides on this. A lost connection fails the statement: it never runs without them.
   */
  readonly settings?: Readonly<Record<string, string>>;
}

/** Fixed settings of the client; the tunable ones are in `HiveConfig`. */
export const hiveClientDefaults = {
  /** `HIVE_CLI_SERVICE_PROTOCOL_V10` (Hive 3.x, Spark 3/4 answer it); at least V6 is needed for columnar results. */
  protocolVersion: thrift.TCLIService_types.TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10 as number,
  minimumProtocolVersion: thrift.TCLIService_types.TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V6 as number,
  /** Rows asked for per FetchResults call. */
  fetchSize: 10_000,
  /** Deadline of the housekeeping calls: cancel and close an operation, close the session. */
  cleanupTimeoutMs: 10_000,
  /** How long a closing connection may take to say goodbye before its socket is destroyed. */
  socketCloseMs: 1_000,
  /** How much of a statement goes into logs and error context. */
  statementPreviewChars: 200,
  /** A statement seen in ERROR without its message is polled again this many times, this far apart, for it. */
  errorMessageRetries: 20,
  errorMessageRetryMs: 50,
} as const;

const types = thrift.TCLIService_types as {
  TStatusCode: Record<'SUCCESS_STATUS' | 'SUCCESS_WITH_INFO_STATUS' | 'STILL_EXECUTING_STATUS' | 'ERROR_STATUS' | 'INVALID_HANDLE_STATUS', number>;
  TFetchOrientation: Record<'FETCH_NEXT', number>;
};

/** HiveServer2 type names, indexed by the protocol's `TTypeId`. */
const typeNames = [
  'BOOLEAN', 'TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE', 'STRING', 'TIMESTAMP', 'BINARY', 'ARRAY', 'MAP', 'STRUCT',
  'UNION', 'USER_DEFINED', 'DECIMAL', 'NULL', 'DATE', 'VARCHAR', 'CHAR', 'INTERVAL_YEAR_MONTH', 'INTERVAL_DAY_TIME', 'TIMESTAMPLOCALTZ',
] as const;
type TypeName = (typeof typeNames)[number];

type Phase = 'idle' | 'connecting' | 'opening-session' | 'open' | 'closed';

/** What bounds one wait: a deadline and, for statements, the caller's abort signal. */
interface Limit {
  readonly deadlineAt: number;
  readonly signal?: AbortSignal;
}

/** A wait ended by its deadline or its abort signal; turned into a public error by whoever set the limit. */
class Interruption extends Error {
  constructor(readonly reason: 'deadline' | 'aborted') {
    super(`interrupted: ${reason}`);
  }
}

export class HiveClient {
  private phase: Phase = 'idle';
  private driver?: HiveDriver;
  private socket?: Socket;
  private session?: SessionHandle;
  /** Set once the connection is gone (lost or closed): every later call rejects with it. */
  private lost?: HiveError;
  /** Rejecters of the calls waiting on the connection. */
  private readonly pending = new Set<(error: Error) => void>();
  private queue: Promise<void> = Promise.resolve();
  private closing?: Promise<void>;

  constructor(
    private readonly config: HiveConfig,
    private readonly log: Logger = silentLogger,
  ) {}

  /** Connects (deadline `connectTimeoutMs`) and opens the session (deadline `sessionTimeoutMs`). Once per client. */
  async connect(): Promise<void> {
    if (this.phase !== 'idle') throw new HiveError(`connect() was already called on this client (${this.phase}); make a new HiveClient to reconnect`);
    const { host, port, auth, username, password, connectTimeoutMs, sessionTimeoutMs } = this.config;
    const started = Date.now();
    this.phase = 'connecting';
    const thriftClient = new ThriftHiveClient(thrift.TCLIService, thrift.TCLIService_types);
    thriftClient.on('error', (error: Error) => this.connectionLost(error));
    thriftClient.on('close', () => this.connectionLost());
    // HS2's PLAIN server rejects an empty password; with `NONE` authentication any password is accepted.
    const authentication = new WatchedAuthentication(
      auth === 'NOSASL' ? new hiveAuth.NoSaslAuthentication() : new hiveAuth.PlainTcpAuthentication({ username, password: password || undefined }),
      `${host}:${port}`,
      auth,
    );

    try {
      const connecting = thriftClient.connect({ host, port }, new connections.TcpConnection(), authentication).then(async () => {
        this.driver = new HiveDriver(thrift.TCLIService_types, thriftClient.getClient());
        // With NOSASL the driver resolves before the TCP handshake is done.
        if (this.socket?.connecting) await new Promise((resolve) => this.socket?.once('connect', resolve));
      });
      this.socket = authentication.socket; // opened synchronously by connect(), so close() can end it
      await this.guarded(connecting, { deadlineAt: started + connectTimeoutMs });
      if (this.isClosed()) throw new HiveError('the Hive client is closed');
    } catch (error) {
      const socketUp = authentication.socket !== undefined && !authentication.socket.connecting && !authentication.socket.destroyed;
      this.fail(authentication.socket);
      if (this.closing) throw closedWhileConnecting(error);
      if (!(error instanceof Interruption)) throw error;
      const timeout = new TimeoutError('hive connect', connectTimeoutMs, { host, port });
      // A socket that is up but never finished the SASL handshake is the other side of a mismatch.
      throw socketUp ? authMismatch(this.config, 'did not finish the SASL handshake', timeout) : timeout;
    }

    this.phase = 'opening-session';
    try {
      const response = await this.call(
        'OpenSession',
        (driver) =>
          driver.openSession({
            client_protocol: hiveClientDefaults.protocolVersion,
            username,
            password: password || 'anonymous',
            // HS2 holds a GetOperationStatus up to this long (default 5 s) waiting for the statement to
            // end. Bounded by the poll interval, a deadline or an abort is acted on (cancelled) at once.
            configuration: { 'set:hiveconf:hive.server2.long.polling.timeout': `${this.config.pollIntervalMs}ms` },
          }),
        { deadlineAt: Date.now() + sessionTimeoutMs },
      );
      if (response.serverProtocolVersion < hiveClientDefaults.minimumProtocolVersion) {
        throw new HiveError(`HiveServer2 at ${host}:${port} speaks protocol ${response.serverProtocolVersion + 1}; qpipe needs HIVE_CLI_SERVICE_PROTOCOL_V6 or later (columnar results)`);
      }
      if (this.isClosed()) throw new HiveError('the Hive client is closed');
      this.session = response.sessionHandle;
      this.phase = 'open';
      this.log.debug({ host, port, auth, protocol: `V${response.serverProtocolVersion + 1}`, ms: Date.now() - started }, 'hive session opened');
    } catch (error) {
      this.fail(this.socket);
      if (this.closing) throw closedWhileConnecting(error);
      if (!(error instanceof Interruption)) throw error;
      throw authMismatch(this.config, `did not open a session within ${sessionTimeoutMs} ms`, new TimeoutError('hive open session', sessionTimeoutMs, { host, port }));
    }
  }

  /** True while the session is open and the connection has not been lost or closed. */
  get usable(): boolean {
    return this.phase === 'open' && this.lost === undefined && this.closing === undefined;
  }

  /** Runs a statement that returns rows and returns all of them, converted by column type. */
  query<T = Row>(sql: string, options: StatementOptions = {}): Promise<QueryResult<T>> {
    return this.serialized(() => this.runWithSettings(sql, options, true)) as Promise<QueryResult<unknown>> as Promise<QueryResult<T>>;
  }

  /** Runs a statement without a result set (DDL, INSERT …): same deadline, cancellation and errors as `query`. */
  async execute(sql: string, options: StatementOptions = {}): Promise<void> {
    await this.serialized(() => this.runWithSettings(sql, options, false));
  }

  /** Closes the session and the connection. Idempotent; never throws (failures are logged); statements still running are rejected. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const sessionOpen = this.phase === 'open' && this.session !== undefined && this.lost === undefined;
    this.phase = 'closed';
    if (sessionOpen && this.session) {
      const sessionHandle = this.session;
      try {
        await this.call('CloseSession', (driver) => driver.closeSession({ sessionHandle }), this.cleanupLimit());
      } catch (error) {
        this.log.warn({ err: error }, 'hive session did not close cleanly');
      }
    }
    this.lost ??= new HiveError('the Hive client is closed');
    const socket = this.socket;
    if (socket && !socket.destroyed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => socket.destroy(), hiveClientDefaults.socketCloseMs);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        // A session says goodbye; a connect still under way has nothing to finish.
        if (sessionOpen) socket.end();
        else socket.destroy();
      });
    }
    this.rejectPending(this.lost);
  }

  /** `run` inside its settings: SET each, run, RESET each (also after a failure, while the connection lasts). */
  private async runWithSettings(sql: string, options: StatementOptions, wantRows: boolean): Promise<QueryResult> {
    const settings = Object.entries(options.settings ?? {});
    if (settings.length === 0) return this.run(sql, options, wantRows);
    const { signal, timeoutMs } = options;
    for (const [key, value] of settings) await this.run(`SET ${settingKey(key)}=${settingValue(key, value)}`, { signal, timeoutMs }, false);
    try {
      return await this.run(sql, options, wantRows);
    } finally {
      if (!this.lost) await this.resetSettings(settings.map(([key]) => key));
    }
  }

  /**
   * RESETs the keys. A failure closes the session, so no later statement can run with them, and is
   * logged: it never replaces the statement's own outcome.
   */
  private async resetSettings(keys: readonly string[]): Promise<void> {
    try {
      for (const key of keys) await this.run(`RESET ${key}`, { timeoutMs: hiveClientDefaults.cleanupTimeoutMs }, false);
    } catch (error) {
      this.log.warn({ keys, err: error }, 'session settings could not be reset; closing the session');
      void this.close();
    }
  }

  /** Runs one statement: submit, poll to FINISHED, fetch every page (for `query`), always close the operation. */
  private async run(sql: string, options: StatementOptions, wantRows: boolean): Promise<QueryResult> {
    const sessionHandle = this.openSession();
    const timeoutMs = options.timeoutMs ?? this.config.statementTimeoutMs;
    const started = Date.now();
    const limit: Limit = { deadlineAt: started + timeoutMs, signal: options.signal };
    const preview = sql.slice(0, hiveClientDefaults.statementPreviewChars);
    let submitted: Promise<{ operationHandle: OperationHandle }> | undefined;
    let operation: OperationHandle | undefined;
    let running = false;
    try {
      if (options.signal?.aborted) throw new Interruption('aborted');
      submitted = this.send('ExecuteStatement', (driver) => driver.executeStatement({ sessionHandle, statement: sql, runAsync: true }), sql);
      operation = (await this.guarded(submitted, limit)).operationHandle;
      running = true;
      let hasResultSet = operation.hasResultSet;
      for (;;) {
        const handle = operation;
        const polled = Date.now();
        const poll = () => this.call('GetOperationStatus', (driver) => driver.getOperationStatus({ operationHandle: handle, getProgressUpdate: false }), limit, sql);
        let status = await poll();
        // HiveServer2 (Spark's Thrift Server too) sets ERROR before it stores the statement's
        // exception: a poll in between sees ERROR with no message and no SQLSTATE. Ask again.
        for (let retry = 0; status.operationState === errorState && !status.errorMessage && retry < hiveClientDefaults.errorMessageRetries; retry += 1) {
          await this.pause(hiveClientDefaults.errorMessageRetryMs, limit);
          status = await poll();
        }
        const state = operationStates[status.operationState ?? 6] ?? 'UNKNOWN';
        if (typeof status.hasResultSet === 'boolean') hasResultSet = status.hasResultSet;
        if (state !== 'INITIALIZED' && state !== 'PENDING' && state !== 'RUNNING') running = false;
        options.onProgress?.({ state, elapsedMs: Date.now() - started });
        if (state === 'FINISHED') break;
        if (!running) {
          const message = status.errorMessage ? serverMessage(status.errorMessage) : `the statement ended in state ${state}`;
          throw new HiveError(message, preview, status.sqlState ?? undefined, status.errorCode ?? undefined, { cause: status.errorMessage ? new Error(status.errorMessage) : undefined });
        }
        // A status poll starts every pollIntervalMs; the server's long polling fills most of it.
        await this.pause(this.config.pollIntervalMs - (Date.now() - polled), limit);
      }
      const result = wantRows && hasResultSet ? await this.fetchAll(operation, limit, sql) : { columns: [], rows: [] };
      this.log.debug({ statement: preview, ms: Date.now() - started, rows: result.rows.length }, 'hive statement');
      return result;
    } catch (error) {
      const ms = Date.now() - started;
      if (operation && running && !this.lost) await this.cancel(operation, preview);
      if (!operation && submitted) this.closeWhenSubmitted(submitted, preview);
      if (error instanceof Interruption) {
        this.log.warn({ statement: preview, ms, timeoutMs, reason: error.reason }, 'hive statement cancelled');
        // An abort reports how long the statement ran before it; a deadline, the deadline.
        const aborted = error.reason === 'aborted';
        throw new TimeoutError('hive statement', aborted ? ms : timeoutMs, { statement: preview, aborted, elapsedMs: ms, statementTimeoutMs: timeoutMs });
      }
      this.log.debug({ statement: preview, ms, err: error }, 'hive statement failed');
      throw error;
    } finally {
      if (operation && !this.lost) await this.closeOperation(operation, preview);
    }
  }

  /** Reads the schema, then pages until the server returns an empty one (Spark always says `hasMoreRows: false`). */
  private async fetchAll(operationHandle: OperationHandle, limit: Limit, sql: string): Promise<QueryResult> {
    const metadata = await this.call('GetResultSetMetadata', (driver) => driver.getResultSetMetadata({ operationHandle }), limit, sql);
    const columns = describeColumns(metadata.schema);
    const rows: Row[] = [];
    for (;;) {
      const page = await this.call(
        'FetchResults',
        (driver) => driver.fetchResults({ operationHandle, orientation: types.TFetchOrientation.FETCH_NEXT, maxRows: hiveClientDefaults.fetchSize, fetchType: 0 }),
        limit,
        sql,
      );
      if (appendRows(rows, columns, page.results) === 0) break;
    }
    return { columns, rows };
  }

  private async cancel(operationHandle: OperationHandle, statement: string): Promise<void> {
    try {
      await this.call('CancelOperation', (driver) => driver.cancelOperation({ operationHandle }), this.cleanupLimit(), statement);
    } catch (error) {
      this.log.warn({ statement, err: error }, 'hive statement could not be cancelled');
    }
  }

  private async closeOperation(operationHandle: OperationHandle, statement: string): Promise<void> {
    try {
      await this.call('CloseOperation', (driver) => driver.closeOperation({ operationHandle }), this.cleanupLimit(), statement);
    } catch (error) {
      this.log.warn({ statement, err: error }, 'hive operation did not close cleanly');
    }
  }

  /** An ExecuteStatement that answered after its deadline: close the orphan it started. */
  private closeWhenSubmitted(submitted: Promise<{ operationHandle: OperationHandle }>, statement: string): void {
    submitted.then(
      ({ operationHandle }) => this.closeOperation(operationHandle, statement),
      () => undefined, // its failure was the statement's failure, already reported
    );
  }

  private openSession(): SessionHandle {
    if (this.lost) throw this.lost;
    if (this.phase !== 'open' || !this.session) {
      throw new HiveError(this.phase === 'closed' ? 'the Hive client is closed' : 'the Hive client is not connected: call connect() first');
    }
    return this.session;
  }

  /** Runs tasks one at a time, in call order; a failed task does not stop the next. */
  private serialized<R>(task: () => Promise<R>): Promise<R> {
    const result = this.queue.then(task);
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** One Thrift call: status checked, bounded by `limit`, rejected if the connection goes. */
  private call<R extends { status: Status }>(name: string, request: (driver: HiveDriver) => Promise<R>, limit: Limit, statement?: string): Promise<R> {
    return this.guarded(this.send(name, request, statement), limit);
  }

  private send<R extends { status: Status }>(name: string, request: (driver: HiveDriver) => Promise<R>, statement?: string): Promise<R> {
    if (this.lost) return Promise.reject(this.lost);
    const driver = this.driver;
    if (!driver) return Promise.reject(new HiveError('the Hive client is not connected: call connect() first'));
    const preview = statement?.slice(0, hiveClientDefaults.statementPreviewChars);
    return Promise.resolve()
      .then(() => request(driver))
      .then(
        (response) => {
          assertSuccess(response.status, name, preview);
          return response;
        },
        (error: unknown) => {
          if (error instanceof QpipeError) throw error;
          const message = error instanceof Error || isMessage(error) ? error.message : String(error);
          throw new HiveError(`HiveServer2 ${name} failed: ${message}`, preview, undefined, undefined, { cause: error });
        },
      );
  }

  /** Waits for `work` unless the deadline passes, the signal aborts or the connection goes first. */
  private guarded<R>(work: Promise<R>, limit: Limit): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const cleanUp = () => {
        clearTimeout(timer);
        limit.signal?.removeEventListener('abort', onAbort);
        this.pending.delete(fail);
      };
      const fail = (error: Error) => {
        cleanUp();
        reject(error);
      };
      const onAbort = () => fail(new Interruption('aborted'));
      const timer = setTimeout(() => fail(new Interruption('deadline')), Math.max(0, limit.deadlineAt - Date.now()));
      this.pending.add(fail);
      limit.signal?.addEventListener('abort', onAbort, { once: true });
      if (limit.signal?.aborted) onAbort();
      work.then(
        (value) => {
          cleanUp();
          resolve(value);
        },
        (error: unknown) => fail(error instanceof Error ? error : new HiveError(String(error), undefined, undefined, undefined, { cause: error })),
      );
    });
  }

  private async pause(ms: number, limit: Limit): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const wait = Math.max(0, Math.min(ms, limit.deadlineAt - Date.now()));
      await this.guarded(new Promise<void>((resolve) => (timer = setTimeout(resolve, wait))), limit);
    } finally {
      clearTimeout(timer);
    }
  }

  /** `close()` may run while `connect()` waits. */
  private isClosed(): boolean {
    return this.phase === 'closed';
  }

  private cleanupLimit(): Limit {
    return { deadlineAt: Date.now() + hiveClientDefaults.cleanupTimeoutMs };
  }

  /** The connection errored or closed: everything waiting on it, and everything after, rejects. */
  private connectionLost(cause?: Error): void {
    if (!this.lost) {
      const { host, port } = this.config;
      const detail = cause ? `: ${cause.message}` : '';
      if (this.phase === 'closed') this.lost = new HiveError('the Hive client is closed', undefined, undefined, undefined, { cause });
      else if (this.phase === 'opening-session') this.lost = authMismatch(this.config, `closed the connection while opening a session${detail}`, cause);
      else if (this.phase === 'connecting') this.lost = new HiveError(`cannot connect to HiveServer2 at ${host}:${port}${detail}`, undefined, undefined, undefined, { cause });
      else this.lost = new HiveError(`the connection to HiveServer2 at ${host}:${port} was lost${detail}`, undefined, undefined, undefined, { cause });
      if (this.phase === 'open') this.log.warn({ host, port, err: this.lost }, 'hive connection lost');
    }
    if (cause) this.socket?.destroy(); // a protocol error leaves the socket open but the stream unusable
    this.rejectPending(this.lost);
  }

  private rejectPending(error: Error): void {
    for (const reject of [...this.pending]) reject(error);
  }

  /** A failed connect: mark the client closed and drop the socket. */
  private fail(socket: Socket | undefined): void {
    this.phase = 'closed';
    this.lost ??= new HiveError('the Hive client is closed');
    socket?.destroy();
  }
}

/** A setting's key, checked: Spark's SET takes it bare. */
function settingKey(key: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_.]*$/.test(key)) throw new RangeError(`"${key}" is not a session setting key`);
  return key;
}

/** A setting's value, checked: SET takes the rest of the statement as the value, so it must be one line without `;`. */
function settingValue(key: string, value: string): string {
  if (/[;\r\n]/.test(value) || value !== value.trim()) throw new RangeError(`the value of session setting ${key} holds a ';', a line break or surrounding blanks`);
  return value;
}

/** What activities need of the warehouse: statements, nothing about connections. */
export type Warehouse = Pick<HiveClient, 'query' | 'execute'>;

/**
 * A warehouse connection for long-lived processes (the worker): it opens a `HiveClient` on first
 * use and opens a new one when the previous connection was lost (a restarted Thrift server), so a
 * failed activity's retry gets a working session. Statements of one client stay serialized.
 */
export class ReconnectingHiveClient implements Warehouse {
  private current?: Promise<HiveClient>;
  private closed = false;

  constructor(
    private readonly config: HiveConfig,
    private readonly log: Logger = silentLogger,
  ) {}

  query<T = Row>(sql: string, options?: StatementOptions): Promise<QueryResult<T>> {
    return this.client().then((client) => client.query<T>(sql, options));
  }

  async execute(sql: string, options?: StatementOptions): Promise<void> {
    await (await this.client()).execute(sql, options);
  }

  async close(): Promise<void> {
    this.closed = true;
    const current = this.current;
    this.current = undefined;
    await current?.then((client) => client.close(), () => undefined);
  }

  private async client(): Promise<HiveClient> {
    if (this.closed) throw new HiveError('the warehouse connection is closed');
    const current = this.current;
    if (current) {
      const client = await current.catch(() => undefined);
      if (client?.usable) return client;
      if (this.current !== current) return this.client(); // another call already replaced it
      if (client) {
        this.log.warn({ host: this.config.host, port: this.config.port }, 'hive connection lost; reconnecting');
        void client.close();
      }
    }
    const connecting = (async () => {
      const client = new HiveClient(this.config, this.log);
      await client.connect();
      return client;
    })();
    this.current = connecting;
    return connecting;
  }
}

/** Connects a client, runs `fn` with it and always closes it. */
export async function withHive<R>(config: HiveConfig, log: Logger, fn: (hive: HiveClient) => Promise<R>): Promise<R> {
  const hive = new HiveClient(config, log);
  try {
    await hive.connect();
    return await fn(hive);
  } finally {
    await hive.close();
  }
}

/**
 * Wraps the driver's SASL/NOSASL step: it keeps the socket (to destroy it on a deadline) and turns
 * a close or error during the handshake into a rejection (the driver waits forever on a close).
 */
class WatchedAuthentication implements IAuthentication {
  socket?: Socket;

  constructor(
    private readonly inner: IAuthentication,
    private readonly address: string,
    private readonly mode: string,
  ) {}

  authenticate(transport: ITransport): Promise<ITransport> {
    const authenticated = this.inner.authenticate(transport); // opens the socket synchronously
    const socket = transport.getTransport() as Socket | undefined;
    this.socket = socket;
    if (!socket) return authenticated;
    return new Promise<ITransport>((resolve, reject) => {
      let connected = false;
      const onConnect = () => (connected = true);
      const onError = (error: Error) => reject(new HiveError(`cannot connect to HiveServer2 at ${this.address}: ${error.message}`, undefined, undefined, undefined, { cause: error }));
      const onClose = () =>
        reject(
          connected
            ? new HiveError(`HiveServer2 at ${this.address} closed the connection during the ${this.mode === 'NOSASL' ? 'connection' : 'SASL handshake'}: QPIPE_HIVE_AUTH=${this.mode} may not match the server's hive.server2.authentication`)
            : new HiveError(`cannot connect to HiveServer2 at ${this.address}: connection closed`),
        );
      const stopWatching = () => {
        socket.off('connect', onConnect);
        socket.off('error', onError);
        socket.off('close', onClose);
      };
      socket.on('connect', onConnect);
      socket.on('error', onError);
      socket.on('close', onClose);
      authenticated.then(
        (ready) => {
          stopWatching();
          resolve(ready);
        },
        (error: unknown) => {
          stopWatching();
          const message = error instanceof Error || isMessage(error) ? error.message : String(error);
          reject(new HiveError(`HiveServer2 at ${this.address} refused the connection: ${message}`, undefined, undefined, undefined, { cause: error }));
        },
      );
    });
  }
}

function closedWhileConnecting(cause: unknown): HiveError {
  return new HiveError('the Hive client was closed while connecting', undefined, undefined, undefined, { cause });
}

function authMismatch(config: HiveConfig, what: string, cause?: unknown): HiveError {
  return new HiveError(
    `HiveServer2 at ${config.host}:${config.port} ${what}: QPIPE_HIVE_AUTH=${config.auth} may not match the server's hive.server2.authentication ` +
      '(NONE, LDAP, CUSTOM need QPIPE_HIVE_AUTH=NONE; NOSASL needs QPIPE_HIVE_AUTH=NOSASL)',
    undefined,
    undefined,
    undefined,
    { cause },
  );
}

function assertSuccess(status: Status, name: string, statement?: string): void {
  const code = status.statusCode;
  if (code !== types.TStatusCode.ERROR_STATUS && code !== types.TStatusCode.INVALID_HANDLE_STATUS) return;
  const raw = status.errorMessage ?? '';
  const what = code === types.TStatusCode.INVALID_HANDLE_STATUS ? 'an invalid handle' : 'an error';
  throw new HiveError(raw ? serverMessage(raw) : `HiveServer2 ${name} returned ${what}`, statement, status.sqlState ?? undefined, status.errorCode ?? undefined, {
    cause: raw ? new Error(raw) : undefined,
  });
}

function isMessage(value: unknown): value is { message: string } {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';
}

/**
 * The useful part of a server error: without the Java stack trace and the exception class names,
 * e.g. `[TABLE_OR_VIEW_NOT_FOUND] The table or view `x` cannot be found. … SQLSTATE: 42P01; line 1 pos 14; …`.
 */
export function serverMessage(raw: string): string {
  const withoutStack = raw.split(/\r?\n\s*at [\w$.<>]+\(/)[0] ?? raw;
  return withoutStack
    .replace(/^org\.apache\.hive\.service\.cli\.HiveSQLException: /, '')
    .replace(/^Error (?:running|executing) (?:query|statement): /, '')
    .replace(/^(\[[\w.]+\]) [\w.$]+(?:Exception|Error): \1 /, '$1 ')
    .trim();
}

/** Columns in position order, names without a `table.` prefix and made unique (`id`, `id_2`). */
export function describeColumns(schema: TableSchema | null | undefined): Column[] {
  const seen = new Set<string>();
  return [...(schema?.columns ?? [])]
    .sort((a, b) => a.position - b.position)
    .map((column) => {
      const base = column.columnName.split('.').pop() || column.columnName;
      let name = base;
      for (let suffix = 2; seen.has(name); suffix += 1) name = `${base}_${suffix}`;
      seen.add(name);
      return { name, type: typeOf(column) };
    });
}

function typeOf(column: ColumnDesc): string {
  const entry = column.typeDesc?.types?.[0]?.primitiveEntry;
  const name: string = (entry ? typeNames[entry.type] : undefined) ?? 'UNKNOWN';
  // Thrift decodes the map as a plain object.
  const qualifiers = (entry?.typeQualifiers?.qualifiers ?? {}) as unknown as Record<string, { i32Value?: number | null } | undefined>;
  if (name === 'DECIMAL' && qualifiers.precision?.i32Value != null) return `DECIMAL(${qualifiers.precision.i32Value},${qualifiers.scale?.i32Value ?? 0})`;
  if ((name === 'VARCHAR' || name === 'CHAR') && qualifiers.characterMaximumLength?.i32Value != null) return `${name}(${qualifiers.characterMaximumLength.i32Value})`;
  return name;
}

interface ThriftColumnValues {
  readonly values: readonly unknown[];
  readonly nulls?: Buffer | null;
}
const columnKinds = ['boolVal', 'byteVal', 'i16Val', 'i32Val', 'i64Val', 'doubleVal', 'stringVal', 'binaryVal'] as const;

/** Appends the rows of one columnar result page, converted by column type; returns how many. */
export function appendRows(rows: Row[], columns: readonly Column[], rowSet: RowSet | null | undefined): number {
  const thriftColumns = (rowSet?.columns ?? []) as unknown as Partial<Record<(typeof columnKinds)[number], ThriftColumnValues | null>>[];
  if (thriftColumns.length === 0) {
    if ((rowSet?.rows?.length ?? 0) > 0) throw new HiveError('HiveServer2 sent a row-based result set; qpipe needs a columnar one (protocol V6 or later)');
    return 0;
  }
  if (thriftColumns.length !== columns.length) throw new HiveError(`HiveServer2 sent ${thriftColumns.length} columns for a schema of ${columns.length}`);
  const data = thriftColumns.map((column) => columnKinds.map((kind) => column[kind]).find((values) => values != null) ?? { values: [] });
  const count = data[0]?.values.length ?? 0;
  const columnTypes = columns.map((column) => column.type.replace(/\(.*$/, '') as TypeName);
  for (let index = 0; index < count; index += 1) {
    const row: Row = {};
    columns.forEach((column, position) => {
      const { values, nulls } = data[position] ?? { values: [] };
      row[column.name] = isNullAt(nulls, index) ? null : convert(values[index], columnTypes[position]);
    });
    rows.push(row);
  }
  return count;
}

function isNullAt(nulls: Buffer | null | undefined, index: number): boolean {
  const byte = nulls?.[index >> 3];
  return byte !== undefined && (byte & (1 << (index & 7))) !== 0;
}

function convert(value: unknown, type: TypeName | undefined): string | number | boolean | null {
  if (value === undefined || value === null || type === 'NULL') return null;
  switch (type) {
    case 'BOOLEAN':
      return typeof value === 'boolean' ? value : value === 'true';
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT':
    case 'FLOAT':
    case 'DOUBLE':
      return typeof value === 'number' ? value : Number(value);
    case 'BIGINT':
      return integer(value);
    default:
      if (Buffer.isBuffer(value)) return value.toString('base64'); // BINARY
      if (isInt64(value)) return integer(value);
      if (typeof value === 'number' || typeof value === 'boolean') return value;
      return String(value); // DECIMAL (exact text), DATE, TIMESTAMP, STRING, complex types as Spark prints them
  }
}

interface Int64 {
  readonly buffer: Buffer;
  readonly offset: number;
}

function isInt64(value: unknown): value is Int64 {
  return typeof value === 'object' && value !== null && Buffer.isBuffer((value as Int64).buffer) && typeof (value as Int64).offset === 'number';
}

/** A BIGINT as a number while it is a safe integer, else its exact decimal text. */
function integer(value: unknown): number | string {
  const big = isInt64(value) ? value.buffer.readBigInt64BE(value.offset) : BigInt(value as string | number);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big.toString();
}
