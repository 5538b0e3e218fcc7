import * as v from 'valibot';
import { WindowedError } from '../errors.js';
import { firstIssue, optionProblem, safeParse } from '../schema-issues.js';

/**
 * A window's state as `status()` and `windows()` report it: `stale` is a succeeded window computed
 * under another definition (query, window or source) than the job's current one; `missing` a window
 * inside the summarized span that was never recorded; a `running` row past its expiry is `failed`.
 */
export const WINDOW_STATES = ['succeeded', 'failed', 'running', 'missing', 'stale'] as const;
export const windowStateSchema = v.picklist(WINDOW_STATES);
export type WindowState = v.InferOutput<typeof windowStateSchema>;

/** Consecutive windows in one state: `[from, to)`, `windows` of them. */
export const summaryRangeSchema = v.object({
  state: windowStateSchema,
  from: v.date(),
  to: v.date(),
  windows: v.pipe(v.number(), v.integer()),
});
export type SummaryRange = v.InferOutput<typeof summaryRangeSchema>;

export const stateCountsSchema = v.object({
  succeeded: v.pipe(v.number(), v.integer()),
  failed: v.pipe(v.number(), v.integer()),
  running: v.pipe(v.number(), v.integer()),
  missing: v.pipe(v.number(), v.integer()),
  stale: v.pipe(v.number(), v.integer()),
});
export type StateCounts = v.InferOutput<typeof stateCountsSchema>;

/** What `job.status()` answers: counted and ranged in the database, never one object per window. */
export const jobSummarySchema = v.object({
  job: v.string(),
  /** The sink the ledger vouches for (`Sink.identity()`: dialect, database, table; no credentials). */
  sink: v.string(),
  /** False when the job keeps no ledger, or its table does not exist yet (nothing ran): see `note`. */
  ledger: v.boolean(),
  note: v.optional(v.string()),
  /** The job's `start`, when set: nothing before it is looked at. */
  start: v.nullable(v.date()),
  /** The span summarized: from the job's `start` (else the first recorded window) to the last recorded window's end. */
  from: v.nullable(v.date()),
  to: v.nullable(v.date()),
  counts: stateCountsSchema,
  /** Every state's ranges, oldest first (at most `maxRanges`; `truncated` when there were more). */
  ranges: v.array(summaryRangeSchema),
  truncated: v.boolean(),
  lastSucceeded: v.nullable(v.object({ start: v.date(), end: v.date(), computedAt: v.date() })),
  /** The current definition's fingerprint: succeeded windows recorded under another one are `stale`. */
  fingerprint: v.nullable(v.string()),
});
export type JobSummary = v.InferOutput<typeof jobSummarySchema>;

/** One window as `job.windows()` answers it (for a bounded range). */
export const windowRecordSchema = v.object({
  start: v.date(),
  end: v.date(),
  key: v.string(),
  state: windowStateSchema,
  attempts: v.pipe(v.number(), v.integer()),
  lastError: v.nullable(v.string()),
  /** When the last failure was recorded (a succeeded window keeps it after a failed re-run). */
  failedAt: v.nullable(v.date()),
  triggerId: v.nullable(v.string()),
  /** When the row was last written (for a succeeded window: when it was computed). Null when missing. */
  updatedAt: v.nullable(v.date()),
  expiresAt: v.nullable(v.date()),
  fingerprint: v.nullable(v.string()),
});
export type WindowRecord = v.InferOutput<typeof windowRecordSchema>;

/** `job.status(options)`. */
export const statusOptionsSchema = v.strictObject({
  from: v.optional(v.date()),
  to: v.optional(v.date()),
  /** Most ranges returned (default 10,000); counts are always complete. */
  maxRanges: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1_000_000))),
});
export type StatusOptions = v.InferOutput<typeof statusOptionsSchema>;

/** `job.status()`'s options, validated (unknown keys refused) as INVALID_ARGUMENT naming the field. */
export function parseStatusOptions(input: unknown): StatusOptions {
  const result = safeParse(statusOptionsSchema, input ?? {});
  if (result.success) return result.output;
  const issue = firstIssue(result.issues);
  throw new WindowedError(
    'INVALID_ARGUMENT',
    `status: ${optionProblem(issue, '')}; expected { from?: Date, to?: Date, maxRanges?: an integer 1..1000000 }.`,
  );
}

/** What the ledger is asked for a summary. */
export interface SummaryQuery {
  from: Date | undefined;
  to: Date | undefined;
  fingerprint: string | null;
  /** Running rows that expired before this (or, without an expiry, were written before `staleBefore`) are failed. */
  now: Date;
  staleBefore: Date;
  maxRanges: number;
  /** The windows' length when it is fixed (minutes, hours): the summary then takes one grouped scan. */
  sizeMs?: number | undefined;
}
