import { createHash } from 'node:crypto';
import { quoteName, runInOrder, type SqlClient, type SqlStatement, valuesList } from '../db/client.js';
import {
  closeDatabase,
  type DatabaseUrl,
  fromDbTime,
  openDatabase,
  toDbTime,
  withDbRetry,
} from '../db/connect.js';
import {
  type ColumnDef,
  columnNames,
  columnSql,
  createTableSql,
  hasTable,
  hasUniqueKey,
} from '../db/schema.js';
import { WindowedError } from '../errors.js';
import { SqlLedger } from '../ledger/sql-ledger.js';
import type { Row } from '../query/types.js';
import { RESERVED_COLUMNS } from '../query/validate.js';
import type { ColumnSet, Sink, SinkWriteOptions, SinkWriteResult, StoredRow, WindowRows } from './types.js';

const TABLE_NAME = /^([A-Za-z_][A-Za-z0-9_]{0,62}\.)?[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** Windows per DELETE and rows per INSERT; a write within both travels in one round trip on MySQL. */
const CHUNK = 500;

export interface SqlSinkOptions {
  db: DatabaseUrl;
  table: string;
  /** Keep the ledger in this database (default). False when a separate `state` URL holds it. */
  ledger?: boolean;
}

/** A write that also records its windows in the sink's own ledger (the runner's TransactionalSqlStore). */
export interface SqlSinkWriteOptions extends SinkWriteOptions {
  /**
   * When set and the sink holds the ledger, the windows are marked succeeded in the same
   * transaction as their rows: a window is either written and recorded, or neither.
   */
  markSucceeded?: {
    triggerId: string | undefined;
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
    this.db = openDatabase(options.db);
    this.ledger = options.ledger === false ? undefined : new SqlLedger(this.db, options.db.display, false);
  }

  describe(): string {
    return `${this.options.db.display} table ${this.options.table}`;
  }

  async write(windows: readonly WindowRows[], options: SqlSinkWriteOptions): Promise<SinkWriteResult> {
    if (windows.length === 0) return {};
    const shape = await this.ensureTable(options.columns);
    const statements = this.writeStatements(windows, options, shape);
    const count = options.markSucceeded?.countSucceeded;
    if (count && this.ledger)
      statements.push(this.ledger.countSucceededStatement(options.job, count.from, count.to));
    const rows = windows.reduce((n, w) => n + w.rows.length, 0);
    // Every scheduled run's small write travels in one round trip where the connection allows it.
    const oneRoundTrip = windows.length <= CHUNK && rows <= CHUNK;
    try {
      const results = await withDbRetry(() =>
        oneRoundTrip
          ? this.db.batch(statements, { transaction: true })
          : this.db.transaction((tx) => runInOrder(tx, statements)),
      );
      return count && this.ledger ? { succeededInRange: Number(results.at(-1)?.[0]?.n ?? 0) } : {};
    } catch (error) {
      throw new WindowedError(
        'SINK_FAILED',
        `Writing to ${this.describe()} failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** The write's transaction, in order: lock the windows, delete their rows, insert the new ones. */
  private writeStatements(
    windows: readonly WindowRows[],
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
    const insert = this.insertShape(options.columns, replaceByKey);
    const computedAt = toDbTime(dialect, options.computedAt);
    const values: unknown[][] = [];
    for (const { window, rows } of windows) {
      const start = toDbTime(dialect, window.start);
      const end = toDbTime(dialect, window.end);
      for (const row of rows) {
        const tuple: unknown[] = [options.job, start, end];
        for (const c of insert.columns) tuple.push(row[c] ?? null);
        tuple.push(computedAt);
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
  private insertShape(set: ColumnSet, replaceByKey: boolean): InsertShape {
    const cached = replaceByKey ? this.upsertSql : this.insertSql;
    if (cached?.set === set) return cached;
    const dialect = this.db.dialect;
    const q = (name: string) => quoteName(dialect, name);
    const columns = [...set.dimensions, ...set.metrics.map((m) => m.name)];
    const names = ['job', 'window_start', 'window_end', ...columns, 'computed_at'];
    const shape: InsertShape = {
      set,
      columns,
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
      const { job: _job, window_start, window_end, computed_at, ...values } = row;
      return {
        windowStart: fromDbTime(window_start),
        windowEnd: fromDbTime(window_end),
        computedAt: computed_at ? fromDbTime(computed_at) : null,
        values: normalizeStored(values),
      };
    });
  }

  async close(): Promise<void> {
    this.ensured = undefined;
    await closeDatabase(this.db);
  }

  private ensureTable(columns: ColumnSet): Promise<TableShape> {
    if (this.ensured && columns === this.ensuredColumns) return this.ensured;
    const signature = JSON.stringify(columns);
    if (!this.ensured || this.ensuredFor !== signature) {
      this.ensuredFor = signature;
      this.ensured = this.createOrExtendTable(columns).catch((error) => {
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

  private async createOrExtendTable(columns: ColumnSet): Promise<TableShape> {
    const table = this.options.table;
    for (const name of [...columns.dimensions, ...columns.metrics.map((m) => m.name)]) {
      if ((RESERVED_COLUMNS as readonly string[]).includes(name)) {
        throw new WindowedError(
          'SINK_FAILED',
          `Column "${name}" is reserved in sink tables; rename the metric or field.`,
        );
      }
    }
    await this.ledger?.ensure();
    if (!(await hasTable(this.db, table))) {
      try {
        await this.db.query(
          createTableSql(this.db.dialect, table, {
            columns: [
              { name: 'job', type: { varchar: 64 }, notNull: true },
              { name: 'window_start', type: 'datetime', notNull: true },
              { name: 'window_end', type: 'datetime', notNull: true },
              // 191 characters keeps a utf8mb4 unique key within InnoDB's 3072-byte limit.
              ...columns.dimensions.map((d): ColumnDef => ({ name: d, type: { varchar: 191 } })),
              ...columns.metrics.map((m) => metricColumn(m.name, m.type)),
              { name: 'computed_at', type: 'datetime' },
            ],
            unique: { name: indexName(table), columns: ['job', 'window_start', ...columns.dimensions] },
          }),
        );
        return { keyIsWindow: this.db.dialect === 'mysql' && columns.dimensions.length === 0 };
      } catch (error) {
        if (!(await hasTable(this.db, table))) throw error;
      }
    }
    await this.extendTable(columns);
    return {
      keyIsWindow:
        this.db.dialect === 'mysql' &&
        columns.dimensions.length === 0 &&
        (await hasUniqueKey(this.db, table, ['job', 'window_start'])),
    };
  }

  /** An existing table gains new metric columns; a different groupBy needs another table. */
  private async extendTable(columns: ColumnSet): Promise<void> {
    const table = this.options.table;
    const existing = await columnNames(this.db, table);
    const missingDims = columns.dimensions.filter((d) => !existing.has(d.toLowerCase()));
    if (missingDims.length > 0) {
      throw new WindowedError(
        'SINK_FAILED',
        `Sink table ${table} has no column ${missingDims.join(', ')}: it was created for another groupBy. Use another table (?table=) or migrate it.`,
      );
    }
    const quoted = quoteName(this.db.dialect, table);
    for (const m of columns.metrics.filter((m) => !existing.has(m.name.toLowerCase()))) {
      await this.db.query(
        `alter table ${quoted} add column ${columnSql(this.db.dialect, metricColumn(m.name, m.type))}`,
      );
    }
  }
}

/** An INSERT for one column set: `head`, then `tuple` once per row, then `tail`. */
interface InsertShape {
  set: ColumnSet;
  columns: string[];
  head: string;
  tuple: string;
  tail: string;
}

/** What a write needs to know of the table, learnt once per process. */
interface TableShape {
  /**
   * MySQL, and a unique key on exactly (job, window_start): a window has at most one row, and an
   * `INSERT … ON DUPLICATE KEY UPDATE` replaces it. (Other dialects always delete, then insert.)
   */
  keyIsWindow: boolean;
}

function metricColumn(name: string, type: ColumnSet['metrics'][number]['type']): ColumnDef {
  return { name, type: type === 'integer' ? 'bigint' : type === 'number' ? 'double' : 'text' };
}

function indexName(table: string): string {
  const base = `${table.replace('.', '_')}_window_uq`;
  return base.length <= 60 ? base : `wuq_${createHash('sha1').update(table).digest('hex').slice(0, 16)}`;
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
