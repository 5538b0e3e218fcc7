import { DbTimeoutError, quoteName, type SqlClient, type SqlStatement } from '../db/client.js';
import {
  closeDatabase,
  type DatabaseUrl,
  openDatabase,
  parseDatabaseUrl,
  withReadRetry,
} from '../db/connect.js';
import { WindowedError } from '../errors.js';
import { isSealedQuery } from '../query/sealed.js';
import {
  BUCKET_ALIAS,
  compileRunQuery,
  compileWindowQuery,
  type SqlLogTable,
  windowQueryTemplate,
} from '../query/sql-compile.js';
import type { DeclarativeQuery, Row } from '../query/types.js';
import { assertValidQuery, IDENTIFIER } from '../query/validate.js';
import { type PasswordReference, withPasswordReference } from '../secrets/reference.js';
import { uniformRuns } from '../window/runs.js';
import type { Window } from '../window/types.js';
import type { MultiWindowResult, Source, SourceQueryOptions, SourceResult } from './types.js';

export interface SqlSourceOptions {
  /** `sqlite:<path>`, `mysql://…`, `mariadb://…`, `postgres://…`. */
  url: string;
  /** The log table: `table` or `schema.table`. */
  table: string;
  /** Default `ts`. */
  timeColumn?: string;
  /**
   * `datetime` (default): a DATETIME/TIMESTAMP column holding UTC (on SQLite, text such as
   * `2026-11-27 10:00:00.123` or `2026-11-27T10:00:00.123Z`). `epoch_ms`: integer milliseconds.
   * `epoch_s`: seconds.
   */
  timeType?: 'datetime' | 'epoch_ms' | 'epoch_s';
  /** Where the URL's password lives instead of in the URL: `{ secret }` or `{ parameter }`. */
  password?: PasswordReference;
}

/** `table` or `schema.table`, each part an identifier. */
export const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63})?$/;

/**
 * Reads logs from a table in SQLite, MySQL/MariaDB or PostgreSQL. Opens its pool on the first query and keeps it
 * across warm invocations; `close()` releases it (a later query reopens).
 */
export function createSqlSource(options: SqlSourceOptions): Source {
  const table = options.table;
  const timeColumn = options.timeColumn ?? 'ts';
  const timeType = options.timeType ?? 'datetime';
  if (typeof table !== 'string' || !TABLE_NAME.test(table)) {
    throw new WindowedError(
      'INVALID_CONFIG',
      `sql source: table ${JSON.stringify(table)} is not a valid table name; expected "table" or "schema.table" (letters, digits and _).`,
    );
  }
  if (typeof timeColumn !== 'string' || !IDENTIFIER.test(timeColumn)) {
    throw new WindowedError(
      'INVALID_CONFIG',
      `sql source: timeColumn ${JSON.stringify(timeColumn)} is not a valid column name; expected letters, digits and _.`,
    );
  }
  if (timeType !== 'datetime' && timeType !== 'epoch_ms' && timeType !== 'epoch_s') {
    throw new WindowedError(
      'INVALID_CONFIG',
      `sql source: timeType ${JSON.stringify(timeType)}; expected "datetime", "epoch_ms" or "epoch_s".`,
    );
  }
  const db: DatabaseUrl = parseDatabaseUrl(
    withPasswordReference(options.url, options.password, 'sql source URL'),
    'sql source URL',
  );
  let client: SqlClient | undefined;
  const target: SqlLogTable = { dialect: db.dialect, table, timeColumn, timeType };
  let unitChecked: Promise<void> | undefined;

  /**
   * An epoch column in the other unit would put every row in 1970 (or the year 50,000) and every
   * window would silently read zero: the newest value (an index lookup where the column has one)
   * tells seconds from milliseconds. Once per source.
   */
  async function checkEpochUnit(sql: SqlClient): Promise<void> {
    if (timeType === 'datetime') return;
    const column = quoteName(db.dialect, timeColumn);
    const [row] = await sql.query(`select max(${column}) as newest from ${quoteName(db.dialect, table)}`);
    const newest = Number(row?.newest ?? Number.NaN);
    if (!Number.isFinite(newest)) return;
    const seconds = Math.abs(newest) < 1e11;
    if (seconds === (timeType === 'epoch_s')) return;
    throw new WindowedError(
      'INVALID_CONFIG',
      `sql source ${describe()}: the newest "${timeColumn}" is ${newest}, which reads as epoch ${seconds ? 'seconds' : 'milliseconds'}, but timeType is "${timeType}". Set timeType: "${seconds ? 'epoch_s' : 'epoch_ms'}".`,
    );
  }

  async function execute(
    statement: SqlStatement,
    opts: SourceQueryOptions,
    window?: Window,
  ): Promise<Record<string, unknown>[]> {
    if (opts.signal.aborted)
      throw new WindowedError('ABORTED', 'sql source: the query was aborted before it started.', { window });
    const timeLeft = () => {
      if (opts.deadline === undefined) return undefined;
      const timeoutMs = opts.deadline - Date.now();
      if (timeoutMs <= 0)
        throw new WindowedError(
          'DEADLINE_EXCEEDED',
          `sql source ${describe()}: no time left for the query.`,
          { window },
        );
      return timeoutMs;
    };
    timeLeft(); // none left: refused before a connection is taken
    client ??= openDatabase(db);
    const open = client;
    try {
      unitChecked ??= withReadRetry(() => checkEpochUnit(open)).catch((error: unknown) => {
        unitChecked = undefined;
        throw error;
      });
      await unitChecked;
      // Each try gets the time left before the deadline.
      return await withReadRetry(() =>
        open.query(statement.sql, statement.params, { timeoutMs: timeLeft() }),
      );
    } catch (error) {
      throw sourceError(error, db, table, timeColumn, window);
    }
  }

  function describe(): string {
    return `sql ${db.display} table ${table}`;
  }

  // A job's (sealed) query is validated and compiled once; any other query on every call.
  const templates = new WeakMap<DeclarativeQuery, (window: Window) => SqlStatement>();
  function windowStatement(query: DeclarativeQuery, window: Window): SqlStatement {
    const template = templates.get(query);
    if (template) return template(window);
    assertValidQuery(query);
    if (!isSealedQuery(query)) return compileWindowQuery(target, query, window);
    const compiled = windowQueryTemplate(target, query);
    templates.set(query, compiled);
    return compiled(window);
  }

  return {
    type: 'sql',
    describe,

    async query(query: DeclarativeQuery, window: Window, opts: SourceQueryOptions): Promise<SourceResult> {
      const rows = await execute(windowStatement(query, window), opts, window);
      return { rows: rows.map(toRow) };
    },

    async queryMany(
      query: DeclarativeQuery,
      windows: readonly Window[],
      opts: SourceQueryOptions,
    ): Promise<MultiWindowResult> {
      assertValidQuery(query);
      const result = new Map<string, Row[]>();
      for (const run of uniformRuns(windows)) {
        const rows = await execute(compileRunQuery(target, query, run), opts);
        for (const raw of rows) {
          const index = Number(raw[BUCKET_ALIAS]);
          const window = run.windows[index];
          if (!window) continue;
          delete raw[BUCKET_ALIAS];
          const list = result.get(window.key);
          if (list) list.push(toRow(raw));
          else result.set(window.key, [toRow(raw)]);
        }
      }
      return { rows: result };
    },

    async close(): Promise<void> {
      const open = client;
      client = undefined;
      if (open) await closeDatabase(open);
    },
  };
}

