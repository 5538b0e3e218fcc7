import type { Knex } from 'knex';
import {
  allowsMultipleStatements,
  closeDatabase,
  type Dialect,
  fromDbTime,
  multiStatementQuery,
  toDbTime,
} from '../db/connect.js';
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
    private readonly db: Knex,
    readonly dialect: Dialect,
    private readonly display: string,
    /** False when the connection belongs to a sink that closes it. */
    private readonly ownsConnection = true,
  ) {}

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
    if (await this.db.schema.hasTable(LEDGER_TABLE)) return;
    try {
      await this.db.schema.createTable(LEDGER_TABLE, (t) => {
        t.string('job', 64).notNullable();
        t.datetime('window_start', { precision: 3 }).notNullable();
        t.datetime('window_end', { precision: 3 }).notNullable();
        t.string('status', 16).notNullable();
        t.integer('attempts').notNullable().defaultTo(0);
        t.text('last_error').nullable();
        t.string('trigger_id', 255).nullable();
        t.datetime('updated_at', { precision: 3 }).notNullable();
        t.primary(['job', 'window_start']);
      });
    } catch (error) {
      // Another process created it between our check and our CREATE.
      if (!(await this.db.schema.hasTable(LEDGER_TABLE))) throw error;
    }
  }

  async markRunning(
    job: string,
    windows: readonly Window[],
    triggerId: string | undefined,
    now: Date,
  ): Promise<void> {
    await this.guard('Marking windows running', () =>
      this.upsert(this.db, job, windows, 'running', { triggerId, now, countAttempt: true }),
    );
  }

  async markSucceeded(
    job: string,
    windows: readonly Window[],
    triggerId: string | undefined,
    now: Date,
  ): Promise<void> {
    await this.guard('Marking windows succeeded', () =>
      this.upsert(this.db, job, windows, 'succeeded', { triggerId, now }),
    );
  }

  async markFailed(job: string, windows: readonly Window[], error: string, now: Date): Promise<void> {
    await this.guard('Marking windows failed', () =>
      this.upsert(this.db, job, windows, 'failed', { now, error: error.slice(0, MAX_ERROR_LENGTH) }),
    );
  }

  /**
   * Inserts or updates ledger rows. Used inside the sink's transaction too, where the upsert's row
   * lock is what serializes concurrent writers of the same window.
   */
  async upsert(
    db: Knex | Knex.Transaction,
    job: string,
    windows: readonly Window[],
    status: RunStatus,
    options: UpsertOptions,
  ): Promise<void> {
    await this.ensure();
    for (const statement of this.upsertStatements(db, job, windows, status, options)) await statement;
  }

  /** The upsert as statements (one per 500 windows), not yet run: the sink sends them in its own transaction. */
  upsertStatements(
    db: Knex | Knex.Transaction,
    job: string,
    windows: readonly Window[],
    status: RunStatus,
    options: UpsertOptions,
  ): Knex.QueryBuilder[] {
    const now = toDbTime(this.dialect, options.now);
    const merge: Record<string, unknown> = { status, updated_at: now };
    if (options.triggerId !== undefined) merge.trigger_id = options.triggerId;
    if (status === 'succeeded') merge.last_error = null;
    if (options.error !== undefined) merge.last_error = options.error;
    if (options.countAttempt) merge.attempts = this.db.raw('?? + 1', [`${LEDGER_TABLE}.attempts`]);
    const statements: Knex.QueryBuilder[] = [];
    for (let i = 0; i < windows.length; i += CHUNK) {
      const rows = windows.slice(i, i + CHUNK).map((w) => ({
        job,
        window_start: toDbTime(this.dialect, w.start),
        window_end: toDbTime(this.dialect, w.end),
        status,
        attempts: options.countAttempt ? 1 : 0,
        last_error: options.error ?? null,
        trigger_id: options.triggerId ?? null,
        updated_at: now,
      }));
      statements.push(db(LEDGER_TABLE).insert(rows).onConflict(['job', 'window_start']).merge(merge));
    }
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
    if (this.dialect !== 'mysql' || windows.length > CHUNK || !allowsMultipleStatements(this.db)) {
      const [succeeded] = await Promise.all([
        this.countSucceeded(job, count.from, count.to),
        this.markRunning(job, windows, triggerId, now),
      ]);
      return succeeded;
    }
    const statements = [
      ...this.upsertStatements(this.db, job, windows, 'running', { triggerId, now, countAttempt: true }),
      this.countSucceededQuery(job, count.from, count.to),
    ].map((q) => q.toSQL());
    const results = await this.guard('Marking windows running', () =>
      multiStatementQuery(this.db, statements),
    );
    const rows = results[statements.length - 1] as Array<{ n?: unknown }>;
    return Number(rows[0]?.n ?? 0);
  }

  async entries(job: string, range: { from?: Date; to?: Date } = {}): Promise<LedgerEntry[]> {
    await this.ensure();
    const query = this.db(LEDGER_TABLE).where({ job }).orderBy('window_start', 'asc');
    if (range.from) query.where('window_start', '>=', toDbTime(this.dialect, range.from));
    if (range.to) query.where('window_start', '<', toDbTime(this.dialect, range.to));
    return (await this.guard('Reading entries', () => query)).map(toEntry);
  }

  async lastSucceeded(job: string): Promise<LedgerEntry | undefined> {
    await this.ensure();
    const row = await this.guard('Reading the last success', () =>
      this.db(LEDGER_TABLE).where({ job, status: 'succeeded' }).orderBy('window_start', 'desc').first(),
    );
    return row ? toEntry(row) : undefined;
  }

  async countSucceeded(job: string, from: Date, to: Date): Promise<number> {
    await this.ensure();
    const row = await this.guard('Counting succeeded windows', () =>
      this.countSucceededQuery(job, from, to).first(),
    );
    return Number((row as { n?: unknown } | undefined)?.n ?? 0);
  }

  private countSucceededQuery(job: string, from: Date, to: Date): Knex.QueryBuilder {
    return this.db(LEDGER_TABLE)
      .where({ job, status: 'succeeded' })
      .where('window_start', '>=', toDbTime(this.dialect, from))
      .where('window_start', '<', toDbTime(this.dialect, to))
      .count({ n: '*' });
  }

  async firstWindowStart(job: string): Promise<Date | undefined> {
    await this.ensure();
    const row = await this.guard('Reading the first window', () =>
      this.db(LEDGER_TABLE).where({ job }).min({ first: 'window_start' }).first(),
    );
    const first = (row as { first?: unknown } | undefined)?.first;
    return first === null || first === undefined ? undefined : fromDbTime(first);
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
