import type { Pool, PoolClient } from 'pg';
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
import { inTransaction, Lease, type PooledConnection } from './lease.js';

export interface PostgresClientOptions {
  /** Contains the password: never log it. */
  connectionString: string;
  poolMax: number;
}

type Pg = typeof import('pg');
type Queryable = Pick<PoolClient, 'query'>;

/** How long a cancellation's own connection may take to connect, and its statement to answer. */
const CANCEL_TIMEOUT_MS = 5_000;

const INT8 = 20;
const NUMERIC = 1700;

/** PostgreSQL through a pg pool (opened on the first statement). Sessions run in UTC. */
export class PostgresClient implements SqlClient {
  readonly dialect = 'postgres';
  readonly multipleStatements = false;
  private pool: Promise<Pool> | undefined;
  private driver: Promise<Pg> | undefined;

  constructor(private readonly options: PostgresClientOptions) {}

  async query<T extends SqlRow = SqlRow>(
    sql: string,
    params: readonly unknown[] = [],
    options: QueryOptions = {},
  ): Promise<T[]> {
    const pool = await this.open();
    const limit = statementLimit(options.timeoutMs);
    // pg's own pool.query listens for a dropped connection while it holds the client.
    if (!limit) return (await send(pool, sql, params)) as T[];
    const lease = await Lease.take(() => this.connect(pool), limit);
    try {
      return (await lease.send(sql, params)) as T[];
    } finally {
      lease.release();
    }
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const pool = await this.open();
    const lease = await Lease.take(() => this.connect(pool), statementLimit(undefined));
    return inTransaction(lease, 'BEGIN', () => fn(lease.executor('postgres', (rows) => rows as SqlRow[])));
  }

  batch(statements: readonly SqlStatement[], options: { transaction?: boolean } = {}): Promise<SqlRow[][]> {
    return batchInOrder(this, statements, options);
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    const open = await pool?.catch(() => undefined);
    await open?.end();
  }

  /**
   * A client taken out of the pool. pg's pool listens for a client's 'error' only while the client
   * is idle in it; a checked-out client whose connection drops (a server-side kill, a reset, a
   * failover) emits 'error' with no listener, which ends the process. This listens for as long as
   * the client is out: the statement in flight rejects on its own, and the client is then discarded
   * instead of going back to the pool. A statement on it is cancelled with {@link cancelBackend}.
   */
  private async connect(pool: Pool): Promise<PooledConnection> {
    const client = await pool.connect();
    let dropped: Error | undefined;
    const onError = (error: Error) => {
      dropped ??= error;
    };
    client.on('error', onError);
    const pid = (client as unknown as { processID?: number }).processID;
    return {
      send: (sql, params) => send(client, sql, params),
      cancel: () => (pid === undefined ? Promise.resolve() : this.cancelBackend(pid)),
      release(broken) {
        client.off('error', onError);
        client.release(broken ?? dropped);
      },
    };
  }

  /**
   * `pg_cancel_backend` from a connection opened for it, outside the pool: when a statement must be
   * stopped, the pool's connections may all be taken — by statements waiting as this one does, or
   * by invocations waiting for the pool — and a cancellation queued behind them would reach the
   * server only after the run had settled (a backend waiting for a lock does not notice that its
   * client closed the connection, so it would go on waiting).
   */
  private async cancelBackend(pid: number): Promise<void> {
    const pg = await this.loadDriver();
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      connectionTimeoutMillis: CANCEL_TIMEOUT_MS,
      query_timeout: CANCEL_TIMEOUT_MS,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select pg_cancel_backend($1)', [pid]);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private loadDriver(): Promise<Pg> {
    this.driver ??= loadDriver<Pg>('postgres');
    return this.driver;
  }

  private open(): Promise<Pool> {
    this.pool ??= this.loadDriver().then((pg) => {
      const pool = new pg.Pool({
        connectionString: this.options.connectionString,
        options: '-c timezone=UTC',
        max: this.options.poolMax,
        idleTimeoutMillis: POOL_IDLE_MS,
        types: numericTypes(pg),
      });
      // An idle connection the server closed: the pool drops it and the next statement opens another.
      pool.on('error', () => undefined);
      return pool;
    });
    return this.pool;
  }
}

/**
 * count(*) is bigint and sum() numeric in PostgreSQL, which pg returns as strings; windowed's metrics
 * are numbers (counts stay far below 2^53). Scoped to windowed's own pools.
 */
function numericTypes(pg: Pg) {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8 || oid === NUMERIC
        ? (value: string) => Number(value)
        : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
  };
}

async function send(target: Queryable, sql: string, params: readonly unknown[]): Promise<SqlRow[]> {
  const result = await target.query({ text: toNumberedPlaceholders(sql), values: params as unknown[] });
  return (result.rows ?? []) as SqlRow[];
}

/**
 * windowed writes `?` placeholders for every dialect; PostgreSQL numbers them (`$1`, `$2`, …). Quoted
 * strings and names are copied as they are.
 */
export function toNumberedPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  let quote: string | undefined;
  for (const char of sql) {
    if (quote) {
      if (char === quote) quote = undefined;
      out += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      out += char;
    } else out += char === '?' ? `$${++n}` : char;
  }
  return out;
}
