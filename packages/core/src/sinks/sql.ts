import { quoteName, runInOrder, type SqlClient, type SqlStatement, valuesList } from '../db/client.js';
import {
  closeDatabase,
  type DatabaseUrl,
  fromDbTime,
  openDatabase,
  toDbTime,
  withDbRetry,
} from '../db/connect.js';
import { hasTable, type SendAlongside } from '../db/schema.js';
import { WindowedError } from '../errors.js';
import { SqlLedger } from '../ledger/sql-ledger.js';
import { builtin } from '../node-builtins.js';
import type { Row } from '../query/types.js';
import type { Window } from '../window/types.js';
import { type GroupedRow, type GroupRules, groupedRows } from './group-values.js';
import { collisionAdvice, GROUP_KEY_COLUMN, prepareTable, type TableShape } from './sql-table.js';
import type { ColumnSet, Sink, SinkWriteOptions, SinkWriteResult, StoredRow, WindowRows } from './types.js';

const { normalize } = builtin('node:path');

const TABLE_NAME = /^([A-Za-z_][A-Za-z0-9_]{0,62}\.)?[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** Windows per DELETE and rows per INSERT; a write within both travels in one round trip on MySQL. */
const CHUNK = 500;

export interface SqlSinkOptions {
  db: DatabaseUrl;
  table: string;
  /** Keep the ledger in this database (default). False when a separate `state` URL holds it. */
  ledger?: boolean;
  /** Only read (status, show): SQLite opens the file read-only and creates nothing. */
  readOnly?: boolean;
}

/** A write that also records its windows in the sink's own ledger (the runner's TransactionalSqlStore). */
export interface SqlSinkWriteOptions extends SinkWriteOptions {
  /**
   * When set and the sink holds the ledger, the windows are marked succeeded in the same
   * transaction as their rows: a window is either written and recorded, or neither.
   */
  markSucceeded?: {
    triggerId: string | undefined;
    /** The job's definition fingerprint, recorded with each window. */
    fingerprint?: string;
    /** Count one more attempt for each window (it was not marked `running` before). */
    countAttempt?: boolean;
    /** Also count the job's succeeded windows starting in `[from, to)`, in the same transaction. */
    countSucceeded?: { from: Date; to: Date };
  };
}

/**
 * A table in SQLite, MySQL/MariaDB or PostgreSQL. Each write replaces whole windows in one
 * transaction — delete the window's rows, insert the new ones, mark the ledger — so retried,
 * duplicated and concurrent runs of a window leave exactly one copy of its rows.
 */
export class SqlSink implements Sink {
  readonly type: string;
  readonly ledger: SqlLedger | undefined;
  private readonly db: SqlClient;
  private ensured: Promise<TableShape> | undefined;
  private ensuredFor = '';
  private ensuredColumns: ColumnSet | undefined;
  private insertSql: InsertShape | undefined;
  private upsertSql: InsertShape | undefined;

  constructor(private readonly options: SqlSinkOptions) {
    if (!TABLE_NAME.test(options.table)) {
      throw new WindowedError(
        'INVALID_CONFIG',
        `Sink table ${JSON.stringify(options.table)} is not a valid table name; expected letters, digits and _ (optionally schema.table).`,
      );
    }
    this.type = options.db.dialect;
    this.db = openDatabase(options.db, { readOnly: options.readOnly === true });
    this.ledger =
      options.ledger === false
        ? undefined
        : new SqlLedger(this.db, options.db.display, false, this.identity());
  }

  describe(): string {
    return `${this.options.db.display} table ${this.options.table}`;
  }

  /** Dialect, database and table: never the host or the credentials, which differ between machines. */
  identity(): string {
    const { db, table } = this.options;
    // SQLite: the path as the URL writes it (relative paths name the same file wherever the project is).
    const database =
      db.dialect === 'sqlite'
        ? normalize(db.filename ?? ':memory:')
        : decodeURIComponent(new URL(db.url).pathname.replace(/^\//, ''));
    return `${db.dialect}:${database}/${table}`;
  }

  /** What `util.inspect` shows: where it writes, never the connection settings (they hold the password). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `SqlSink <${this.describe()}>`;
  }

  /**
   * Replaces the windows' rows (and marks them succeeded in the ledger, when asked) in one
   * transaction. A window whose rows cannot be stored exactly, or whose write the database refuses
   * (a value too long for an older table's column, a key collision), fails alone: the others are
   * written, in smaller transactions, and the failures come back in `failed`. A failure of the
   * database itself (unreachable, read-only) throws.
   */
  async write(windows: readonly WindowRows[], options: SqlSinkWriteOptions): Promise<SinkWriteResult> {
    if (windows.length === 0) return {};
    const [shape] = await Promise.all([
      this.ensureTable(options.columns),
      options.markSucceeded ? this.ledger?.ensure(options.job) : undefined,
    ]);
    const rules: GroupRules = {
      sink: this.describe(),
      dimensions: options.columns.dimensions,
      maxChars: shape.maxChars,
      hashKey: shape.groupKey,
    };
    const failed = new Map<string, WindowedError>();
    const ready: PreparedWindow[] = [];
    for (const { window, rows } of windows) {
      try {
        ready.push({ window, rows: groupedRows(window, rows, rules) });
      } catch (error) {
        failed.set(window.key, error as WindowedError);
      }
    }
    const count = this.ledger ? options.markSucceeded?.countSucceeded : undefined;
    let succeededInRange: number | undefined;
    try {
      const results = ready.length > 0 ? await this.writeBatch(ready, options, shape, count) : [];
      if (count && ready.length > 0) succeededInRange = Number(results.at(-1)?.[0]?.n ?? 0);
    } catch (error) {
      if (!isRefusedData(error)) throw this.failure(error);
      await this.writeIsolating(ready, options, shape, failed, error);
    }
    return {
      ...(succeededInRange !== undefined ? { succeededInRange } : {}),
      ...(failed.size > 0 ? { failed } : {}),
    };
  }

  /** One transaction (one round trip where it can) for the windows, with their ledger rows. */
  private async writeBatch(
    windows: readonly PreparedWindow[],
    options: SqlSinkWriteOptions,
    shape: TableShape,
    count?: { from: Date; to: Date },
  ) {
    const statements = this.writeStatements(windows, options, shape);
    if (count && this.ledger)
      statements.push(this.ledger.countSucceededStatement(options.job, count.from, count.to));
    const rows = windows.reduce((n, w) => n + w.rows.length, 0);
    // Every scheduled run's small write travels in one round trip where the connection allows it.
    const oneRoundTrip = windows.length <= CHUNK && rows <= CHUNK;
    return withDbRetry(() =>
      oneRoundTrip
        ? this.db.batch(statements, { transaction: true })
        : this.db.transaction((tx) => runInOrder(tx, statements)),
    );
  }

  /**
   * After the database refused a batch: writes each half in its own transaction, splitting again
   * where it is refused, until the windows it refuses are found — a few transactions for one bad
   * window in a day of them, not one per window.
   */
  private async writeIsolating(
    windows: readonly PreparedWindow[],
    options: SqlSinkWriteOptions,
    shape: TableShape,
    failed: Map<string, WindowedError>,
    error: unknown,
  ): Promise<void> {
    if (windows.length === 1) {
      const { window } = windows[0]!;
      failed.set(window.key, this.failure(error, window, shape));
      return;
    }
    const half = Math.ceil(windows.length / 2);
    for (const part of [windows.slice(0, half), windows.slice(half)]) {
      try {
        await this.writeBatch(part, options, shape);
      } catch (partError) {
        if (isRefusedData(partError)) await this.writeIsolating(part, options, shape, failed, partError);
        else for (const { window } of part) failed.set(window.key, this.failure(partError, window));
      }
    }
  }

  private failure(error: unknown, window?: Window, shape?: TableShape): WindowedError {
    const what = window ? `window ${window.key}` : '';
    const advice =
      shape && isDuplicateKey(error) ? collisionAdvice(this.options.table, shape, this.db.dialect) : '';
    return new WindowedError(
      'SINK_FAILED',
      `Writing ${what ? `${what} ` : ''}to ${this.describe()} failed: ${String((error as Error)?.message ?? error).replace(/\.$/, '')}.${advice}`,
      { cause: error, ...(window ? { window } : {}) },
    );
  }

  /** The write's transaction, in order: lock the windows, delete their rows, insert the new ones. */
  private writeStatements(
    windows: readonly PreparedWindow[],
    options: SqlSinkWriteOptions,
    shape: TableShape,
  ): SqlStatement[] {
    const dialect = this.db.dialect;
    const all = windows.map((w) => w.window);
    const statements: SqlStatement[] = [];
    if (options.markSucceeded && this.ledger) {
      // Taking the ledger rows first locks the windows: a concurrent writer of the same window waits
      // here until this transaction commits, then replaces what it wrote.
      statements.push(
        ...this.ledger.upsertStatements(options.job, all, 'succeeded', {
          now: options.computedAt,
          triggerId: options.markSucceeded.triggerId,
          countAttempt: options.markSucceeded.countAttempt === true,
          ...(options.markSucceeded.fingerprint ? { fingerprint: options.markSucceeded.fingerprint } : {}),
        }),
      );
    } else if (dialect === 'postgres') {
      // Without ledger rows to lock, PostgreSQL serializes writers of a window with an advisory lock.
      for (const w of all)
        statements.push({
          sql: 'select pg_advisory_xact_lock(hashtext(?))',
          params: [`${options.job}/${w.key}`],
        });
    }
    // One row per window, and a unique key on (job, window_start): inserting over the key replaces
    // the window's row, so its DELETE can be left out (a statement fewer in every scheduled write).
    const replaceByKey = shape.keyIsWindow && windows.every((w) => w.rows.length === 1);
    if (!replaceByKey) {
      const table = quoteName(dialect, this.options.table);
      const q = (name: string) => quoteName(dialect, name);
      for (const part of chunks(all, CHUNK)) {
        statements.push({
          sql: `delete from ${table} where ${q('job')} = ? and ${q('window_start')} in (${valuesList('?', part.length)})`,
          params: [options.job, ...part.map((w) => toDbTime(dialect, w.start))],
        });
      }
    }
    const insert = this.insertShape(options.columns, replaceByKey, shape.groupKey);
    const computedAt = toDbTime(dialect, options.computedAt);
    const metrics = options.columns.metrics;
    const values: unknown[][] = [];
    for (const { window, rows } of windows) {
      const start = toDbTime(dialect, window.start);
      const end = toDbTime(dialect, window.end);
      for (const { row, dims, key } of rows) {
        const tuple: unknown[] = [options.job, start, end, ...dims];
        for (const m of metrics) tuple.push(row[m.name] ?? null);
        tuple.push(computedAt);
        if (insert.groupKey) tuple.push(key);
        values.push(tuple);
      }
    }
    for (const part of chunks(values, CHUNK)) {
      statements.push({
        sql: `${insert.head}${valuesList(insert.tuple, part.length)}${insert.tail}`,
        params: part.flat(),
      });
    }
    return statements;
  }

  /** The INSERT's SQL around its values list, built once per column set (a job's is always the same object). */
  private insertShape(set: ColumnSet, replaceByKey: boolean, groupKey: boolean): InsertShape {
    const cached = replaceByKey ? this.upsertSql : this.insertSql;
    if (cached?.set === set && cached.groupKey === groupKey) return cached;
    const dialect = this.db.dialect;
    const q = (name: string) => quoteName(dialect, name);
    const columns = [...set.dimensions, ...set.metrics.map((m) => m.name)];
    const names = [
      'job',
      'window_start',
      'window_end',
      ...columns,
      'computed_at',
      ...(groupKey ? [GROUP_KEY_COLUMN] : []),
    ];
    const shape: InsertShape = {
      set,
      groupKey,
      head: `insert into ${quoteName(dialect, this.options.table)} (${names.map(q).join(', ')}) values `,
      tuple: `(${names.map(() => '?').join(', ')})`,
      tail: replaceByKey
        ? ` on duplicate key update ${names
            .slice(2)
            .map((n) => `${q(n)} = values(${q(n)})`)
            .join(', ')}`
        : '',
    };
    if (replaceByKey) this.upsertSql = shape;
    else this.insertSql = shape;
    return shape;
  }

  async read(job: string, options: { limit?: number; from?: Date; to?: Date } = {}): Promise<StoredRow[]> {
    if (!(await hasTable(this.db, this.options.table))) return [];
    const dialect = this.db.dialect;
    const table = quoteName(dialect, this.options.table);
    const start = quoteName(dialect, 'window_start');
    let where = `${quoteName(dialect, 'job')} = ?`;
    const params: unknown[] = [job];
    if (options.from) {
      where += ` and ${start} >= ?`;
      params.push(toDbTime(dialect, options.from));
    }
    if (options.to) {
      where += ` and ${start} < ?`;
      params.push(toDbTime(dialect, options.to));
    }
    if (options.limit) {
      // The newest N windows, with all of their rows.
      const starts = await this.db.query(
        `select distinct ${start} as ${start} from ${table} where ${where} order by ${start} desc limit ${Math.max(1, Math.trunc(options.limit))}`,
        params,
      );
      if (starts.length === 0) return [];
      where += ` and ${start} >= ?`;
      params.push(starts[starts.length - 1]!.window_start);
    }
    const rows = await this.db.query(`select * from ${table} where ${where} order by ${start} desc`, params);
    return rows.map((row) => {
      const { job: _job, window_start, window_end, computed_at, group_key: _key, ...values } = row;
      return {
        windowStart: fromDbTime(window_start),
        windowEnd: fromDbTime(window_end),
        computedAt: computed_at ? fromDbTime(computed_at) : null,
        values: normalizeStored(values),
      };
    });
  }

  /**
   * Starts creating or checking the table for these columns, so that a run can overlap it with its
   * source query; the write waits for it (and tries again, and reports, when it failed). `alongside`
   * may carry the check with another message (the ledger's claim: one connection fewer cold).
   */
  prepare(columns: ColumnSet, alongside?: SendAlongside): void {
    this.ensureTable(columns, alongside).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.ensured = undefined;
    await closeDatabase(this.db);
  }

  private ensureTable(columns: ColumnSet, alongside?: SendAlongside): Promise<TableShape> {
    if (this.ensured && columns === this.ensuredColumns) return this.ensured;
    const signature = JSON.stringify(columns);
    if (!this.ensured || this.ensuredFor !== signature) {
      this.ensuredFor = signature;
      this.ensured = prepareTable(this.db, this.options.table, columns, alongside).catch((error) => {
        this.ensured = undefined;
        this.ensuredColumns = undefined;
        throw error instanceof WindowedError
          ? error
          : new WindowedError(
              'SINK_FAILED',
              `Could not prepare ${this.describe()}: ${(error as Error).message}`,
              { cause: error },
            );
      });
    }
    this.ensuredColumns = columns;
    return this.ensured;
  }
}

/** An INSERT for one column set: `head`, then `tuple` once per row, then `tail`. */
interface InsertShape {
  set: ColumnSet;
  /** The rows carry their group key (after computed_at). */
  groupKey: boolean;
  head: string;
  tuple: string;
  tail: string;
}

/** A window's rows as the table stores them. */
interface PreparedWindow {
  window: Window;
  rows: GroupedRow[];
}

/**
 * The database refused the data of a statement — a value too long, a key collision, a check — as
 * opposed to failing as a whole (unreachable, read-only, out of space): splitting the batch finds the
 * windows concerned. SQLSTATE classes 22 (data exception), 23 (integrity constraint violation) and 54
 * (program limit exceeded: PostgreSQL's index row size).
 */
function isRefusedData(error: unknown): boolean {
  const e = error as { code?: unknown; sqlState?: unknown; fatal?: unknown } | null;
  if (!e || e.fatal === true) return false;
  const state =
    typeof e.sqlState === 'string'
      ? e.sqlState
      : typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)
        ? e.code
        : undefined;
  if (state) return /^(22|23|54)/.test(state);
  return typeof e.code === 'string' && /^SQLITE_(CONSTRAINT|TOOBIG|MISMATCH|RANGE)/.test(e.code);
}

function isDuplicateKey(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ER_DUP_ENTRY' || code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Drivers are set to return numbers (see db/postgres.ts); better-sqlite3 may still hand a bigint. */
function normalizeStored(values: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(values))
    out[k] = typeof v === 'bigint' ? Number(v) : ((v as string | number | null) ?? null);
  return out;
}
