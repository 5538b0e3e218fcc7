import type { Pool, PoolConnection, PoolOptions } from 'mysql2';
import { statementLimit } from './budget.js';
import {
  batchInOrder,
  POOL_IDLE_MS,
  type QueryOptions,
  type SqlClient,
  type SqlExecutor,
  type SqlRow,
  type SqlStatement,
} from './client.js';
import { loadDriver } from './driver.js';
import { inTransaction, Lease, type PooledConnection, rollback } from './lease.js';

export interface MysqlClientOptions {
  /** Connection settings from the URL; the password is in here: never log it. */
  connection: Pick<PoolOptions, 'host' | 'port' | 'user' | 'password' | 'database'>;
  poolMax: number;
  multipleStatements: boolean;
}

// mysql2 escapes bound values with backslashes; a server in NO_BACKSLASH_ESCAPES mode would read them
// differently, so windowed's sessions never run in it. Sessions run in UTC.
const SESSION_SETUP =
  "SET time_zone = '+00:00', sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '')";

type Queryable = Pick<PoolConnection, 'query'>;

/** How long a cancellation's own connection may take to connect, and its KILL QUERY to answer. */
const CANCEL_TIMEOUT_MS = 5_000;
type Mysql = typeof import('mysql2');

/**
 * MySQL/MariaDB through a mysql2 pool (opened on the first statement). A pooled connection whose
 * session the server drops is safe to hold: mysql2's PoolConnection listens for its 'error' itself
 * and leaves the pool (unlike pg, see postgres.ts).
 */
export class MysqlClient implements SqlClient {
  readonly dialect = 'mysql';
  readonly multipleStatements: boolean;
  private pool: Promise<Pool> | undefined;
  private driver: Promise<Mysql> | undefined;

  constructor(private readonly options: MysqlClientOptions) {
    this.multipleStatements = options.multipleStatements;
  }

  async query<T extends SqlRow = SqlRow>(
    sql: string,
    params: readonly unknown[] = [],
    options: QueryOptions = {},
  ): Promise<T[]> {
    const pool = await this.open();
    const limit = statementLimit(options.timeoutMs);
    if (!limit) return rowsOf(await send(pool, sql, params)) as T[];
    const lease = await Lease.take(() => this.connect(pool), limit);
    try {
      return rowsOf(await lease.send(sql, params)) as T[];
    } finally {
      lease.release();
    }
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const lease = await this.lease();
    return inTransaction(lease, 'START TRANSACTION', () => fn(lease.executor('mysql', rowsOf)));
  }

  async batch(
    statements: readonly SqlStatement[],
    options: { transaction?: boolean } = {},
  ): Promise<SqlRow[][]> {
    if (!this.multipleStatements) return batchInOrder(this, statements, options);
    const sql = statements.map((s) => s.sql);
    if (options.transaction) sql.unshift('START TRANSACTION');
    if (options.transaction) sql.push('COMMIT');
    const lease = await this.lease();
    try {
      const result = await lease.send(
        sql.join(';\n'),
        statements.flatMap((s) => s.params),
      );
      // One statement answers its own result; several, an array with one result each.
      const results = sql.length === 1 ? [result] : (result as unknown[]);
      return (options.transaction ? results.slice(1, -1) : results).map(rowsOf);
    } catch (error) {
      // A statement that failed leaves the transaction open on this connection.
      if (options.transaction) await rollback(lease);
      throw error;
    } finally {
      lease.release();
    }
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (!pool) return;
    const open = await pool.catch(() => undefined);
    if (open) await new Promise<void>((resolve) => open.end(() => resolve()));
  }

  private async lease(): Promise<Lease> {
    const pool = await this.open();
    return Lease.take(() => this.connect(pool), statementLimit(undefined));
  }

  /** A connection of the pool; a statement on it is cancelled with {@link killQuery}. */
  private connect(pool: Pool): Promise<PooledConnection> {
    return new Promise((resolve, reject) =>
      pool.getConnection((error, connection) => {
        if (error) return reject(error);
        resolve({
          send: (sql, params) => send(connection, sql, params),
          cancel: () => this.killQuery(connection.threadId),
          release: (broken) => (broken ? connection.destroy() : connection.release()),
        });
      }),
    );
  }

  /**
   * `KILL QUERY` from a connection opened for it, outside the pool: when a statement must be
   * stopped, the pool's connections may all be taken — by statements waiting as this one does,
   * or by invocations waiting for the pool — and a cancellation queued behind them would reach
   * the server only after the run had settled.
   */
  private async killQuery(threadId: number): Promise<void> {
    const mysql = await this.loadDriver();
    const connection = mysql.createConnection({
      ...this.options.connection,
      connectTimeout: CANCEL_TIMEOUT_MS,
    });
    connection.on('error', () => undefined);
    try {
      await new Promise((resolve, reject) =>
        connection.query(
          { sql: 'KILL QUERY ?', timeout: CANCEL_TIMEOUT_MS },
          [threadId],
          (error: Error | null) => (error ? reject(error) : resolve(undefined)),
        ),
      );
    } finally {
      connection.destroy();
    }
  }

  private loadDriver(): Promise<Mysql> {
    this.driver ??= loadDriver<Mysql>('mysql');
    return this.driver;
  }

  private open(): Promise<Pool> {
    this.pool ??= this.loadDriver().then((mysql) => {
      const pool = mysql.createPool({
        ...this.options.connection,
        timezone: 'Z',
        charset: 'utf8mb4',
        supportBigNumbers: true,
        decimalNumbers: true,
        dateStrings: false,
        multipleStatements: this.options.multipleStatements,
        connectionLimit: this.options.poolMax,
        // mysql2 closes idle connections only while maxIdle is below connectionLimit: then every
        // connection idle for idleTimeout, and within a second any beyond maxIdle (lib/base/pool.js).
        // A pool of one keeps its connection (maxIdle 0 would close it after every statement).
        maxIdle: Math.max(1, this.options.poolMax - 1),
        idleTimeout: POOL_IDLE_MS,
        enableKeepAlive: true,
        // Rows through mysql2's interpreted parser instead of one generated and compiled per result
        // shape: windowed's statements return a few rows each, and compiling costs a cold start more
        // (bench/README.md). Same options, same values (static_text_parser.js).
        disableEval: true,
        // windowed sends text queries only (`query`, never `execute`), so mysql2's per-connection
        // cache of prepared statements stays empty; at its default size (16,000) lru.min allocates
        // four 16,000-slot arrays for each new connection, ≈ 0.5 MB that a cold start then collects.
        maxPreparedStatements: 1,
      });
      pool.on('connection', (connection) => {
        // Queued ahead of the statement the connection was opened for.
        connection.query(SESSION_SETUP, (error: Error | null) => {
          if (error) connection.destroy();
        });
      });
      return pool;
    });
    return this.pool;
  }
}

function send(target: Queryable, sql: string, params: readonly unknown[]): Promise<unknown> {
  return new Promise((resolve, reject) =>
    target.query(sql, params as unknown[], (error: Error | null, result: unknown) =>
      error ? reject(error) : resolve(result),
    ),
  );
}

/** A SELECT answers rows; other statements answer a result header, which has none. */
function rowsOf(result: unknown): SqlRow[] {
  return Array.isArray(result) ? (result as SqlRow[]) : [];
}
