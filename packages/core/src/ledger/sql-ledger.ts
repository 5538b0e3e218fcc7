import { type Dialect, quoteName, type SqlClient, type SqlStatement, valuesList } from '../db/client.js';
import { closeDatabase, fromDbTime, toDbTime } from '../db/connect.js';
import { createTableSql, hasTable, type TableDef } from '../db/schema.js';
import { WindowedError } from '../errors.js';
import type { Window } from '../window/types.js';
import type { Ledger, LedgerEntry, RunStatus } from './types.js';

export const LEDGER_TABLE = 'windowed_runs';
const MAX_ERROR_LENGTH = 2000;
const CHUNK = 500;

interface UpsertOptions {
  now: Date;
  triggerId?: string | undefined;
  error?: string;
  countAttempt?: boolean;
}

/** The run ledger as a table `windowed_runs` in a SQL database (usually the sink's own). */
export class SqlLedger implements Ledger {
  private ready: Promise<void> | undefined;

  constructor(
    private readonly db: SqlClient,
    private readonly display: string,
    /** False when the connection belongs to a sink that closes it. */
    private readonly ownsConnection = true,
  ) {}

  get dialect(): Dialect {
    return this.db.dialect;
  }

  describe(): string {
    return `${this.display} (${LEDGER_TABLE})`;
  }

