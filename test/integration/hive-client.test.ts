import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig, type HiveConfig } from '../../lib/config';
import { HiveError, TimeoutError } from '../../lib/errors';
import { HiveClient, ReconnectingHiveClient, withHive, type StatementProgress } from '../../lib/hive-client';
import { silentLogger } from '../../lib/log';

// Against the real Spark Thrift Server of the local stack (`bin/qpipe stack up`), auth NONE.
const config: HiveConfig = loadConfig().hive;
const testDatabase = `qpipe_test_${randomBytes(4).toString('hex')}`;
/** Outlives every deadline below by far (10^12 rows take minutes on a two-core local Spark) and cannot overflow. */
const endlessSql = (marker: string) => `SELECT sum(id % 7) AS ${marker} FROM range(0, 1000000000000L)`;

/** Rejects with what `promise` rejected with; fails if it resolved. Also returns how long it took. */
async function rejection(promise: Promise<unknown>): Promise<{ error: Error; ms: number }> {
  const started = Date.now();
  try {
    await promise;
  } catch (error) {
    return { error: error as Error, ms: Date.now() - started };
  }
  throw new Error('expected a rejection, got a result');
}

/** A local TCP server for the failure cases: a proxy to the real server, or one that never answers. */
async function startServer(onConnection: (socket: net.Socket) => void): Promise<{ port: number; sockets: Set<net.Socket>; stop: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    sockets,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function proxyTo(host: string, port: number, upstreams: Set<net.Socket>) {
  return (socket: net.Socket) => {
    const upstream = net.connect(port, host);
    upstreams.add(upstream);
    upstream.on('close', () => {
      upstreams.delete(upstream);
      socket.destroy();
    });
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    socket.pipe(upstream);
    upstream.pipe(socket);
  };
}

describe('HiveClient against the Spark Thrift Server', () => {
  const hive = new HiveClient(config, silentLogger);

  beforeAll(async () => {
    await hive.connect();
  });

  afterAll(async () => {
    await hive.execute(`DROP DATABASE IF EXISTS ${testDatabase} CASCADE`).catch((error: unknown) => console.error(`could not drop ${testDatabase}`, error));
    await hive.close();
  });

  it('returns SELECT 1 + 1 as one INT column holding the number 2', async () => {
    const result = await hive.query('SELECT 1 + 1 AS two');
    expect(result).toEqual({ columns: [{ name: 'two', type: 'INT' }], rows: [{ two: 2 }] });
  });

  it('converts each column type exactly: DECIMAL as text, BIGINT as a number only while safe, NULL, DATE, BOOLEAN', async () => {
    const { columns, rows } = await hive.query(
      [
        "SELECT CAST('12345678.91' AS DECIMAL(12,2)) AS d,",
        "CAST('12.5' AS DECIMAL(10,2)) AS d_scale,",
        "CAST('-0.000000000000000001' AS DECIMAL(38,18)) AS d_tiny,",
        '42L AS big_safe,',
        "CAST('9007199254740993' AS BIGINT) AS big_unsafe,",
        "CAST('-9223372036854775808' AS BIGINT) AS big_min,",
        'NULL AS nothing,',
        'CAST(NULL AS INT) AS null_int,',
        'CAST(NULL AS DECIMAL(5,2)) AS null_decimal,',
        "DATE'2024-02-29' AS day,",
        "TIMESTAMP'2024-02-29 13:45:06.5' AS moment,",
        'true AS yes, false AS no,',
        'CAST(-7 AS TINYINT) AS tiny, CAST(300 AS SMALLINT) AS small, 2147483647 AS int_max,',
        "2.5D AS dbl, 'qpipe' AS text",
      ].join(' '),
    );
    expect(rows).toEqual([
      {
        d: '12345678.91',
        d_scale: '12.50',
        d_tiny: '-0.000000000000000001',
        big_safe: 42,
        big_unsafe: '9007199254740993',
        big_min: '-9223372036854775808',
        nothing: null,
        null_int: null,
        null_decimal: null,
        day: '2024-02-29',
        moment: '2024-02-29 13:45:06.5',
        yes: true,
        no: false,
        tiny: -7,
        small: 300,
        int_max: 2147483647,
        dbl: 2.5,
        text: 'qpipe',
      },
    ]);
    expect(columns.map((column) => column.type)).toEqual([
      'DECIMAL(12,2)', 'DECIMAL(10,2)', 'DECIMAL(38,18)', 'BIGINT', 'BIGINT', 'BIGINT', 'NULL', 'INT', 'DECIMAL(5,2)',
      'DATE', 'TIMESTAMP', 'BOOLEAN', 'BOOLEAN', 'TINYINT', 'SMALLINT', 'INT', 'DOUBLE', 'STRING',
    ]);
  });

  it('fetches every page of a result larger than one fetch (25000 rows, 10000 per page)', async () => {
    const { rows } = await hive.query<{ id: number }>('SELECT id FROM range(25000)');
    expect(rows).toHaveLength(25_000);
    expect(new Set(rows.map((row) => row.id)).size).toBe(25_000);
    // 0 + 1 + … + 24999 = 24999 · 25000 / 2
    expect(rows.reduce((sum, row) => sum + row.id, 0)).toBe(312_487_500);
  });

  it('runs DDL and DML with execute and reads the table back with column names free of the table prefix', async () => {
    await hive.execute(`CREATE DATABASE ${testDatabase}`);
    await hive.execute(`CREATE TABLE ${testDatabase}.sales (id INT, amount DECIMAL(10,2), agent STRING) USING parquet`);
    await hive.execute(`INSERT INTO ${testDatabase}.sales VALUES (1, 12.50, 'Ann'), (2, NULL, 'Bob'), (3, 99999999.99, NULL)`);
    const { columns, rows } = await hive.query(`SELECT s.id, s.amount, s.agent FROM ${testDatabase}.sales s ORDER BY s.id`);
    expect(columns).toEqual([
      { name: 'id', type: 'INT' },
      { name: 'amount', type: 'DECIMAL(10,2)' },
      { name: 'agent', type: 'STRING' },
    ]);
    expect(rows).toEqual([
      { id: 1, amount: '12.50', agent: 'Ann' },
      { id: 2, amount: null, agent: 'Bob' },
      { id: 3, amount: '99999999.99', agent: null },
    ]);
  });

  it("rejects a statement on a missing table with a HiveError carrying Spark's message and SQLSTATE, without the Java stack", async () => {
    const sql = 'SELECT * FROM no_such_table_xyz';
    const { error } = await rejection(hive.query(sql));
    expect(error).toBeInstanceOf(HiveError);
    const hiveError = error as HiveError;
    expect(hiveError.message).toMatch(/^\[TABLE_OR_VIEW_NOT_FOUND\] The table or view `no_such_table_xyz` cannot be found/);
    expect(hiveError.message).not.toContain('\tat org.apache');
    expect(hiveError.sqlState).toBe('42P01');
    expect(hiveError.statement).toBe(sql);
  });

  it('cancels a statement past its deadline with a TimeoutError and keeps the session usable', async () => {
    const timeoutMs = 1_500;
    const { error, ms } = await rejection(hive.query(endlessSql('past_deadline'), { timeoutMs }));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ operation: 'hive statement', timeoutMs });
    expect(ms).toBeGreaterThanOrEqual(timeoutMs - 50);
    expect(ms).toBeLessThan(timeoutMs + 1_500);
    // Had the sum kept running, it would hold both cores of the local Spark for minutes and this job would wait.
    const started = Date.now();
    const { rows } = await hive.query('SELECT count(*) AS n FROM range(0, 1000, 1, 2)');
    expect(rows).toEqual([{ n: 1000 }]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('cancels a statement when its signal aborts, after reporting its progress', async () => {
    const controller = new AbortController();
    const progress: StatementProgress[] = [];
    const aborting = setTimeout(() => controller.abort(), 1_500);
    const { error, ms } = await rejection(
      hive.query(endlessSql('aborted'), { signal: controller.signal, timeoutMs: 60_000, onProgress: (step) => progress.push(step) }),
    );
    clearTimeout(aborting);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ operation: 'hive statement', context: { aborted: true, statementTimeoutMs: 60_000 } });
    expect(ms).toBeGreaterThanOrEqual(1_450);
    expect(ms).toBeLessThan(3_000);
    expect(progress.map((step) => step.state)).toContain('RUNNING');
    expect(progress.every((step, index) => index === 0 || step.elapsedMs >= progress[index - 1]!.elapsedMs)).toBe(true);
    expect((await hive.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('runs statements issued together one at a time, each with its own result', async () => {
    const order: number[] = [];
    const results = await Promise.all(
      [1, 2, 3].map((n) => hive.query(`SELECT ${n} AS n`).then((result) => (order.push(n), result.rows))),
    );
    expect(results).toEqual([[{ n: 1 }], [{ n: 2 }], [{ n: 3 }]]);
    expect(order).toEqual([1, 2, 3]);
  });

  it('runs a statement inside its session settings, with no statement issued meanwhile between, and resets them after, a failure too', async () => {
    const key = 'spark.sql.shuffle.partitions';
    const current = async () => (await hive.query(`SET ${key}`)).rows[0]!.value;
    const before = await current();
    const issuedTogether = await Promise.all([
      hive.query(`SET ${key}`, { settings: { [key]: '3' } }),
      hive.query(`SET ${key}`),
    ]);
    expect(issuedTogether.map((result) => result.rows[0]!.value)).toEqual(['3', before]);
    expect(await current()).toBe(before);
    await expect(hive.query('SELECT * FROM qpipe_no_such_table', { settings: { [key]: '5' } })).rejects.toBeInstanceOf(HiveError);
    expect(await current()).toBe(before);
    await expect(hive.query('SELECT 1', { settings: { [key]: '1; DROP TABLE x' } })).rejects.toThrow(`the value of session setting ${key} holds a ';'`);
  });
});

describe('HiveClient connection failures', () => {
  it.each(['NONE', 'NOSASL'] as const)('rejects quickly with a HiveError naming the address when nothing listens (auth %s)', async (auth) => {
    const client = new HiveClient({ ...config, auth, port: 1, connectTimeoutMs: 5_000 }, silentLogger);
    const { error, ms } = await rejection(client.connect());
    expect(error).toBeInstanceOf(HiveError);
    expect(error.message).toContain('cannot connect to HiveServer2 at 127.0.0.1:1');
    expect(error.message).toContain('ECONNREFUSED');
    expect(ms).toBeLessThan(2_000);
    await client.close();
  });

  it("rejects NOSASL against the server's NONE within the session timeout, naming QPIPE_HIVE_AUTH", async () => {
    const client = new HiveClient({ ...config, auth: 'NOSASL', sessionTimeoutMs: 2_000 }, silentLogger);
    const { error, ms } = await rejection(client.connect());
    expect(error).toBeInstanceOf(HiveError);
    expect(error.message).toContain('QPIPE_HIVE_AUTH=NOSASL may not match');
    expect(ms).toBeLessThan(3_000);
    await client.close();
  });

  it('turns a server that accepts but never answers into an auth-mismatch error at the deadline, for both auth modes', async () => {
    const silent = await startServer(() => undefined);
    try {
      const plain = new HiveClient({ ...config, auth: 'NONE', port: silent.port, connectTimeoutMs: 800, sessionTimeoutMs: 800 }, silentLogger);
      const sasl = await rejection(plain.connect());
      expect(sasl.error.message).toContain('did not finish the SASL handshake: QPIPE_HIVE_AUTH=NONE may not match');
      expect(sasl.error.cause).toBeInstanceOf(TimeoutError);
      expect(sasl.ms).toBeGreaterThanOrEqual(750);
      expect(sasl.ms).toBeLessThan(2_000);

      const raw = new HiveClient({ ...config, auth: 'NOSASL', port: silent.port, connectTimeoutMs: 800, sessionTimeoutMs: 800 }, silentLogger);
      const session = await rejection(raw.connect());
      expect(session.error.message).toContain('did not open a session within 800 ms: QPIPE_HIVE_AUTH=NOSASL may not match');
      expect(session.error.cause).toMatchObject({ operation: 'hive open session', timeoutMs: 800 });
      expect(session.ms).toBeLessThan(2_000);
      await Promise.all([plain.close(), raw.close()]);
    } finally {
      await silent.stop();
    }
  });

  it('rejects a running statement, and every later one, when the connection drops', async () => {
    const upstreams = new Set<net.Socket>();
    const proxy = await startServer(proxyTo(config.host, config.port, upstreams));
    const client = new HiveClient({ ...config, port: proxy.port }, silentLogger);
    try {
      await client.connect();
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      const running = rejection(client.query(endlessSql('dropped'), { timeoutMs: 60_000 }));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      for (const socket of proxy.sockets) socket.destroy();
      const { error, ms } = await running;
      expect(error).toBeInstanceOf(HiveError);
      expect(error.message).toContain(`the connection to HiveServer2 at ${config.host}:${proxy.port} was lost`);
      expect(ms).toBeLessThan(5_000);
      const later = await rejection(client.query('SELECT 1 AS one'));
      expect(later.error).toBe(error);
    } finally {
      await client.close();
      await proxy.stop();
      for (const upstream of upstreams) upstream.destroy();
    }
  });
});

describe('ReconnectingHiveClient', () => {
  it('opens a new session for the next statement after the connection was lost', async () => {
    const upstreams = new Set<net.Socket>();
    const proxy = await startServer(proxyTo(config.host, config.port, upstreams));
    const warehouse = new ReconnectingHiveClient({ ...config, port: proxy.port }, silentLogger);
    try {
      expect((await warehouse.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      expect(proxy.sockets.size).toBe(1);
      for (const socket of proxy.sockets) socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const [first, second] = await Promise.all([warehouse.query('SELECT 2 AS two'), warehouse.query('SELECT 3 AS three')]);
      expect(first.rows).toEqual([{ two: 2 }]);
      expect(second.rows).toEqual([{ three: 3 }]);
      expect(proxy.sockets.size).toBe(1);
    } finally {
      await warehouse.close();
      await proxy.stop();
      for (const upstream of upstreams) upstream.destroy();
    }
    await expect(warehouse.query('SELECT 1')).rejects.toThrow('the warehouse connection is closed');
  });
});

describe('HiveClient lifecycle', () => {
  it('closes idempotently and then rejects statements as closed', async () => {
    const client = new HiveClient(config, silentLogger);
    await client.connect();
    await Promise.all([client.close(), client.close()]);
    await client.close();
    const { error } = await rejection(client.query('SELECT 1'));
    expect(error).toBeInstanceOf(HiveError);
    expect(error.message).toBe('the Hive client is closed');
  });

  it('ends a connect that is still waiting when the client is closed', async () => {
    const silent = await startServer(() => undefined);
    try {
      const client = new HiveClient({ ...config, port: silent.port, connectTimeoutMs: 30_000, sessionTimeoutMs: 30_000 }, silentLogger);
      const connecting = rejection(client.connect());
      await new Promise((resolve) => setTimeout(resolve, 200));
      await client.close();
      const { error, ms } = await connecting;
      expect(error.message).toBe('the Hive client was closed while connecting');
      expect(ms).toBeLessThan(2_000);
    } finally {
      await silent.stop();
    }
  });

  it('withHive hands over a connected client and closes it even when the callback throws', async () => {
    let used: HiveClient | undefined;
    const { error } = await rejection(
      withHive(config, silentLogger, async (client) => {
        used = client;
        expect((await client.query('SELECT 1 + 1 AS two')).rows).toEqual([{ two: 2 }]);
        throw new Error('callback failed');
      }),
    );
    expect(error.message).toBe('callback failed');
    const after = await rejection(used!.query('SELECT 1'));
    expect(after.error.message).toBe('the Hive client is closed');
  });
});
