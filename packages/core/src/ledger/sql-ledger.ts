import {
  type Dialect,
  quoteName,
  type SqlClient,
  type SqlRow,
  type SqlStatement,
  valuesList,
} from '../db/client.js';
import { closeDatabase, fromDbTime, toDbTime, withReadRetry } from '../db/connect.js';
import { WindowedError } from '../errors.js';
import type { Window } from '../window/types.js';
import { LedgerClaims } from './claims.js';
import { type SummaryQuery, summarizeLedger, windowRows } from './summary.js';
import {
  fitColumn,
  LEDGER_TABLE,
  ledgerTableState,
  SINK_COLUMN_CHARS,
  TRIGGER_COLUMN_CHARS,
} from './table.js';
import type { Ledger, LedgerEntry, LedgerSummary, MarkOptions, RunStatus } from './types.js';

export { LEDGER_TABLE } from './table.js';

const MAX_ERROR_LENGTH = 2000;
const CHUNK = 500;

interface UpsertOptions extends MarkOptions {
  now: Date;
  triggerId?: string | undefined;
  error?: string;
}

/**
 * The run ledger as a table `windowed_runs` in a SQL database (usually the sink's own). One instance
 * speaks for one sink: its rows vouch for windows written to that sink, and no other.
 */
export class SqlLedger implements Ledger {
  /** The sink identity as stored (hashed when longer than the column). */
  readonly sink: string;
  private readonly claims: LedgerClaims;

  constructor(
    private readonly db: SqlClient,
    private readonly display: string,
    /** False when the connection belongs to a sink that closes it. */
    private readonly ownsConnection: boolean,
    /** The sink this ledger vouches for: `Sink.identity()` (dialect, database, table; no credentials). */
    sinkIdentity: string,
  ) {
    this.sink = fitColumn(sinkIdentity, SINK_COLUMN_CHARS);
    this.claims = new LedgerClaims(db, this.sink, display);
  }

  get dialect(): Dialect {
    return this.db.dialect;
  }

  describe(): string {
    return `${this.display} (${LEDGER_TABLE})`;
  }

  /**
   * Makes the table usable for `job` (see {@link LedgerClaims.ensure}): once per instance and job;
   * a `read` may travel with the claim and its rows come back.
   */
  ensure(job: string, read?: SqlStatement): Promise<SqlRow[] | undefined> {
    return this.claims.ensure(job, read);
  }

  /** Sends `statements` in `job`'s claim's message when it can (see {@link LedgerClaims.withClaim}). */
  withClaim(job: string, statements: readonly SqlStatement[]): Promise<SqlRow[][] | undefined> {
    return this.claims.withClaim(job, statements);
  }

  async markRunning(
    job: string,
    windows: readonly Window[],
    triggerId: string | undefined,
    now: Date,
    options: MarkOptions = {},
  ): Promise<void> {
    await this.guard('Marking windows running', () =>
      this.upsert(job, windows, 'running', { ...options, triggerId, now, countAttempt: true }),
    );
  }

  async markSucceeded(
    job: string,
    windows: readonly Window[],
    triggerId: string | undefined,
    now: Date,
    options: MarkOptions = {},
  ): Promise<void> {
    await this.guard('Marking windows succeeded', () =>
      this.upsert(job, windows, 'succeeded', { ...options, triggerId, now }),
    );
  }

  async markFailed(
    job: string,
    windows: readonly Window[],
    error: string,
    now: Date,
    options: MarkOptions = {},
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
    await this.ensure(job);
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
    const row = { job, sink: this.sink };
    for (let i = 0; i < windows.length; i += CHUNK)
      statements.push(upsertStatement(this.db.dialect, row, windows.slice(i, i + CHUNK), status, options));
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
    options: MarkOptions = {},
  ): Promise<number> {
    await this.ensure(job);
    if (!this.db.multipleStatements || windows.length > CHUNK) {
      const [succeeded] = await Promise.all([
        this.countSucceeded(job, count.from, count.to),
        this.markRunning(job, windows, triggerId, now, options),
      ]);
      return succeeded;
    }
    const statements = [
      ...this.upsertStatements(job, windows, 'running', { ...options, triggerId, now, countAttempt: true }),
      this.countSucceededStatement(job, count.from, count.to),
    ];
    const results = await this.guard('Marking windows running', () => this.db.batch(statements));
    return Number(results[statements.length - 1]?.[0]?.n ?? 0);
  }