  /** Creates the table if missing; once per instance. */
  ensure(): Promise<void> {
    this.ready ??= this.createTable().catch((error) => {
      this.ready = undefined;
      throw new WindowedError(
        'LEDGER_FAILED',
        `Could not create ${LEDGER_TABLE} in ${this.display}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    });
    return this.ready;
  }

  private async createTable(): Promise<void> {
    if (await hasTable(this.db, LEDGER_TABLE)) return;
    try {
      await this.db.query(createTableSql(this.db.dialect, LEDGER_TABLE, LEDGER_TABLE_DEF));
    } catch (error) {
      // Another process created it between our check and our CREATE.
      if (!(await hasTable(this.db, LEDGER_TABLE))) throw error;
    }
  }

  async markRunning(
    job: string,
    windows: readonly Window[],
    triggerId: string | undefined,
    now: Date,
  ): Promise<void> {
    await this.guard('Marking windows running', () =>
      this.upsert(job, windows, 'running', { triggerId, now, countAttempt: true }),
    );
  }

  async markSucceeded(
    job: string,
    windows: readonly Window[],
    triggerId: string | undefined,
    now: Date,
  ): Promise<void> {
    await this.guard('Marking windows succeeded', () =>
      this.upsert(job, windows, 'succeeded', { triggerId, now }),
    );
  }

  async markFailed(
    job: string,
    windows: readonly Window[],
    error: string,
    now: Date,
    options: { countAttempt?: boolean } = {},
  ): Promise<void> {
    await this.guard('Marking windows failed', () =>
      this.upsert(job, windows, 'failed', {
        now,
        error: error.slice(0, MAX_ERROR_LENGTH),
        countAttempt: options.countAttempt === true,
      }),
    );
  }

  /** Inserts or updates ledger rows (one statement per 500 windows). */
  private async upsert(job: string, windows: readonly Window[], status: RunStatus, options: UpsertOptions) {
    await this.ensure();
    for (const { sql, params } of this.upsertStatements(job, windows, status, options))
      await this.db.query(sql, params);
  }

  /**
   * The upsert as statements (one per 500 windows), not yet run: the sink sends them first in its
   * own transaction, where the upsert's row lock is what serializes concurrent writers of a window.
   */
  upsertStatements(
    job: string,
    windows: readonly Window[],
    status: RunStatus,
    options: UpsertOptions,
  ): SqlStatement[] {
    const statements: SqlStatement[] = [];
    for (let i = 0; i < windows.length; i += CHUNK)
      statements.push(upsertStatement(this.db.dialect, job, windows.slice(i, i + CHUNK), status, options));
    return statements;
  }

  /**
   * `markRunning` and `countSucceeded(job, count.from, count.to)` together: what every scheduled
   * run asks first. On MySQL both travel in one round trip (the connection allows several
   * statements); elsewhere they run side by side.
   */
  async markRunningAndCountSucceeded(
    job: string,
    windows: readonly Window[],
    triggerId: string | undefined,
    now: Date,
    count: { from: Date; to: Date },
  ): Promise<number> {
    await this.ensure();
    if (!this.db.multipleStatements || windows.length > CHUNK) {
      const [succeeded] = await Promise.all([
        this.countSucceeded(job, count.from, count.to),
        this.markRunning(job, windows, triggerId, now),
      ]);
      return succeeded;
    }
    const statements = [
      ...this.upsertStatements(job, windows, 'running', { triggerId, now, countAttempt: true }),
      this.countSucceededStatement(job, count.from, count.to),
    ];
    const results = await this.guard('Marking windows running', () => this.db.batch(statements));
    return Number(results[statements.length - 1]?.[0]?.n ?? 0);
  }

  async entries(job: string, range: { from?: Date; to?: Date } = {}): Promise<LedgerEntry[]> {
    await this.ensure();
    const params: unknown[] = [job];
    let sql = `select * from ${this.table} where ${this.q('job')} = ?`;
    if (range.from) {
      sql += ` and ${this.q('window_start')} >= ?`;
      params.push(this.time(range.from));
    }
    if (range.to) {
      sql += ` and ${this.q('window_start')} < ?`;
      params.push(this.time(range.to));
    }
    sql += ` order by ${this.q('window_start')} asc`;
    return (await this.guard('Reading entries', () => this.db.query(sql, params))).map(toEntry);
  }

  async lastSucceeded(job: string): Promise<LedgerEntry | undefined> {
    await this.ensure();
    const [row] = await this.guard('Reading the last success', () =>
      this.db.query(
        `select * from ${this.table} where ${this.q('job')} = ? and ${this.q('status')} = ? order by ${this.q('window_start')} desc limit 1`,
        [job, 'succeeded'],
      ),
    );
    return row ? toEntry(row) : undefined;
  }

  async countSucceeded(job: string, from: Date, to: Date): Promise<number> {
    await this.ensure();
    const { sql, params } = this.countSucceededStatement(job, from, to);
    const [row] = await this.guard('Counting succeeded windows', () => this.db.query(sql, params));
    return Number(row?.n ?? 0);
  }

  /** `countSucceeded` as a statement answering one row `{ n }`: the sink sends it in its write's transaction. */
  countSucceededStatement(job: string, from: Date, to: Date): SqlStatement {
    const start = this.q('window_start');
    return {
      sql: `select count(*) as n from ${this.table} where ${this.q('job')} = ? and ${this.q('status')} = ? and ${start} >= ? and ${start} < ?`,
      params: [job, 'succeeded', this.time(from), this.time(to)],
    };
  }

  async firstWindowStart(job: string): Promise<Date | undefined> {
    await this.ensure();
    const [row] = await this.guard('Reading the first window', () =>
      this.db.query(
        `select min(${this.q('window_start')}) as ${this.q('first')} from ${this.table} where ${this.q('job')} = ?`,
        [job],
      ),
    );
    const first = row?.first;
    return first === null || first === undefined ? undefined : fromDbTime(first);
  }

  private get table(): string {
    return quoteName(this.db.dialect, LEDGER_TABLE);
  }

  private q(column: string): string {
    return quoteName(this.db.dialect, column);
  }

  private time(date: Date): Date | string {
    return toDbTime(this.db.dialect, date);
  }

  /** Database errors as LEDGER_FAILED; the sink's own transaction calls `upsert` unguarded so it can retry. */
  private async guard<T>(what: string, fn: () => PromiseLike<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof WindowedError) throw error;
      throw new WindowedError(
        'LEDGER_FAILED',
        `${what} in ${this.describe()} failed: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }

  async close(): Promise<void> {
    if (this.ownsConnection) await closeDatabase(this.db);
  }
}

const LEDGER_TABLE_DEF = {
  columns: [
    { name: 'job', type: { varchar: 64 }, notNull: true },
    { name: 'window_start', type: 'datetime', notNull: true },
    { name: 'window_end', type: 'datetime', notNull: true },
    { name: 'status', type: { varchar: 16 }, notNull: true },
    { name: 'attempts', type: 'integer', notNull: true, defaultTo: 0 },
    { name: 'last_error', type: 'text' },
    { name: 'trigger_id', type: { varchar: 255 } },
    { name: 'updated_at', type: 'datetime', notNull: true },
  ],
  primaryKey: ['job', 'window_start'],
} as const satisfies TableDef;

const UPSERT_COLUMNS = [
  'job',
  'window_start',
  'window_end',
  'status',
  'attempts',
  'last_error',
  'trigger_id',
  'updated_at',
] as const;

/**
 * Inserts the windows' rows; rows that exist get the new status (and trigger, error, attempt count).
 * `INSERT … ON DUPLICATE KEY UPDATE` on MySQL, `INSERT … ON CONFLICT DO UPDATE` elsewhere; the
 * update takes the values the insert would have written, so each value is bound once.
 */
function upsertStatement(
  dialect: Dialect,
  job: string,
  windows: readonly Window[],
  status: RunStatus,
  options: UpsertOptions,
): SqlStatement {
  const now = toDbTime(dialect, options.now);
  const attempts = options.countAttempt ? 1 : 0;
  const error = options.error ?? null;
  const triggerId = options.triggerId ?? null;
  const params: unknown[] = [];
  for (const w of windows)
    params.push(
      job,
      toDbTime(dialect, w.start),
      toDbTime(dialect, w.end),
      status,
      attempts,
      error,
      triggerId,
      now,
    );
  const { head, tuple, tail } = upsertShape(dialect, status, options);
  return { sql: `${head}${valuesList(tuple, windows.length)}${tail}`, params };
}

interface UpsertShape {
  head: string;
  tuple: string;
  tail: string;
}

const upsertShapes = new Map<string, UpsertShape>();

/** The upsert's SQL around its values list, built once per dialect and kind of update. */
function upsertShape(dialect: Dialect, status: RunStatus, options: UpsertOptions): UpsertShape {
  const setsTrigger = options.triggerId !== undefined;
  const setsError = options.error !== undefined || status === 'succeeded';
  const countsAttempt = options.countAttempt === true;
  const key = `${dialect}/${setsTrigger}/${setsError}/${countsAttempt}`;
  let shape = upsertShapes.get(key);
  if (shape) return shape;
  const q = (name: string) => quoteName(dialect, name);
  const inserted = (name: string) => (dialect === 'mysql' ? `values(${q(name)})` : `excluded.${q(name)}`);
  const set = ['status', 'updated_at'];
  if (setsTrigger) set.push('trigger_id');
  if (setsError) set.push('last_error');
  const assignments = set.map((name) => `${q(name)} = ${inserted(name)}`);
  if (countsAttempt) assignments.push(`${q('attempts')} = ${q(LEDGER_TABLE)}.${q('attempts')} + 1`);
  const conflict =
    dialect === 'mysql'
      ? 'on duplicate key update'
      : `on conflict (${q('job')}, ${q('window_start')}) do update set`;
  shape = {
    head: `insert into ${q(LEDGER_TABLE)} (${UPSERT_COLUMNS.map(q).join(', ')}) values `,
    tuple: `(${UPSERT_COLUMNS.map(() => '?').join(', ')})`,
    tail: ` ${conflict} ${assignments.join(', ')}`,
  };
  upsertShapes.set(key, shape);
  return shape;
}

function toEntry(row: Record<string, unknown>): LedgerEntry {
  return {
    job: String(row.job),
    windowStart: fromDbTime(row.window_start),
    windowEnd: fromDbTime(row.window_end),
    status: row.status as RunStatus,
    attempts: Number(row.attempts),
    lastError: (row.last_error as string | null) ?? null,
    triggerId: (row.trigger_id as string | null) ?? null,
    updatedAt: fromDbTime(row.updated_at),
  };
}
