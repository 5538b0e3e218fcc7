import type BetterSqlite3 from 'better-sqlite3';
import { builtin } from '../node-builtins.js';
import { type StatementLimit, statementLimit } from './budget.js';
import {
  batchInOrder,
  DbTimeoutError,
  type QueryOptions,
  type SqlClient,
  type SqlExecutor,
  type SqlRow,
  type SqlStatement,
} from './client.js';
import { loadDriver } from './driver.js';

const { existsSync, mkdirSync } = builtin('node:fs');
const { dirname, resolve } = builtin('node:path');

const MAX_CACHED_STATEMENTS = 200;

/**
 * One connection to a SQLite file, shared in this process by every client of that file. better-sqlite3
 * is synchronous: two handles on one file in one process would block each other's event loop while
 * waiting for the file lock. Users take turns (`exclusive`), so a transaction's statements never
 * interleave with another user's.
 */
class SharedHandle {
  refs = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(
    readonly db: BetterSqlite3.Database,
    /** The resolved path it is shared under; undefined for `:memory:`. */
    readonly key: string | undefined,
  ) {}

  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  run(sql: string, params: readonly unknown[]): SqlRow[] {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      if (this.statements.size >= MAX_CACHED_STATEMENTS) this.statements.clear();
      this.statements.set(sql, statement);
    }
    const values = params.map(bindable);
    if (statement.reader) return statement.all(values) as SqlRow[];
    statement.run(values);
    return [];
  }
}

const shared = new Map<string, Promise<SharedHandle>>();

/** SQLite through better-sqlite3 (the embedded default). `:memory:` databases are private to their client. */
export class SqliteClient implements SqlClient {
  readonly dialect = 'sqlite';
  readonly multipleStatements = false;
  private handle: Promise<SharedHandle> | undefined;
  /** The resolved path (relative to the working directory when opened); undefined for `:memory:`. */
  private readonly key: string | undefined;

  constructor(
    filename: string,
    /** Open the file read-only, creating nothing (no folder, no file, no WAL switch); a missing file reads as empty. */
    private readonly readOnly = false,
  ) {
    this.key = filename === ':memory:' ? undefined : resolve(filename);
  }

  async query<T extends SqlRow = SqlRow>(
    sql: string,
    params: readonly unknown[] = [],
    options: QueryOptions = {},
  ): Promise<T[]> {
    const limit = statementLimit(options.timeoutMs);
    const handle = await this.open();
    return handle.exclusive(() => {
      refuseAfter(limit);
      return handle.run(sql, params) as T[];
    });
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const limit = statementLimit(undefined);
    const handle = await this.open();
    const tx: SqlExecutor = {
      dialect: 'sqlite',
      query: async <R extends SqlRow>(sql: string, params: readonly unknown[] = []) => {
        refuseAfter(limit);
        return handle.run(sql, params) as R[];
      },
    };
    return handle.exclusive(async () => {
      refuseAfter(limit);
      // IMMEDIATE takes the write lock now (waiting up to busy_timeout for other processes) rather
      // than failing with SQLITE_BUSY at the first write.
      handle.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(tx);
        handle.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (handle.db.inTransaction) handle.db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  batch(statements: readonly SqlStatement[], options: { transaction?: boolean } = {}): Promise<SqlRow[][]> {
    return batchInOrder(this, statements, options);
  }

  async close(): Promise<void> {
    const pending = this.handle;
    this.handle = undefined;
    const handle = await pending?.catch(() => undefined);
    if (!handle || --handle.refs > 0) return;
    if (handle.key) shared.delete(handle.key);
    await handle.exclusive(() => handle.db.close());
  }

  private open(): Promise<SharedHandle> {
    this.handle ??= this.acquire();
    return this.handle;
  }

  private async acquire(): Promise<SharedHandle> {
    const path = this.key;
    // A read-only handle is shared only with read-only users of the file.
    const key = path && this.readOnly ? `ro:${path}` : path;
    let pending = key ? shared.get(key) : undefined;
    if (!pending) {
      pending = openHandle(path, key, this.readOnly);
      if (key) {
        shared.set(key, pending);
        pending.catch(() => shared.delete(key));
      }
    }
    const handle = await pending;
    // An empty stand-in for a missing file is not kept: the next user may find the file there.
    if (key && !handle.key && shared.get(key) === pending) shared.delete(key);
    handle.refs++;
    return handle;
  }
}

async function openHandle(
  path: string | undefined,
  key: string | undefined,
  readOnly: boolean,
): Promise<SharedHandle> {
  const Database = await loadDriver<typeof BetterSqlite3>('sqlite');
  if (readOnly) {
    // Nothing there yet: an empty database answers every read ("no table"), and nothing is created.
    const exists = path !== undefined && existsSync(path);
    const db = exists
      ? new Database(path, { readonly: true, fileMustExist: true })
      : new Database(':memory:');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    return new SharedHandle(db, exists ? key : undefined);
  }
  if (path) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path ?? ':memory:');
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    await switchToWal(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return new SharedHandle(db, key);
}

const BUSY_TIMEOUT_MS = 5000;

/**
 * WAL lets readers and one writer share the file. The switch needs the file to itself, and SQLite
 * refuses it at once (SQLITE_BUSY, skipping the busy handler where waiting could deadlock:
 * https://www.sqlite.org/c3ref/busy_handler.html) while another process holds a write transaction on
 * a file still in rollback-journal mode — two processes opening a new file at once, or a 0.1 file
 * another process writes. Tried again, without blocking the event loop, for as long as the busy
 * timeout would have waited.
 */
async function switchToWal(db: BetterSqlite3.Database): Promise<void> {
  const until = Date.now() + BUSY_TIMEOUT_MS;
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() + pause > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/**
 * better-sqlite3 runs a statement synchronously, on this thread, and cannot interrupt it: a statement
 * whose limit has passed is refused instead of started.
 */
function refuseAfter(limit: StatementLimit | undefined): void {
  if (limit && Date.now() >= limit.until) throw new DbTimeoutError(limit);
}

/** better-sqlite3 binds neither Date nor boolean: an ISO instant (what windowed stores) and 1/0. */
function bindable(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}
