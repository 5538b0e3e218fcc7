import { redact, WindowedError } from '../errors.js';
import type { Dialect, SqlClient } from './client.js';
import { MysqlClient } from './mysql.js';
import { PostgresClient } from './postgres.js';
import { sharedClient } from './shared.js';
import { SqliteClient } from './sqlite.js';

export type { Dialect, SqlClient, SqlExecutor, SqlRow, SqlStatement } from './client.js';

export interface DatabaseUrl {
  dialect: Dialect;
  /** The URL without windowed's own query parameters (`table`, ...). Contains secrets: never log it. */
  url: string;
  /** SQLite file path (or `:memory:`). */
  filename?: string;
  params: URLSearchParams;
  /** `scheme://user@host:port/db` without password, for logs. */
  display: string;
}

const SCHEMES: Record<string, Dialect> = {
  'sqlite:': 'sqlite',
  'mysql:': 'mysql',
  'mariadb:': 'mysql',
  'postgres:': 'postgres',
  'postgresql:': 'postgres',
};

/** windowed's own parameters, removed before the URL reaches the driver. */
const OWN_PARAMS = ['table', 'timeColumn', 'timeType', 'state'];

/**
 * Parses `sqlite:<path>` (`sqlite:./x.db`, `sqlite:///abs/x.db`, `sqlite::memory:`),
 * `mysql://` / `mariadb://` and `postgres://` / `postgresql://` URLs.
 */
export function parseDatabaseUrl(input: string, what = 'database URL'): DatabaseUrl {
  const scheme = /^([a-z][a-z0-9+.-]*:)/i.exec(input)?.[1]?.toLowerCase();
  const dialect = scheme ? SCHEMES[scheme] : undefined;
  if (!scheme || !dialect) {
    throw new WindowedError(
      'INVALID_CONFIG',
      `Unsupported ${what} "${redact(input)}": expected sqlite:<path>, mysql://user:pass@host:3306/db or postgres://user@host:5432/db.`,
    );
  }
  if (dialect === 'sqlite') {
    const [pathPart = '', query = ''] = input.slice(scheme.length).split('?', 2);
    let filename = pathPart.startsWith('//') ? pathPart.slice(2) : pathPart;
    if (filename === '') filename = ':memory:';
    return {
      dialect,
      url: `sqlite:${filename}`,
      filename,
      params: new URLSearchParams(query),
      display: `sqlite:${filename}`,
    };
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch (cause) {
    throw new WindowedError('INVALID_CONFIG', `Malformed ${what} "${redact(input)}".`, { cause });
  }
  const params = new URLSearchParams(url.search);
  for (const key of OWN_PARAMS) url.searchParams.delete(key);
  const display = `${url.protocol}//${url.username ? `${url.username}@` : ''}${url.host}${url.pathname}`;
  return { dialect, url: url.toString(), params, display };
}

/**
 * A client for the database; the driver loads and the pool opens on the first statement. Sources,
 * sinks and ledgers naming the same database share one pool (SQLite: one connection per file) —
 * see `sharedClient`. Release it with `closeDatabase`.
 *
 * MySQL pools let one query carry several statements, so that a scheduled run's write (ledger row,
 * window's rows, commit) travels in one round trip. Every value is still bound and escaped by the
 * driver, never concatenated, and every name is validated before it is quoted: the sink already
 * binds strings read from logs this way, the source binds only the job's own filter values.
 */
export function openDatabase(db: DatabaseUrl): SqlClient {
  const poolMax = Number(db.params.get('poolMax') ?? 10);
  switch (db.dialect) {
    case 'sqlite':
      return new SqliteClient(db.filename ?? ':memory:');
    case 'mysql': {
      const url = new URL(db.url);
      // The key holds the password: it only ever lives in this process's memory.
      return sharedClient(
        `mysql ${poolMax} ${db.url}`,
        () =>
          new MysqlClient({
            connection: {
              host: url.hostname,
              port: url.port ? Number(url.port) : 3306,
              user: decodeURIComponent(url.username),
              password: decodeURIComponent(url.password),
              database: decodeURIComponent(url.pathname.replace(/^\//, '')) || undefined,
            },
            poolMax,
            multipleStatements: true,
          }),
      );
    }
    case 'postgres':
      return sharedClient(
        `postgres ${poolMax} ${db.url}`,
        () => new PostgresClient({ connectionString: db.url, poolMax }),
      );
  }
}

export function closeDatabase(client: SqlClient): Promise<void> {
  return client.close();
}

const RETRYABLE_CODES = new Set([
  'ER_LOCK_DEADLOCK', // MySQL 1213
  'ER_LOCK_WAIT_TIMEOUT', // MySQL 1205
  '40P01', // PostgreSQL deadlock_detected
  '40001', // PostgreSQL serialization_failure
  'SQLITE_BUSY',
  'SQLITE_BUSY_SNAPSHOT',
]);

/**
 * Deadlocks and lock timeouts between concurrent writers are retried, not surfaced. A duplicate key is
 * not: writers of one window are serialized (ledger row locks, PostgreSQL advisory locks), so it means
 * the data collides in the table's key, and would collide again on every retry.
 */
export function isRetryableDbError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && RETRYABLE_CODES.has(code);
}

export async function withDbRetry<T>(fn: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= attempts || !isRetryableDbError(error)) throw error;
      await new Promise((r) => setTimeout(r, Math.min(1_000, 10 * 2 ** attempt) * (0.5 + Math.random())));
    }
  }
}

/** Date → a value the driver binds as a UTC instant (better-sqlite3 cannot bind Date). */
export function toDbTime(dialect: Dialect, date: Date): Date | string {
  return dialect === 'sqlite' ? date.toISOString() : date;
}

export function fromDbTime(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  const text = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
}
