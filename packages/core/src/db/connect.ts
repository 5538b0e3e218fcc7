import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { redact, WindowedError } from '../errors.js';

export type Dialect = 'sqlite' | 'mysql' | 'postgres';

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
 * One handle per SQLite file per process, shared and reference-counted: better-sqlite3 is
 * synchronous, so two handles on one file in one process would block each other's event loop
 * while waiting for the file lock.
 */
const sqliteHandles = new Map<string, { knex: Knex; refs: number }>();
const sqliteFileOf = new WeakMap<Knex, string>();

export interface OpenOptions {
  /**
   * MySQL: let one query carry several statements. Only windowed's own write connections (sink,
   * ledger) ask for it, to send a small transaction in one round trip; every value is still bound
   * and escaped by the driver, never concatenated. Source connections never have it.
   */
  multipleStatements?: boolean;
}

/** Opens a pooled knex instance (shared per file for SQLite). Release it with `closeDatabase`. */
export function openDatabase(db: DatabaseUrl, options: OpenOptions = {}): Knex {
  if (db.dialect !== 'sqlite' || db.filename === ':memory:') return connect(db, options);
  const filename = resolve(db.filename ?? '');
  const shared = sqliteHandles.get(filename);
  if (shared) {
    shared.refs++;
    return shared.knex;
  }
  const knex = connect(db, options);
  sqliteHandles.set(filename, { knex, refs: 1 });
  sqliteFileOf.set(knex, filename);
  return knex;
}

/** Releases a handle from `openDatabase`; the pool closes when its last user releases it. */
export async function closeDatabase(knex: Knex): Promise<void> {
  const filename = sqliteFileOf.get(knex);
  const shared = filename ? sqliteHandles.get(filename) : undefined;
  if (shared && filename) {
    if (--shared.refs > 0) return;
    sqliteHandles.delete(filename);
  }
  await knex.destroy();
}