/** Drivers answer counts as strings (pg) or bigints; the core normalizes, but keep numbers numbers. */
function toRow(raw: Record<string, unknown>): Row {
  const row: Row = {};
  for (const key in raw) {
    const value = raw[key];
    if (value === null || value === undefined) row[key] = null;
    else if (typeof value === 'number' || typeof value === 'string') row[key] = value;
    else if (typeof value === 'bigint') row[key] = Number(value);
    else if (value instanceof Date) row[key] = value.toISOString();
    else if (Buffer.isBuffer(value)) row[key] = value.toString('utf8');
    else row[key] = String(value);
  }
  return row;
}

const MISSING_TABLE = new Set(['ER_NO_SUCH_TABLE', '42P01']);
const MISSING_COLUMN = new Set(['ER_BAD_FIELD_ERROR', '42703']);

function sourceError(
  error: unknown,
  db: DatabaseUrl,
  table: string,
  timeColumn: string,
  window?: Window,
): WindowedError {
  if (error instanceof WindowedError) return error;
  const code = (error as { code?: unknown })?.code;
  const message = driverMessage(error);
  const where = `sql source ${db.display}`;
  if (error instanceof DbTimeoutError) {
    return new WindowedError(
      'DEADLINE_EXCEEDED',
      `${where}: the query on table "${table}" did not finish before the deadline.`,
      {
        cause: error,
        window,
      },
    );
  }
  if ((typeof code === 'string' && MISSING_TABLE.has(code)) || /no such table/i.test(message)) {
    return new WindowedError(
      'SOURCE_FAILED',
      `${where}: table "${table}" does not exist. Create it or point the source at the log table (${message}).`,
      { cause: error, window },
    );
  }
  if ((typeof code === 'string' && MISSING_COLUMN.has(code)) || /no such column/i.test(message)) {
    return new WindowedError(
      'SOURCE_FAILED',
      `${where}: a column the query reads is missing from table "${table}" (time column "${timeColumn}"): ${message}`,
      { cause: error, window },
    );
  }
  return new WindowedError('SOURCE_FAILED', `${where}, table "${table}": ${message}`, {
    cause: error,
    window,
  });
}

/** The driver's own message: mysql2 keeps the server's in `sqlMessage`; never the statement or its values. */
function driverMessage(error: unknown): string {
  const sqlMessage = (error as { sqlMessage?: unknown })?.sqlMessage;
  if (typeof sqlMessage === 'string') return sqlMessage;
  return String((error as Error)?.message ?? error);
}
