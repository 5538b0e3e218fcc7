import type { Window } from '../window/types.js';

export type RunStatus = 'running' | 'succeeded' | 'failed';

/** One row of `windowed_runs`. */
export interface LedgerEntry {
  job: string;
  windowStart: Date;
  windowEnd: Date;
  status: RunStatus;
  attempts: number;
  lastError: string | null;
  triggerId: string | null;
  updatedAt: Date;
}

/** The only memory between stateless invocations: which windows ran, and how. */
export interface Ledger {
  /** Marks windows `running` and counts an attempt for each. */
  markRunning(
    job: string,
    windows: readonly Window[],
    triggerId: string | undefined,
    now: Date,
  ): Promise<void>;
  markSucceeded(
    job: string,
    windows: readonly Window[],
    triggerId: string | undefined,
    now: Date,
  ): Promise<void>;
  /** `error` must already be redacted. `countAttempt`: the windows were not marked `running` first. */
  markFailed(
    job: string,
    windows: readonly Window[],
    error: string,
    now: Date,
    options?: { countAttempt?: boolean },
  ): Promise<void>;
  /** Entries whose window starts in `[from, to)`, oldest first. */
  entries(job: string, range?: { from?: Date; to?: Date }): Promise<LedgerEntry[]>;
  lastSucceeded(job: string): Promise<LedgerEntry | undefined>;
  /** How many windows starting in `[from, to)` succeeded: lets a run skip catch-up with one cheap query. */
  countSucceeded(job: string, from: Date, to: Date): Promise<number>;
  /** The start of the earliest window ever recorded for the job: catch-up never reaches before it. */
  firstWindowStart(job: string): Promise<Date | undefined>;
  describe(): string;
  close(): Promise<void>;
}
