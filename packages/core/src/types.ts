import type { BackfillPayload } from './backfill-payload.js';
import type { WindowedError } from './errors.js';
import type { JobSummary, StatusOptions, WindowRecord } from './ledger/state.js';
import type { Logger } from './logger.js';
import type { DeclarativeQuery, QueryFn } from './query/types.js';
import type { PasswordReference } from './secrets/reference.js';
import type { Sink, StoredRow } from './sinks/types.js';
import type { CsvSourceOptions, NdjsonSourceOptions, ParquetSourceOptions } from './sources/files/options.js';
import type { MalformedCounts } from './sources/malformed.js';
import type { Source } from './sources/types.js';
import type { TriggerEvent } from './trigger.js';
import type { VerifyOptions, VerifyResult } from './verify/types.js';
import type { Window, WindowOptions, WindowSpec } from './window/types.js';

/** Built-in source configurations; adapters register more types (`sls`, `cloudwatch`). */
export type SourceConfig =
  | ({ type: 'ndjson' } & NdjsonSourceOptions)
  | ({ type: 'csv' } & CsvSourceOptions)
  | ({ type: 'parquet' } & ParquetSourceOptions)
  | {
      type: 'sql';
      url: string;
      table: string;
      timeColumn?: string;
      timeType?: 'datetime' | 'epoch_ms' | 'epoch_s';
      /** Where the URL's password lives (see {@link PasswordReference}). */
      password?: PasswordReference;
    }
  | { type: string; [option: string]: unknown };

/** A sink URL (`sqlite:./x.db`, `mysql://…?table=t`, `postgres://…`, `stdout:`) or object. */
export type SinkConfig = string | { url: string; table?: string; password?: PasswordReference } | Sink;

/** What `defineWindowedJob` takes. */
export interface JobSpec {
  /** `[a-z][a-z0-9_]{0,62}`: the ledger key and the default sink table. */
  name: string;
  window: string | WindowOptions;
  query: DeclarativeQuery | QueryFn;
  source?: SourceConfig | Source | string;
  sink?: SinkConfig;
  /** Ledger database URL when the sink is not a SQL database (or to keep state elsewhere). */
  state?: string;
  /**
   * The job's first window (an instant on a window boundary, e.g. `2026-11-01T00:00:00Z`), like a
   * partition start: catch-up and status never look before it, and windows from it that were never
   * recorded are caught up (within `catchUp.lookback`).
   */
  start?: string;
  catchUp?: {
    /** Most missed windows one invocation re-runs, oldest first. Default 60; 0 disables catch-up. */
    maxWindows?: number;
    /**
     * How long a `running` mark lives when its invocation has no deadline (a backfill, a run without
     * one; scheduled runs record their deadline). Past it, catch-up re-runs the window. Default `15m`.
     */
    staleAfter?: string;
    /** How far back catch-up looks for failed or never-run windows. Default `1d`. */
    lookback?: string;
  };
  logger?: Logger | false;
}

export interface RunContext {
  /** Epoch ms by which the run must have finished (from the platform's remaining time). */
  deadline?: number;
  signal?: AbortSignal;
  logger?: Logger;
  requestId?: string;
  /** The native event as the platform delivered it; the core never reads it. */
  rawEvent?: unknown;
  /** The function's timeout: a `running` ledger row older than this is treated as failed. */
  functionTimeoutMs?: number;
}

export type WindowReason = 'scheduled' | 'lateness' | 'catch-up' | 'backfill';

export interface WindowOutcome {
  window: Window;
  reason: WindowReason;
  status: 'succeeded' | 'failed' | 'skipped';
  rows: number;
  /** Malformed input lines whose time falls in this window (file sources), when there were any. */
  malformed?: number;
  error?: WindowedError;
}

/** Malformed input lines a run met (file sources; 0 and empty otherwise). */
export interface MalformedSummary {
  /** Lines skipped whose time falls in the run's windows: not JSON, too long, … */
  malformed: number;
  /** Those lines by reason. */
  malformedReasons: MalformedCounts;
  /**
   * Lines without a usable time (no time field, time not parseable, wrong unit) in the files the
   * run read, by reason: they belong to no window, so no run counts them as its own.
   */
  unplaced: MalformedCounts;
}

export interface RunResult extends MalformedSummary {
  job: string;
  trigger: TriggerEvent;
  /** The scheduled window: what this trigger was for. */
  window: Window;
  /** Every window this invocation touched, oldest first. */
  windows: WindowOutcome[];
  durationMs: number;
}

export interface BackfillProgress {
  done: number;
  total: number;
  computed: number;
  skipped: number;
  failed: number;
  window?: Window;
}