  async entries(job: string, range: { from?: Date; to?: Date } = {}): Promise<LedgerEntry[]> {
    await this.ensure(job);
    const params: unknown[] = [job, this.sink];
    let sql = `select * from ${this.table} where ${this.q('job')} = ? and ${this.q('sink')} = ?`;
    if (range.from) {
      sql += ` and ${this.q('window_start')} >= ?`;
      params.push(this.time(range.from));
    }
    if (range.to) {
      sql += ` and ${this.q('window_start')} < ?`;
      params.push(this.time(range.to));
    }
    sql += ` order by ${this.q('window_start')} asc`;
    return (await this.read('Reading entries', () => this.db.query(sql, params))).map(toEntry);
  }

  async lastSucceeded(job: string): Promise<LedgerEntry | undefined> {
    await this.ensure(job);
    const [row] = await this.read('Reading the last success', () =>
      this.db.query(
        `select * from ${this.table} where ${this.q('job')} = ? and ${this.q('sink')} = ? and ${this.q('status')} = ? order by ${this.q('window_start')} desc limit 1`,
        [job, this.sink, 'succeeded'],
      ),
    );
    return row ? toEntry(row) : undefined;
  }

  async countSucceeded(job: string, from: Date, to: Date): Promise<number> {
    await this.ensure(job);
    const { sql, params } = this.countSucceededStatement(job, from, to);
    const [row] = await this.read('Counting succeeded windows', () => this.db.query(sql, params));
    return Number(row?.n ?? 0);
  }

  /** `countSucceeded` as a statement answering one row `{ n }`: the sink sends it in its write's transaction. */
  countSucceededStatement(job: string, from: Date, to: Date): SqlStatement {
    const start = this.q('window_start');
    return {
      sql: `select count(*) as n from ${this.table} where ${this.q('job')} = ? and ${this.q('sink')} = ? and ${this.q('status')} = ? and ${start} >= ? and ${start} < ?`,
      params: [job, this.sink, 'succeeded', this.time(from), this.time(to)],
    };
  }

  async firstWindowStart(job: string): Promise<Date | undefined> {
    const read = {
      sql: `select min(${this.q('window_start')}) as ${this.q('first')} from ${this.table} where ${this.q('job')} = ? and ${this.q('sink')} = ?`,
      params: [job, this.sink],
    };
    // A process's first question of the ledger: asked with the claim on a cold start.
    const [row] =
      (await this.ensure(job, read)) ??
      (await this.read('Reading the first window', () => this.db.query(read.sql, read.params)));
    const first = row?.first;
    return first === null || first === undefined ? undefined : fromDbTime(first);
  }

  /**
   * Succeeded windows starting in `[from, to)` recorded under another definition than `fingerprint`
   * (rows from before fingerprints were recorded have none, and are not counted stale).
   */
  async staleWindows(job: string, fingerprint: string, range: { from: Date; to: Date }): Promise<Date[]> {
    await this.ensure(job);
    const start = this.q('window_start');
    const fp = this.q('fingerprint');
    const rows = await this.read('Reading stale windows', () =>
      this.db.query(
        `select ${start} as s from ${this.table} where ${this.q('job')} = ? and ${this.q('sink')} = ? and ${this.q('status')} = ? and ${fp} is not null and ${fp} <> ? and ${start} >= ? and ${start} < ? order by ${start}`,
        [job, this.sink, 'succeeded', fingerprint, this.time(range.from), this.time(range.to)],
      ),
    );
    return rows.map((r) => fromDbTime(r.s));
  }

  /**
   * The job's windows summarized in the database (counts and ranges by state), never listed. Reads
   * only: a missing table is reported (`ledger: false`), a 0.1 table read as it is.
   */
  async summarize(job: string, query: SummaryQuery): Promise<LedgerSummary> {
    return this.read('Summarizing the ledger', async () =>
      summarizeLedger(this.db, await ledgerTableState(this.db), { job, sink: this.sink }, query),
    );
  }

  /** The recorded rows of windows starting in `[from, to)`, oldest first. Reads only, like `summarize`. */
  async rows(job: string, range: { from: Date; to: Date }): Promise<LedgerEntry[] | undefined> {
    return this.read('Reading windows', async () => {
      const state = await ledgerTableState(this.db);
      if (state === 'absent') return undefined;
      return (await windowRows(this.db, state, { job, sink: this.sink }, range)).map(toEntry);
    });
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

  /** `guard` for statements that only read: sent again on another connection when theirs was lost. */
  private read<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return this.guard(what, () => withReadRetry(fn));
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
    this.claims.forget();
    if (this.ownsConnection) await closeDatabase(this.db);
  }
}

const UPSERT_COLUMNS = [
  'job',
  'sink',
  'window_start',
  'window_end',
  'status',
  'attempts',
  'last_error',
  'trigger_id',
  'updated_at',
  'fingerprint',
  'failed_at',
  'expires_at',
] as const;

