import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import {
  allowsMultipleStatements,
  closeDatabase,
  type DatabaseUrl,
  fromDbTime,
  openDatabase,
  type SqlStatement,
  toDbTime,
  transactionInOneRoundTrip,
  withDbRetry,
} from '../db/connect.js';
import { WindowedError } from '../errors.js';
import { SqlLedger } from '../ledger/sql-ledger.js';
import type { Row } from '../query/types.js';
import { RESERVED_COLUMNS } from '../query/validate.js';
import type { Window } from '../window/types.js';
import type { ColumnSet, Sink, SinkWriteOptions, StoredRow, WindowRows } from './types.js';

const TABLE_NAME = /^([A-Za-z_][A-Za-z0-9_]{0,62}\.)?[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const INSERT_CHUNK = 500;

export interface SqlSinkOptions {
  db: DatabaseUrl;
  table: string;
  /** Keep the ledger in this database (default). False when a separate `state` URL holds it. */
  ledger?: boolean;
}

/**
 * A table in SQLite, MySQL/MariaDB or PostgreSQL. Each write replaces whole windows in one
 * transaction — delete the window's rows, insert the new ones, mark the ledger — so retried,
 * duplicated and concurrent runs of a window leave exactly one copy of its rows.
 */
export class SqlSink implements Sink {
  readonly type: string;
  readonly ledger: SqlLedger | undefined;
  private readonly knex: Knex;
  private ensured: Promise<void> | undefined;
  private ensuredFor = '';

  constructor(private readonly options: SqlSinkOptions) {
    if (!TABLE_NAME.test(options.table)) {
      throw new WindowedError(
        'INVALID_CONFIG',
        `Sink table ${JSON.stringify(options.table)} is not a valid table name; expected letters, digits and _ (optionally schema.table).`,
      );
    }
    this.type = options.db.dialect;
    this.knex = openDatabase(options.db, { multipleStatements: true });
    this.ledger =
      options.ledger === false
        ? undefined
        : new SqlLedger(this.knex, options.db.dialect, options.db.display, false);
  }

  describe(): string {
    return `${this.options.db.display} table ${this.options.table}`;
  }

  async write(windows: readonly WindowRows[], options: SinkWriteOptions): Promise<void> {
    if (windows.length === 0) return;
    await this.ensureTable(options.columns);
    const dialect = this.options.db.dialect;
    const columns = [...options.columns.dimensions, ...options.columns.metrics.map((m) => m.name)];
    const computedAt = toDbTime(dialect, options.computedAt);
    const all = windows.map((w) => w.window);
    const rows = windows.flatMap(({ window, rows }) =>
      rows.map((row) => ({
        job: options.job,
        window_start: toDbTime(dialect, window.start),
        window_end: toDbTime(dialect, window.end),
        ...pick(row, columns),
        computed_at: computedAt,
      })),
    );
    const markSucceeded = options.markSucceeded && this.ledger ? options.markSucceeded : undefined;
    /** The transaction's statements, in order, against `db` (the transaction, or the pool to compile). */
    const statements = (db: Knex | Knex.Transaction): Knex.QueryBuilder[] => [
      // Taking the ledger rows first locks the windows: a concurrent writer of the same window
      // waits here until this transaction commits, then replaces what it wrote.
      ...(markSucceeded && this.ledger
        ? this.ledger.upsertStatements(db, options.job, all, 'succeeded', {
            now: options.computedAt,
            triggerId: markSucceeded.triggerId,
          })
        : []),
      ...chunks(all, INSERT_CHUNK).map((part) =>
        db(this.options.table)
          .where('job', options.job)
          .whereIn(
            'window_start',
            part.map((w) => toDbTime(dialect, w.start)),
          )
          .delete(),
      ),
      ...chunks(rows, INSERT_CHUNK).map((part) => db(this.options.table).insert(part)),
    ];
    try {
      // A small write (every scheduled run's) in one round trip where the connection allows it.
      if (
        dialect === 'mysql' &&
        all.length <= INSERT_CHUNK &&
        rows.length <= INSERT_CHUNK &&
        allowsMultipleStatements(this.knex)
      ) {
        const compiled = [
          ...(markSucceeded && this.ledger
            ? this.ledger
                .upsertStatements(this.knex, options.job, all, 'succeeded', {
                  now: options.computedAt,
                  triggerId: markSucceeded.triggerId,
                })
                .map((q) => q.toSQL())
            : []),
          ...mysqlReplaceStatements(this.options.table, options.job, all, columns, rows),
        ];
        await withDbRetry(() => transactionInOneRoundTrip(this.knex, compiled));
        return;
      }
      await withDbRetry(() =>
        this.knex.transaction(async (trx) => {
          if (!markSucceeded && dialect === 'postgres') {
            for (const w of all)
              await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`${options.job}/${w.key}`]);
          }
          for (const statement of statements(trx)) await statement;
        }),
      );
    } catch (error) {
      throw new WindowedError(
        'SINK_FAILED',
        `Writing to ${this.describe()} failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  async read(job: string, options: { limit?: number; from?: Date; to?: Date } = {}): Promise<StoredRow[]> {
    if (!(await this.knex.schema.hasTable(this.options.table))) return [];
    const dialect = this.options.db.dialect;
    let query = this.knex(this.options.table).where('job', job).orderBy('window_start', 'desc');
    if (options.from) query = query.where('window_start', '>=', toDbTime(dialect, options.from));
    if (options.to) query = query.where('window_start', '<', toDbTime(dialect, options.to));
    if (options.limit) {
      // The newest N windows, with all of their rows.
      const starts = await this.knex(this.options.table)
        .where('job', job)
        .distinct('window_start')
        .orderBy('window_start', 'desc')
        .limit(options.limit);
      if (starts.length === 0) return [];
      query = query.where('window_start', '>=', starts[starts.length - 1]!.window_start);
    }
    return (await query).map((row: Record<string, unknown>) => {
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
    await closeDatabase(this.knex);
  }

  private ensureTable(columns: ColumnSet): Promise<void> {
    const signature = JSON.stringify(columns);
    if (!this.ensured || this.ensuredFor !== signature) {
      this.ensuredFor = signature;
      this.ensured = this.createOrExtendTable(columns).catch((error) => {
        this.ensured = undefined;
        throw error instanceof WindowedError
          ? error
          : new WindowedError(
              'SINK_FAILED',
              `Could not prepare ${this.describe()}: ${(error as Error).message}`,
              { cause: error },
            );
      });
    }
    return this.ensured;
  }

  private async createOrExtendTable(columns: ColumnSet): Promise<void> {
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
    if (!(await this.knex.schema.hasTable(table))) {
      try {
        await this.knex.schema.createTable(table, (t) => {
          t.string('job', 64).notNullable();
          t.datetime('window_start', { precision: 3 }).notNullable();
          t.datetime('window_end', { precision: 3 }).notNullable();
          // 191 characters keeps a utf8mb4 unique key within InnoDB's 3072-byte limit.
          for (const d of columns.dimensions) t.string(d, 191).nullable();
          for (const m of columns.metrics) addMetricColumn(t, m.name, m.type);
          t.datetime('computed_at', { precision: 3 }).nullable();
          t.unique(['job', 'window_start', ...columns.dimensions], { indexName: indexName(table) });
        });
        return;
      } catch (error) {
        if (!(await this.knex.schema.hasTable(table))) throw error;
      }
    }
    await this.extendTable(columns);
  }

  /** An existing table gains new metric columns; a different groupBy needs another table. */
  private async extendTable(columns: ColumnSet): Promise<void> {
    const table = this.options.table;
    const existing = new Set(Object.keys(await this.knex(table).columnInfo()).map((c) => c.toLowerCase()));
    const missingDims = columns.dimensions.filter((d) => !existing.has(d.toLowerCase()));
    if (missingDims.length > 0) {
      throw new WindowedError(
        'SINK_FAILED',
        `Sink table ${table} has no column ${missingDims.join(', ')}: it was created for another groupBy. Use another table (?table=) or migrate it.`,
      );
    }
    const missing = columns.metrics.filter((m) => !existing.has(m.name.toLowerCase()));
    if (missing.length === 0) return;
    await this.knex.schema.alterTable(table, (t) => {
      for (const m of missing) addMetricColumn(t, m.name, m.type);
    });
  }
}

function addMetricColumn(
  t: Knex.CreateTableBuilder,
  name: string,
  type: ColumnSet['metrics'][number]['type'],
): void {
  if (type === 'integer') t.bigInteger(name).nullable();
  else if (type === 'number') t.double(name).nullable();
  else t.text(name).nullable();
}

function indexName(table: string): string {
  const base = `${table.replace('.', '_')}_window_uq`;
  return base.length <= 60 ? base : `wuq_${createHash('sha1').update(table).digest('hex').slice(0, 16)}`;
}

/**
 * The delete and insert of `statements` for one MySQL write of at most {@link INSERT_CHUNK} windows
 * and rows, written directly: knex's builder costs more client time than the round trip saves on a
 * scheduled run. Names are validated (TABLE_NAME, IDENTIFIER) and backquoted as knex does; every value
 * is a bound parameter.
 */
function mysqlReplaceStatements(
  table: string,
  job: string,
  windows: readonly Window[],
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
): SqlStatement[] {
  const quoted = table.split('.').map(quoteMysql).join('.');
  const out: SqlStatement[] = [
    {
      sql: `delete from ${quoted} where \`job\` = ? and \`window_start\` in (${windows.map(() => '?').join(', ')})`,
      bindings: [job, ...windows.map((w) => w.start)],
    },
  ];
  if (rows.length === 0) return out;
  const names = ['job', 'window_start', 'window_end', ...columns, 'computed_at'];
  const tuple = `(${names.map(() => '?').join(', ')})`;
  const bindings: Knex.Value[] = [];
  for (const row of rows) for (const name of names) bindings.push(row[name] as Knex.Value);
  out.push({
    sql: `insert into ${quoted} (${names.map(quoteMysql).join(', ')}) values ${rows.map(() => tuple).join(', ')}`,
    bindings,
  });
  return out;
}

function quoteMysql(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function pick(row: Row, columns: string[]): Row {
  const out: Row = {};
  for (const c of columns) out[c] = row[c] ?? null;
  return out;
}

/** Drivers are set to return numbers (see db/connect.ts); better-sqlite3 may still hand a bigint. */
function normalizeStored(values: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(values))
    out[k] = typeof v === 'bigint' ? Number(v) : ((v as string | number | null) ?? null);
  return out;
}