export interface BackfillOptions {
  from: Date | string;
  to: Date | string;
  /** Batches computed at once. Default 1. */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (progress: BackfillProgress) => void;
  /** Re-compute windows the ledger says already succeeded. */
  force?: boolean;
  /**
   * Re-compute only the `stale` windows of the range: those that succeeded under another definition
   * (query, window, source) than the job's current one.
   */
  stale?: boolean;
  /**
   * Windows written per transaction. Default: a day's worth (1440 windows). Without it, an
   * ungrouped query reads up to 50,000 windows per multi-window query (a grouped one, a batch).
   */
  batchSize?: number;
  /**
   * Recorded as the trigger of each window this backfill writes (default `backfill`): a window
   * forced again already reads `succeeded`, so its trigger id is what tells that this run wrote it
   * (`windowed backfill --remote --force` names each chunk's).
   */
  triggerId?: string;
}

export interface BackfillResult extends MalformedSummary {
  total: number;
  computed: number;
  skipped: number;
  failed: number;
  /** True when `signal` stopped it; every window written so far is complete, and a rerun resumes. */
  aborted: boolean;
  windows: WindowOutcome[];
}

/** What `job.status()` answers: see {@link JobSummary}. */
export type JobStatus = JobSummary;

export interface JobOverrides {
  source?: SourceConfig | Source | string;
  sink?: SinkConfig;
  state?: string;
  /**
   * Only read: `status`, `windows`, `results` work (with a database user that can only SELECT; SQLite
   * opens its file read-only) and create nothing; `run` and `backfill` are refused.
   */
  readOnly?: boolean;
  logger?: Logger | false;
}

export interface WindowedJob {
  readonly name: string;
  readonly windowSpec: WindowSpec;
  /** The declarative query, or undefined for a functional one. */
  readonly query: DeclarativeQuery | undefined;
  /** The source, sink and state the job's own spec names (a config target or `WINDOWED_*` override them). */
  readonly specResources: Readonly<Pick<JobSpec, 'source' | 'sink' | 'state'>>;
  /** The spec's `start` (the job's first window), or undefined when it names none. */
  readonly start: Date | undefined;
  /** The window a trigger is for. Pure: never reads the clock. */
  windowFor(trigger: TriggerEvent | Date | string): Window;
  /** The scheduled window plus the lateness windows, oldest first. */
  windowsFor(trigger: TriggerEvent | Date | string): Window[];
  run(trigger: TriggerEvent, ctx?: RunContext): Promise<RunResult>;
  backfill(options: BackfillOptions): Promise<BackfillResult>;
  /**
   * The ledger summarized in the database: counts and ranges by state (succeeded, stale, failed,
   * running, missing), never one object per window. Reads only; creates nothing.
   */
  status(options?: StatusOptions): Promise<JobSummary>;
  /** Each window starting in `[from, to)` with its state (at most 100,000 windows). Reads only. */
  windows(range: { from: Date | string; to: Date | string }): Promise<WindowRecord[]>;
  /**
   * Rows stored for this job, newest window first (`limit` counts windows), read from the sink the
   * job actually writes to (after env and target overrides). INVALID_CONFIG if that sink keeps no rows.
   */
  results(options?: { limit?: number; from?: Date; to?: Date }): Promise<StoredRow[]>;
  /**
   * Recomputes the windows of `[from, to)` (or `sample` of them, evenly spread) from the source without
   * writing, and compares them with the sink's rows: values, missing and extra groups, windows missing
   * from the sink. Reads only the source and the sink (a SELECT-only user is enough). INVALID_CONFIG if
   * the sink keeps no rows to read back. To repair drifted windows, `backfill` them with `force`.
   */
  verify(options: VerifyOptions): Promise<VerifyResult>;
  /** One-line descriptions (no secrets) of where the job reads, writes and keeps its ledger. */
  describe(): Promise<{ source: string | undefined; sink: string; ledger: string | undefined }>;
  /** The same job on another source/sink/state (CLI targets, tests). Shares nothing with this one. */
  with(overrides: JobOverrides): WindowedJob;
  /**
   * Releases pooled connections, once the runs and backfills in progress have settled. The job can
   * still run afterwards (it reconnects).
   */
  close(): Promise<void>;
}

/**
 * A failed invocation as a platform's failure destination delivered it, normalized by an adapter
 * (`parseFcDestinationRecord`, `parseLambdaDestinationRecord`): what `windowed replay` re-runs.
 */
export interface FailureRecord {
  provider: 'aliyun' | 'aws';
  /**
   * The trigger of the failed invocation; `job.windowFor(trigger)` names the window. For a backfill
   * chunk (`backfill` set) it is a manual trigger at the chunk's end, standing for its last window.
   */
  trigger: TriggerEvent;
  /** Set when the failed invocation was a `windowed backfill --remote` chunk: replay re-runs the range. */
  backfill?: BackfillPayload;
  /** Why the platform gave up: `RetriesExhausted`, `EventAgeExceeded`, an FC error code, ... */
  condition: string;
  /** How many times the platform invoked the function with this event. */
  attempts: number;
  requestId?: string;
  functionArn?: string;
  /** The last attempt's error, redacted. */
  error?: string;
  /** ISO-8601 UTC: when the platform gave up. */
  timestamp?: string;
}