/**
 * Inserts the windows' rows; rows that exist get the new status (and trigger, error, attempt count).
 * `INSERT … ON DUPLICATE KEY UPDATE` on MySQL, `INSERT … ON CONFLICT DO UPDATE` elsewhere; the
 * update takes the values the insert would have written, so each value is bound once.
 */
function upsertStatement(
  dialect: Dialect,
  row: { job: string; sink: string },
  windows: readonly Window[],
  status: RunStatus,
  options: UpsertOptions,
): SqlStatement {
  const now = toDbTime(dialect, options.now);
  const attempts = options.countAttempt ? 1 : 0;
  const error = options.error ?? null;
  const triggerId =
    options.triggerId === undefined ? null : fitColumn(options.triggerId, TRIGGER_COLUMN_CHARS);
  const fingerprint = status === 'succeeded' ? (options.fingerprint ?? null) : null;
  const failedAt = status === 'failed' ? now : null;
  const expiresAt = status === 'running' && options.expiresAt ? toDbTime(dialect, options.expiresAt) : null;
  const params: unknown[] = [];
  for (const w of windows)
    params.push(
      row.job,
      row.sink,
      toDbTime(dialect, w.start),
      toDbTime(dialect, w.end),
      status,
      attempts,
      error,
      triggerId,
      now,
      fingerprint,
      failedAt,
      expiresAt,
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

/**
 * The upsert's SQL around its values list, built once per dialect and kind of update. A window that
 * succeeded stays `succeeded` when it is marked running or failed again (a re-run or a forced
 * backfill): its rows are still there and right, so it keeps its status, computed time and trigger,
 * and a failure only records its error and when.
 */
function upsertShape(dialect: Dialect, status: RunStatus, options: UpsertOptions): UpsertShape {
  const setsTrigger = options.triggerId !== undefined;
  const countsAttempt = options.countAttempt === true;
  const key = `${dialect}/${status}/${setsTrigger}/${countsAttempt}`;
  let shape = upsertShapes.get(key);
  if (shape) return shape;
  const q = (name: string) => quoteName(dialect, name);
  const existing = (name: string) => `${q(LEDGER_TABLE)}.${q(name)}`;
  const inserted = (name: string) => (dialect === 'mysql' ? `values(${q(name)})` : `excluded.${q(name)}`);
  const keepSucceeded = (name: string) =>
    `case when ${existing('status')} = 'succeeded' then ${existing(name)} else ${inserted(name)} end`;
  const assignments: string[] = [];
  const set = (name: string, value = inserted(name)) => assignments.push(`${q(name)} = ${value}`);
  // A succeeded window's trigger is the one that wrote its rows: a re-run records its own only when
  // it writes them too (`backfill --remote --force` watches for that).
  if (setsTrigger)
    set('trigger_id', status === 'succeeded' ? inserted('trigger_id') : keepSucceeded('trigger_id'));
  if (countsAttempt) set('attempts', `${existing('attempts')} + 1`);
  if (status === 'succeeded') {
    for (const name of ['updated_at', 'last_error', 'fingerprint', 'failed_at', 'expires_at']) set(name);
  } else {
    set('updated_at', keepSucceeded('updated_at'));
    if (status === 'failed') for (const name of ['last_error', 'failed_at']) set(name);
    set('expires_at');
  }
  // Last: MySQL evaluates the assignments in order, and those above read the row's old status.
  set('status', status === 'succeeded' ? inserted('status') : keepSucceeded('status'));
  const conflict =
    dialect === 'mysql'
      ? 'on duplicate key update'
      : `on conflict (${q('job')}, ${q('sink')}, ${q('window_start')}) do update set`;
  shape = {
    head: `insert into ${q(LEDGER_TABLE)} (${UPSERT_COLUMNS.map(q).join(', ')}) values `,
    tuple: `(${UPSERT_COLUMNS.map(() => '?').join(', ')})`,
    tail: ` ${conflict} ${assignments.join(', ')}`,
  };
  upsertShapes.set(key, shape);
  return shape;
}

export function toEntry(row: Record<string, unknown>): LedgerEntry {
  const time = (value: unknown) => (value === null || value === undefined ? null : fromDbTime(value));
  return {
    job: String(row.job),
    windowStart: fromDbTime(row.window_start),
    windowEnd: fromDbTime(row.window_end),
    status: row.status as RunStatus,
    attempts: Number(row.attempts),
    lastError: (row.last_error as string | null) ?? null,
    triggerId: (row.trigger_id as string | null) ?? null,
    updatedAt: fromDbTime(row.updated_at),
    fingerprint: (row.fingerprint as string | null | undefined) ?? null,
    failedAt: time(row.failed_at),
    expiresAt: time(row.expires_at),
  };
}
