import type { WindowedError } from '../errors.js';
import { SqlLedger } from '../ledger/sql-ledger.js';
import type { Ledger, MarkOptions } from '../ledger/types.js';
import type { SqlSink } from '../sinks/sql.js';
import type { ColumnSet, Sink, WindowRows } from '../sinks/types.js';
import type { Window } from '../window/types.js';
import type { CatchUpRange } from './catch-up-cache.js';

/** What a commit records about its windows besides their rows. */
export interface CommitRecord {
  job: string;
  columns: ColumnSet;
  computedAt: Date;
  triggerId: string | undefined;
  /** The job's definition fingerprint, recorded with each succeeded window. */
  fingerprint: string;
  /** Count this write as an attempt of each window (they were not marked `running` first). */
  countAttempt?: boolean;
  /** Also count the job's succeeded windows starting in the range, after the write. */
  countSucceeded?: CatchUpRange;
}

export interface CommitResult {
  /** The count `countSucceeded` asked for, when the store answers it with the write. */
  succeededInRange?: number;
  /** Windows the sink refused alone (by window key): neither written nor recorded `succeeded`. */
  failed?: ReadonlyMap<string, WindowedError>;
}

/**
 * Where a run's computed windows go: their rows into the sink, their `succeeded` rows into the ledger.
 * Made once per job by `resolveResources`, which knows whether the ledger lives in the sink's own
 * database ({@link TransactionalSqlStore}) or not ({@link SinkThenLedgerStore}).
 */
export interface WindowStore {
  /** The ledger catch-up and status read; undefined when the job keeps none. */
  readonly ledger: Ledger | undefined;
  /**
   * `commit` writes the rows and records them `succeeded` (and the attempt, and the lookback's count)
   * in one transaction: a window is written and recorded, or neither. A run then needs no `running`
   * row before it writes.
   */
  readonly recordsOnCommit: boolean;
  /** Replaces the windows' rows and records them `succeeded`. Rejects when nothing was written. */
  commit(windows: readonly WindowRows[], record: CommitRecord): Promise<CommitResult>;
  /** Starts readying the sink for `job`'s rows of these columns (a commit waits for it, and reports its failure). */
  prepare?(columns: ColumnSet, job: string): void;
  describe(): string;
}

/** Sink and ledger in one SQL database: rows and ledger rows in one transaction (one round trip on MySQL). */
export class TransactionalSqlStore implements WindowStore {
  readonly recordsOnCommit = true;

  constructor(
    private readonly sink: SqlSink,
    /** The sink's own ledger (`sink.ledger`): the write's transaction records in it. */
    readonly ledger: SqlLedger,
  ) {}

  /** The table check goes with the ledger's claim when that is about to be sent (same database). */
  prepare(columns: ColumnSet, job: string): void {
    this.sink.prepare(columns, (statements) => this.ledger.withClaim(job, statements));
  }

  async commit(windows: readonly WindowRows[], record: CommitRecord): Promise<CommitResult> {
    const written = await this.sink.write(windows, {
      job: record.job,
      columns: record.columns,
      computedAt: record.computedAt,
      markSucceeded: {
        triggerId: record.triggerId,
        fingerprint: record.fingerprint,
        countAttempt: record.countAttempt === true,
        ...(record.countSucceeded ? { countSucceeded: record.countSucceeded } : {}),
      },
    });
    return {
      ...(written.succeededInRange !== undefined ? { succeededInRange: written.succeededInRange } : {}),
      ...(written.failed ? { failed: written.failed } : {}),
    };
  }

  describe(): string {
    return this.sink.describe();
  }
}

/**
 * Any sink, and a ledger elsewhere (a `state` database, or none): the rows are written, then the
 * ledger records them. A run marks its windows `running` first, so one that dies between the two
 * is seen as stale and re-run.
 */
export class SinkThenLedgerStore implements WindowStore {
  readonly recordsOnCommit = false;

  constructor(
    private readonly sink: Sink,
    readonly ledger: Ledger | undefined,
  ) {}

  async commit(windows: readonly WindowRows[], record: CommitRecord): Promise<CommitResult> {
    const written = await this.sink.write(windows, {
      job: record.job,
      columns: record.columns,
      computedAt: record.computedAt,
    });
    const failed = written?.failed;
    await this.ledger?.markSucceeded(
      record.job,
      windows.filter((w) => !failed?.has(w.window.key)).map((w) => w.window),
      record.triggerId,
      new Date(),
      { fingerprint: record.fingerprint },
    );
    return failed ? { failed } : {};
  }

  describe(): string {
    return this.sink.describe();
  }
}

/**
 * Marks windows `running` (an attempt each) and counts the succeeded windows of `range`: what a run
 * that marks first asks before anything else. windowed's SQL ledger does both in one round trip
 * where its connection allows; any other ledger, side by side.
 */
export async function markRunningAndCount(
  ledger: Ledger,
  job: string,
  windows: readonly Window[],
  triggerId: string | undefined,
  range: CatchUpRange,
  options: Pick<MarkOptions, 'expiresAt'>,
): Promise<number> {
  if (ledger instanceof SqlLedger)
    return ledger.markRunningAndCountSucceeded(job, windows, triggerId, new Date(), range, options);
  const [succeeded] = await Promise.all([
    ledger.countSucceeded(job, range.from, range.to),
    ledger.markRunning(job, windows, triggerId, new Date(), options),
  ]);
  return succeeded;
}