/** A new knex instance. MySQL and PostgreSQL sessions run in UTC. */
function connect(db: DatabaseUrl, options: OpenOptions): Knex {
  try {
    switch (db.dialect) {
      case 'sqlite': {
        const filename = db.filename === ':memory:' ? ':memory:' : resolve(db.filename ?? ':memory:');
        if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
        return knexFactory({
          client: 'better-sqlite3',
          connection: { filename },
          useNullAsDefault: true,
          pool: {
            min: 1,
            max: 1,
            afterCreate: (
              conn: { pragma(s: string): unknown },
              done: (err: Error | null, conn: unknown) => void,
            ) => {
              conn.pragma('journal_mode = WAL');
              conn.pragma('busy_timeout = 5000');
              done(null, conn);
            },
          },
        });
      }
      case 'mysql': {
        const url = new URL(db.url);
        return knexFactory({
          client: 'mysql2',
          connection: {
            host: url.hostname,
            port: url.port ? Number(url.port) : 3306,
            user: decodeURIComponent(url.username),
            password: decodeURIComponent(url.password),
            database: decodeURIComponent(url.pathname.replace(/^\//, '')) || undefined,
            timezone: 'Z',
            charset: 'utf8mb4',
            supportBigNumbers: true,
            decimalNumbers: true,
            dateStrings: false,
            multipleStatements: options.multipleStatements === true,
          },
          pool: {
            min: 0,
            max: Number(db.params.get('poolMax') ?? 10),
            afterCreate: (
              conn: { query(s: string, cb: (err: Error | null) => void): void },
              done: (err: Error | null, conn: unknown) => void,
            ) => {
              // mysql2 escapes bound values with backslashes; a server in NO_BACKSLASH_ESCAPES mode would read
              // them differently, so windowed's sessions never run in it.
              conn.query(
                "SET time_zone = '+00:00', sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '')",
                (err) => done(err, conn),
              );
            },
          },
        });
      }
      case 'postgres': {
        return knexFactory({
          client: 'pg',
          connection: { connectionString: db.url, options: '-c timezone=UTC', types: pgNumericTypes() },
          pool: { min: 0, max: Number(db.params.get('poolMax') ?? 10) },
        });
      }
    }
  } catch (cause) {
    if (cause instanceof WindowedError) throw cause;
    // knex loads the driver when the instance is created; turn its failure into advice.
    if (/Cannot find module|npm install/.test(String((cause as Error)?.message))) {
      throw new WindowedError(
        'MISSING_DEPENDENCY',
        `The ${db.dialect} driver is not installed. Run: npm install ${DRIVERS[db.dialect]}`,
        {
          cause,
        },
      );
    }
    throw new WindowedError(
      'INVALID_CONFIG',
      `Could not open ${db.display}: ${String((cause as Error)?.message ?? cause)}`,
      {
        cause,
      },
    );
  }
}

/**
 * count(*) is bigint and sum() numeric in PostgreSQL, which pg returns as strings; windowed's
 * metrics are numbers (counts stay far below 2^53). Scoped to windowed's own connections.
 */
function pgNumericTypes() {
  const pg = createRequire(import.meta.url)('pg') as typeof import('pg');
  const INT8 = 20;
  const NUMERIC = 1700;
  return {
    getTypeParser: (oid: number, format?: string) =>
      oid === INT8 || oid === NUMERIC
        ? (v: string) => Number(v)
        : pg.types.getTypeParser(oid, format as 'text'),
  };
}

const DRIVERS: Record<Dialect, string> = { sqlite: 'better-sqlite3@12', mysql: 'mysql2', postgres: 'pg' };

const RETRYABLE_CODES = new Set([
  'ER_LOCK_DEADLOCK', // MySQL 1213
  'ER_LOCK_WAIT_TIMEOUT', // MySQL 1205
  '40P01', // PostgreSQL deadlock_detected
  '40001', // PostgreSQL serialization_failure
  '23505', // PostgreSQL unique_violation: a concurrent writer won the race; retrying replaces its rows
  'ER_DUP_ENTRY',
  'SQLITE_BUSY',
  'SQLITE_BUSY_SNAPSHOT',
]);

/** One statement's text and bound values, as knex's `toSQL()` gives them. */
export type SqlStatement = Pick<Knex.Sql, 'sql' | 'bindings'>;

/** Whether `openDatabase` was asked for multiple statements per query on this MySQL pool. */
export function allowsMultipleStatements(knex: Knex): boolean {
  const connection = (knex.client as { config?: { connection?: { multipleStatements?: unknown } } }).config
    ?.connection;
  return typeof connection === 'object' && connection?.multipleStatements === true;
}

/**
 * Runs several statements as one transaction in one round trip (MySQL, on a pool opened with
 * `multipleStatements`). A statement that fails leaves the transaction open on its connection, so
 * it is rolled back there before the connection returns to the pool.
 */
export async function transactionInOneRoundTrip(
  knex: Knex,
  statements: readonly SqlStatement[],
): Promise<void> {
  const sql = ['START TRANSACTION', ...statements.map((s) => s.sql), 'COMMIT'].join(';\n');
  await withMysqlConnection(knex, async (query) => {
    try {
      await query(
        sql,
        statements.flatMap((s) => s.bindings),
      );
    } catch (error) {
      await query('ROLLBACK', []).catch(() => undefined);
      throw error;
    }
  });
}

/**
 * Statements sent together in one query (MySQL, `multipleStatements`): the result of each, in order.
 * Straight to the driver on a pooled connection: these run on every scheduled invocation.
 */
export function multiStatementQuery(knex: Knex, statements: readonly Knex.Sql[]): Promise<unknown[]> {
  const sql = statements.map((s) => s.sql).join(';\n');
  return withMysqlConnection(
    knex,
    (query) =>
      query(
        sql,
        statements.flatMap((s) => s.bindings),
      ) as Promise<unknown[]>,
  );
}

type MysqlQuery = (sql: string, bindings: readonly unknown[]) => Promise<unknown>;

async function withMysqlConnection<T>(knex: Knex, fn: (query: MysqlQuery) => Promise<T>): Promise<T> {
  const connection = (await knex.client.acquireConnection()) as {
    query(
      sql: string,
      bindings: readonly unknown[],
      callback: (error: Error | null, result: unknown) => void,
    ): void;
  };
  const query: MysqlQuery = (sql, bindings) =>
    new Promise((resolve, reject) =>
      connection.query(sql, bindings, (error, result) => (error ? reject(error) : resolve(result))),
    );
  try {
    return await fn(query);
  } finally {
    await knex.client.releaseConnection(connection);
  }
}

/** Deadlocks and lost races between concurrent writers of one window are retried, not surfaced. */
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
