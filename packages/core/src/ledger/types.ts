import type { Window } from '../window/types.js';
import type { JobSummary, SummaryQuery, SummaryRange } from './state.js';

export type RunStatus = 'running' | 'succeeded' | 'failed';

/** One row of `windowed_runs`: one window of one job, in one sink. */
export interface LedgerEntry {
  job: string;
  windowStart: Date;
  windowEnd: Date;
  status: RunStatus;
  attempts: number;
  /** The last failure's error. A succeeded window keeps it when a later re-run failed (see `failedAt`). */
  lastError: string | null;
  triggerId: string | null;
  updatedAt: Date;
  /** The job's definition fingerprint when the window succeeded (null before 0.2 recorded one). */
  fingerprint: string | null;
  /** When the last failure was recorded; null once the window succeeds again. */
  failedAt: Date | null;
  /** A `running` row: until when its invocation can live; catch-up re-runs it after that. */
  expiresAt: Date | null;
}

export interface MarkOptions {
  /** Count this as an attempt of each window. */
  countAttempt?: boolean;
  /** `markSucceeded`: the definition fingerprint the windows were computed under. */
  fingerprint?: string;
  /** `markRunning`: until when the invocation marking them can live. */
  expiresAt?: Date;
}

/** What the ledger table answers for a summary: the job's windows by state, as ranges. */
export type LedgerSummary = Pick<
  JobSummary,
  'ledger' | 'counts' | 'ranges' | 'truncated' | 'lastSucceeded'
> & {
  /** The first recorded window's start, when there is one. */
  first: Date | null;
  /** The last recorded window's end. */
  last: Date | null;
};

export type { SummaryQuery, SummaryRange };

/** The only memory between stateless invocations: which windows ran, and how. */
export interface Ledger {
  /** Marks windows `running` and counts an attempt for each; a succeeded window stays succeeded. */
  markRunning(
    job: string,
    windows: readonly Window[],
    triggerId: string | undefined,
    now: Date,
    options?: Pick<MarkOptions, 'expiresAt'>,
  ): Promise<void>;
  markSucceeded(
    job: string,
    windows: readonly Window[],
    triggerId: string | undefined,
    now: Date,
    options?: Pick<MarkOptions, 'fingerprint'>,
  ): Promise<void>;
  /**
   * `error` must already be redacted. `countAttempt`: the windows were not marked `running` first.
   * A window that had succeeded stays `succeeded` (its rows are still right) with the error recorded.
   */
  markFailed(
    job: string,
    windows: readonly Window[],
    error: string,
    now: Date,
    options?: Pick<MarkOptions, 'countAttempt'>,
  ): Promise<void>;
  /** Entries whose window starts in `[from, to)`, oldest first. */
  entries(job: string, range?: { from?: Date; to?: Date }): Promise<LedgerEntry[]>;
  lastSucceeded(job: string): Promise<LedgerEntry | undefined>;
  /** How many windows starting in `[from, to)` succeeded: lets a run skip catch-up with one cheap query. */
  countSucceeded(job: string, from: Date, to: Date): Promise<number>;
  /** The start of the earliest window ever recorded for the job: catch-up never reaches before it. */
  firstWindowStart(job: string): Promise<Date | undefined>;
  /** Starts of the succeeded windows in `[from, to)` recorded under another fingerprint than this one. */
  staleWindows(job: string, fingerprint: string, range: { from: Date; to: Date }): Promise<Date[]>;
  /** Counts and ranges by state, summarized where the ledger lives. Reads only; creates nothing. */
  summarize(job: string, query: SummaryQuery): Promise<LedgerSummary>;
  /** Rows of windows starting in `[from, to)`, oldest first; undefined when there is no ledger table yet. Reads only. */
  rows(job: string, range: { from: Date; to: Date }): Promise<LedgerEntry[] | undefined>;
  describe(): string;
  close(): Promise<void>;
}
