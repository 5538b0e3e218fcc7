import type { Pool, PoolClient } from 'pg';
import {
  batchInOrder,
  type QueryOptions,
  type SqlClient,
  type SqlExecutor,
  type SqlRow,
  type SqlStatement,
  withTimeLimit,
} from './client.js';
import { loadDriver } from './driver.js';

export interface PostgresClientOptions {
  /** Contains the password: never log it. */
  connectionString: string;
  poolMax: number;
}

type Pg = typeof import('pg');
type Queryable = Pick<PoolClient, 'query'>;

const INT8 = 20;
const NUMERIC = 1700;

/** PostgreSQL through a pg pool (opened on the first statement). Sessions run in UTC. */
export class PostgresClient implements SqlClient {
  readonly dialect = 'postgres';
  readonly multipleStatements = false;
  private pool: Promise<Pool> | undefined;

  constructor(private readonly options: PostgresClientOptions) {}

  async query<T extends SqlRow = SqlRow>(
    sql: string,
    params: readonly unknown[] = [],
    options: QueryOptions = {},
  ): Promise<T[]> {
    const pool = await this.open();
    if (options.timeoutMs === undefined) return (await send(pool, sql, params)) as T[];
    const lease = await checkOut(pool);
    const pid = (lease.client as unknown as { processID?: number }).processID;
    return (await withTimeLimit(
      send(lease.client, sql, params),
      options.timeoutMs,
      () => {
        if (pid !== undefined) pool.query('select pg_cancel_backend($1)', [pid]).catch(() => undefined);
      },
      () => lease.release(),
    )) as T[];
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const lease = await checkOut(await this.open());
    const { client } = lease;
    const tx: SqlExecutor = {
      dialect: 'postgres',
      query: async <R extends SqlRow>(sql: string, params: readonly unknown[] = []) =>
        (await send(client, sql, params)) as R[],
    };
    try {
      await client.query('BEGIN');
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that could not roll back is not returned to the pool.
      await client.query('ROLLBACK').catch((rollbackError: Error) => lease.discard(rollbackError));
      throw error;
    } finally {
      lease.release();
    }
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

  private open(): Promise<Pool> {
    this.pool ??= loadDriver<Pg>('postgres').then((pg) => {
      const pool = new pg.Pool({
        connectionString: this.options.connectionString,
        options: '-c timezone=UTC',
        max: this.options.poolMax,
        idleTimeoutMillis: 30_000,
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
 * A client taken out of the pool. pg's pool listens for a client's 'error' only while the client is
 * idle in it; a checked-out client whose connection drops (a server-side kill, a reset, a failover)
 * emits 'error' with no listener, which ends the process. The lease listens for as long as the client
 * is out: the statement in flight rejects on its own, and the client is then discarded instead of
 * going back to the pool.
 */
class Lease {
  private broken: Error | undefined;
  private readonly onError = (error: Error) => this.discard(error);

  constructor(readonly client: PoolClient) {
    client.on('error', this.onError);
  }

  /** The connection is unusable: it leaves the pool when released. */
  discard(error: Error): void {
    this.broken ??= error;
  }

  release(): void {
    this.client.off('error', this.onError);
    this.client.release(this.broken);
  }
}

async function checkOut(pool: Pool): Promise<Lease> {
  return new Lease(await pool.connect());
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
